// Compiles TypeScript entry points into plain JavaScript for the test suite: the slice and training
// workers (compiled-workers.ts) and the child processes that crash tests start dozens of times.
// Starting through tsx costs each thread or process about a second of CPU compiling and resolving
// its modules; a compiled file starts in a fifth of that. The output folder sits in the repo root
// (ignored by git) so the files' npm imports resolve from node_modules.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The workers a compiled engine starts: beside it, as in dist/ (engine/exec/worker-entry.ts). */
const WORKERS = {
  'slice-worker': join(ROOT, 'engine/exec/slice-worker.ts'),
  train_worker: join(ROOT, 'ml/worker/train_worker.ts'),
};

export interface Compiled { dir: string; remove(): void }

/**
 * Compiles `entries` (output name -> source path), with the workers unless `workers` is false
 * (an entry that opens no Database), into a fresh folder shaped like scripts/build.mjs's dist/:
 * lazily loaded code (ML inference, SageMaker) stays in chunks, so a process loads only what it uses.
 */
export async function compile(entries: Record<string, string> = {}, { workers = true } = {}): Promise<Compiled> {
  const dir = mkdtempSync(join(ROOT, '.test-workers-'));
  try {
    await build({
      entryPoints: { ...(workers ? WORKERS : {}), ...entries },
      outdir: dir,
      bundle: true,
      splitting: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      chunkNames: 'chunk-[hash]',
      logLevel: 'warning',
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
