import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/leak-check.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration and e2e files share one server but each test uses its own database.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
