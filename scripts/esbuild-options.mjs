// The esbuild options shared by `npm run build` (dist/) and the test suite's compiled workers
// (test/support/compile.ts), so both produce the same shape: bundled ESM for Node 20, npm packages
// external, lazily loaded code split into chunks that sit flat beside the entries.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The worker-thread entries an engine starts, found beside it (engine/exec/worker-entry.ts). */
export const WORKER_ENTRIES = {
  'slice-worker': join(ROOT, 'engine/exec/slice-worker.ts'),
  train_worker: join(ROOT, 'ml/worker/train_worker.ts'),
};

export const BUILD_OPTIONS = {
  bundle: true,
  splitting: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
};
