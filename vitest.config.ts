import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // One line before anything runs: whether real libvirt guests will be started, and how to leave them out.
    globalSetup: ['./test/global-setup.ts'],
    // node:sqlite prints an ExperimentalWarning on stderr; keep test output clean.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PTY tests start real processes: keep them from starving each other on a 2-core machine.
    maxWorkers: 2,
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
