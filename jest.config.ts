/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

const transform: Config['transform'] = {
  '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' } }],
};

/**
 * The plugin's transform: JSX with React's automatic runtime, and the ES-module-only packages that
 * @grafana/* pull in (d3's `main` is an .mjs file) turned into CommonJS like the sources.
 */
const pluginTransform: Config['transform'] = {
  '^.+\\.(t|j)sx?$|^.+\\.mjs$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022', transform: { react: { runtime: 'automatic' } } } },
  ],
};

/** Packages under node_modules that ship only ES modules (as in @grafana/create-plugin's .config/jest/utils.js). */
const ESM_PACKAGES = [
  '@grafana/schema',
  '@wojtekmaj/date-utils',
  'd3',
  'd3-[a-z-]+',
  'get-user-locale',
  'marked',
  'memoize',
  'mimic-function',
  'ol',
  'react-calendar',
  'react-colorful',
  'rxjs',
  'uuid',
  'internmap',
];

/**
 * CI runs the suite twice, the second time in another time zone (.ci/run). These suites test
 * processes, a browser, hostile bytes, configuration files and wire encodings rather than time, and
 * take more than half of a pass: the second pass leaves them out.
 */
const SECOND_PASS_SKIPS = [
  '<rootDir>/src/exporter/resilience\\.test\\.ts',
  '<rootDir>/src/exporter/e2e\\.test\\.ts',
  '<rootDir>/src/exporter/packages\\.test\\.ts',
  '<rootDir>/src/exporter/senders/',
  '<rootDir>/src/plugin-browser/',
  '<rootDir>/src/deploy\\.test\\.ts',
  '<rootDir>/src/hostile-provider\\.test\\.ts',
  '<rootDir>/src/bridge/hostile-bridge\\.test\\.ts',
  '<rootDir>/src/cli/demo\\.test\\.ts',
];

const config: Config = {
  // Emulator round trips on a busy 2-core machine; no test asserts a duration.
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/plugin/', ...(process.env.CDN_SECOND_ZONE_PASS === '1' ? SECOND_PASS_SKIPS : [])],
      transform,
    },
    // The Grafana plugin (src/plugin), which runs in a browser.
    {
      displayName: 'jsdom',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/src'],
      testMatch: ['<rootDir>/src/plugin/**/*.test.ts?(x)'],
      transform: pluginTransform,
      transformIgnorePatterns: [`node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
      moduleNameMapper: {
        '\\.(css|scss|sass)$': '<rootDir>/src/plugin/testing/style-mock.ts',
        '^react-inlinesvg$': '<rootDir>/src/plugin/testing/inline-svg-mock.tsx',
      },
      setupFilesAfterEnv: ['<rootDir>/src/plugin/testing/setup.ts'],
    },
  ],
};

export default config;
