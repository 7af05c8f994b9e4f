// vitest globalSetup: compiles the slice and training workers from the sources once per run and
// points STRATA_WORKER_DIR at them (engine/exec/worker-entry.ts). Every Database a test opens then
// starts its slices from plain JavaScript, ~0.2 s of CPU each instead of ~1 s through tsx; test
// files and the processes they start inherit the variable. The tsx entries keep their own tests
// (test/engine/exec/worker-entry.test.ts, test/ml/worker/start.test.ts). It also builds dist/
// when a source changed since the last build, as `npm install` does: tests start the `strata`
// command (bin/strata.js) dozens of times, and from a stale dist/ each start compiles the sources
// through tsx (~1 s of CPU: a stale dist/ made kill-server.test 18 s, 9 s fresh).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { compile, ROOT } from './compile.ts';
import { distIsFresh } from '../../bin/dist-fresh.js';

export default async function setup(): Promise<() => void> {
  if (!distIsFresh(ROOT)) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  const workers = await compile();
  process.env.STRATA_WORKER_DIR = workers.dir;
  // the suite opens hundreds of databases: their slices skip the warm-up (~0.2-0.4 s of CPU each);
  // test/engine/exec/slice-warmup.test.ts turns it on
  process.env.STRATA_SLICE_WARMUP = '0';
  return () => workers.remove();
}
