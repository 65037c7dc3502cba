#!/usr/bin/env node
'use strict';
// Runs one TypeScript file (benchmarks, scripts) with tsx's loader.
require('tsx/cjs/api').register();
const path = require('node:path');
require(path.resolve(process.argv[2]));
