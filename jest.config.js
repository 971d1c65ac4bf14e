/** @type {import('jest').Config} */
module.exports = {
  // Every file is checked for what it leaves on the machine (swap, zram0, memcgs, processes,
  // temp files), and so is the whole run: see test/helpers/machine-state.ts.
  testEnvironment: '<rootDir>/test/helpers/guarded-environment.ts',
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testTimeout: 120000,
  // One file at a time: the real-kernel tests share zram swap and memcgs, and time-sensitive
  // tests should not compete for the 2 cores.
  maxWorkers: 1,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
