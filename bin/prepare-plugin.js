#!/usr/bin/env node
'use strict';
// npm runs `prepare` after `npm ci` and `npm install`: it leaves dist/ (the Grafana plugin) built.
// A production install (--omit=dev) has no webpack and needs no plugin: it says so and succeeds.
const path = require('node:path');
const { spawnSync } = require('node:child_process');

let cli;
try {
  require.resolve('webpack');
  cli = require.resolve('webpack-cli/bin/cli.js');
} catch {
  console.log('prepare: webpack is not installed (a production install?): the Grafana plugin is not built; npm run build builds it');
  process.exit(0);
}
const result = spawnSync(process.execPath, [cli, '-c', 'webpack.config.ts'], { stdio: 'inherit', cwd: path.resolve(__dirname, '..') });
process.exit(result.status ?? 1);
