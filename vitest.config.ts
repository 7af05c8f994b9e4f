// Test timeouts sized for a 2-core CI machine: many suites start slice workers, servers or child
// processes, so the defaults (5 s per test, 10 s per hook) measure the machine, not the code.
// Tests never assert speed; a test that needs longer still says so itself.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // two test files at once, on a 2-core machine too (vitest's default is cores - 1: one file).
    // A file spends much of its time waiting on the slice workers, servers and child processes it
    // starts, which the other file's work fills; files share no directories or ports. The whole
    // suite on a quiet 2-core machine: 619 s one file at a time, 380 s two at a time.
    maxWorkers: 2,
    // slice and training workers compiled once per run (see the file)
    globalSetup: ['test/support/compiled-workers.ts'],
  },
});
