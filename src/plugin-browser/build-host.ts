/**
 * Bundles the host page's script (host/host.tsx) with the shared dependencies of one Grafana
 * version, with esbuild, as one classic script (IIFE) that the page loads before SystemJS.
 *
 * - Grafana 12.4: the project's own devDependencies (@grafana/* 12.4.10, React 18).
 * - Grafana 13: npm aliases (grafana13-* = @grafana/* 13.2.x, react19 / react-dom19 = React 19),
 *   mapped with esbuild's `alias`, which applies to every import in the bundle: `react` inside
 *   @grafana/ui 13 or react-select is React 19 as well. A package that several grafana13-* packages
 *   nest (i18next, react-i18next, react-inlinesvg, ...) is taken from one of them, so the bundle
 *   holds one copy as Grafana's own build does.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

export const REPO_ROOT = path.resolve(__dirname, '../..');
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
export const HOST_ENTRY = path.join(__dirname, 'host/host.tsx');

export interface GrafanaHostVersion {
  /** A label for file names and test titles: `12.4`, `13`. */
  label: string;
  /** Package name → the installed package standing for it in this host's bundle. */
  alias: Record<string, string>;
  /** Folders whose nested node_modules hold the one copy of packages that the aliased ones nest. */
  dedupeFrom: string[];
}

export const GRAFANA_12: GrafanaHostVersion = { label: '12.4', alias: {}, dedupeFrom: [] };

const G13 = ['grafana13-ui', 'grafana13-runtime', 'grafana13-data', 'grafana13-i18n', 'grafana13-schema', 'grafana13-e2e-selectors'];

export const GRAFANA_13: GrafanaHostVersion = {
  label: '13',
  alias: {
    '@grafana/data': 'grafana13-data',
    '@grafana/ui': 'grafana13-ui',
    '@grafana/runtime': 'grafana13-runtime',
    '@grafana/i18n': 'grafana13-i18n',
    '@grafana/schema': 'grafana13-schema',
    '@grafana/e2e-selectors': 'grafana13-e2e-selectors',
    react: 'react19',
    'react-dom': 'react-dom19',
  },
  dedupeFrom: G13.map((name) => path.join(NODE_MODULES, name, 'node_modules')),
};

/** The folder of the package that `name` is in a host's bundle. */
export function packageDir(host: GrafanaHostVersion, name: string): string {
  return path.join(NODE_MODULES, host.alias[name] ?? name);
}

/** The version of the package that `name` is in a host's bundle. */
export function bundledVersion(host: GrafanaHostVersion, name: string): string {
  const dir = packageDir(host, name);
  return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every bare import of a package that the aliased packages nest resolves to one nested copy (the first of dedupeFrom that has it). */
function dedupe(host: GrafanaHostVersion): Plugin {
  return {
    name: 'grafana-host-dedupe',
    setup(b) {
      if (host.dedupeFrom.length === 0) return;
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'dedupe') return undefined;
        const name = packageName(args.path);
        if (host.alias[name]) return undefined;
        const owner = host.dedupeFrom.find((dir) => existsSync(path.join(dir, name, 'package.json')));
        if (!owner) return undefined;
        const resolved = await b.resolve(args.path, { resolveDir: owner, kind: args.kind, importer: args.importer, pluginData: 'dedupe' });
        return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: resolved.sideEffects };
      });
    },
  };
}

/** The packages a bundle's inputs come from, by the folder under the top node_modules (`grafana13-ui` for its nested copies too). */
export function topPackages(inputs: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const input of inputs) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.split(path.sep).join('/'));
    if (m) names.add(m[1]);
  }
  return names;
}

/** Builds the host's script into outfile; resolves with its size and its inputs (paths relative to the repository). */
export async function buildHost(host: GrafanaHostVersion, outfile: string): Promise<{ bytes: number; inputs: string[] }> {
  const result = await build({
    entryPoints: [HOST_ENTRY],
    outfile,
    absWorkingDir: REPO_ROOT,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    alias: host.alias,
    plugins: [dedupe(host)],
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    // Styles that packages import for side effects (react-calendar's CSS) are not drawn by these editors.
    loader: { '.css': 'empty', '.svg': 'text', '.woff': 'empty', '.woff2': 'empty', '.png': 'empty' },
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { bytes, inputs: Object.keys(result.metafile.inputs) };
}
