import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real server processes and measure timeouts; on two cores one file at a time keeps
    // those timings honest whether or not the runner sets CI. TEST_WORKERS=2 is quicker on a bigger machine.
    maxWorkers: Number(process.env.TEST_WORKERS ?? 1),
    fileParallelism: true,
  },
});
