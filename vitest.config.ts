// Test timeouts sized for a 2-core CI machine: many suites start slice workers, servers or child
// processes, so the defaults (5 s per test, 10 s per hook) measure the machine, not the code.
// Tests never assert speed; a test that needs longer still says so itself.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // slice and training workers compiled once per run (see the file)
    globalSetup: ['test/support/compiled-workers.ts'],
  },
});
