import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Real engines, real Docker and real HTTP: generous per-test limits, never timing assertions.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two cores: more workers only thrash.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
