/**
 * Two projects, so the quick tests need no build:
 * - fast: unit, synth and client tests. No deploy, no `npm pack`; they run
 *   the sources through ts-jest (synth only checks that dist/hook/hook.js
 *   exists, which `npm ci` builds). `npm run test:fast`.
 * - deploy: everything else (real deploys of the hook bundle, the packed
 *   tarball, the built CLI). Its globalSetup builds dist/ and packs the
 *   tarball once per run, and only when a test of this project is selected.
 * A new test file is in `deploy` unless FAST names it: a test never runs
 * without the build it may need.
 */
const FAST = [
  "/test/unit/[^/]+\\.test\\.ts$",
  "/test/synth\\.test\\.ts$",
  "/test/snapshot\\.test\\.ts$",
  "/test/control-plane\\.test\\.ts$",
  "/test/client-faults\\.test\\.ts$",
  "/test/variables\\.test\\.ts$",
  "/test/tfstate\\.test\\.ts$",
  "/test/network/(answers|deadlines|proxy)\\.test\\.ts$",
];

const common = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 180000,
  projects: [
    { ...common, displayName: "fast", testRegex: FAST },
    {
      ...common,
      displayName: "deploy",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...FAST],
      globalSetup: "<rootDir>/test/support/global-setup.js",
      globalTeardown: "<rootDir>/test/support/global-teardown.js",
    },
  ],
};
