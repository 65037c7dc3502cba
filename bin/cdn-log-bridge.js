#!/usr/bin/env node
'use strict';
// The command runs the TypeScript sources directly through tsx: no build step between a checkout and a run.
require('tsx/cjs/api').register();
require('../src/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  });
