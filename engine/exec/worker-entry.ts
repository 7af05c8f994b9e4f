// Which file a worker thread (a slice, a training run) starts from.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * In a dist/ build the compiled worker sits next to the calling module (`compiled`); from the
 * TypeScript sources an entry that registers tsx first (`tsxEntry`), which costs each new thread
 * about a second of CPU compiling and resolving ~100 modules. STRATA_WORKER_DIR names a folder of
 * workers compiled from these same sources instead: the test suite builds one at its start
 * (test/support/compiled-workers.ts), since it opens hundreds of databases.
 */
export function workerEntry(moduleUrl: string, compiled: string, tsxEntry: string): URL {
  if (moduleUrl.endsWith('.js')) return new URL(`./${compiled}`, moduleUrl);
  const dir = process.env.STRATA_WORKER_DIR;
  if (dir) return pathToFileURL(join(dir, compiled));
  return new URL(`./${tsxEntry}`, moduleUrl);
}
