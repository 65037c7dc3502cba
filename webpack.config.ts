/**
 * Builds the Grafana plugin (src/plugin) into dist/: module.js as the AMD module Grafana's SystemJS
 * loader imports, with the packages Grafana shares with plugins left external (the list of
 * @grafana/create-plugin's .config/bundler/externals.ts), plus plugin.json (version and date filled
 * in), the README and the logo. `npm run build`; webpack-cli loads this file with esbuild-register.
 */

import path from 'node:path';
import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';
import pkg from './package.json';
import pluginJson from './src/plugin/plugin.json';

const SOURCE_DIR = path.resolve(__dirname, 'src/plugin');
const DIST_DIR = path.resolve(__dirname, 'dist');

/** Provided by Grafana at runtime (public/app/features/plugins/loader/sharedDependencies.ts). */
const SHARED = [
  'react',
  'react-dom',
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-redux',
  'redux',
  'rxjs',
  'rxjs/operators',
  'lodash',
  'moment',
  'i18next',
  'emotion',
  '@emotion/css',
  '@emotion/react',
  'react-router',
  'd3',
  'jquery',
  'prismjs',
  'slate',
  'slate-plain-serializer',
  '@grafana/slate-react',
  /^@grafana\/data/,
  /^@grafana\/ui/,
  /^@grafana\/runtime/,
  /^@grafana\/i18n/,
];

function fillIn(content: Buffer): string {
  return content
    .toString()
    .replace(/%VERSION%/g, pkg.version)
    .replace(/%TODAY%/g, new Date().toISOString().slice(0, 10))
    .replace(/%PLUGIN_ID%/g, pluginJson.id);
}

export default (env: Record<string, unknown> = {}): Configuration => {
  const production = !env.development;
  return {
    mode: production ? 'production' : 'development',
    context: SOURCE_DIR,
    entry: { module: './module.ts' },
    devtool: 'source-map',
    externals: SHARED,
    output: {
      path: DIST_DIR,
      filename: '[name].js',
      library: { type: 'amd' },
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
      clean: true,
    },
    resolve: { extensions: ['.ts', '.tsx', '.js', '.jsx'] },
    module: {
      rules: [
        {
          test: /\.[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                parser: { syntax: 'typescript', tsx: true },
                target: 'es2020',
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
      ],
    },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'plugin.json', to: '.', transform: fillIn },
          { from: 'README.md', to: '.', transform: fillIn },
          { from: 'img/*.svg', to: '.' },
        ],
      }),
    ],
    // The bundle carries the core query model (zod, RE2) for validation in the editor; it is loaded once.
    performance: { hints: false },
  };
};
