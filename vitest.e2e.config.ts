import { defineConfig } from 'vitest/config';

/**
 * End-to-end suite with the real OpenClaw (see docs/openclaw.md): `npm run test:e2e` installs Node 24
 * and OpenClaw into a cache folder outside the repo (scripts/e2e-setup.sh), then runs this.
 * OpenClaw takes ~10-20 s to start and its first turn is slow: generous timeouts, one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test-e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 480_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
