// Compiles TypeScript entry points into plain JavaScript for the test suite: the slice and training
// workers (compiled-workers.ts) and the child processes that crash tests start dozens of times.
// Starting through tsx costs each thread or process about a second of CPU compiling and resolving
// its modules; a compiled file starts in a fifth of that. The output folder sits in the repo root
// (ignored by git) so the files' npm imports resolve from node_modules.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_OPTIONS, ROOT, WORKER_ENTRIES } from '../../scripts/esbuild-options.mjs';

export { ROOT };

export interface Compiled { dir: string; remove(): void }

/**
 * Compiles `entries` (output name -> source path), with the workers unless `workers` is false
 * (an entry that opens no Database), into a fresh folder shaped like scripts/build.mjs's dist/:
 * lazily loaded code (ML inference, SageMaker) stays in chunks, so a process loads only what it uses.
 */
export async function compile(entries: Record<string, string> = {}, { workers = true } = {}): Promise<Compiled> {
  const dir = mkdtempSync(join(ROOT, '.test-workers-'));
  try {
    await build({ ...BUILD_OPTIONS, entryPoints: { ...(workers ? WORKER_ENTRIES : {}), ...entries }, outdir: dir });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
