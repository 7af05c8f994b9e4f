// vitest globalSetup: compiles the slice and training workers from the sources once per run and
// points STRATA_WORKER_DIR at them (engine/exec/worker-entry.ts). Every Database a test opens then
// starts its slices from plain JavaScript, ~0.2 s of CPU each instead of ~1 s through tsx; test
// files and the processes they start inherit the variable. The tsx entries keep their own tests
// (test/engine/exec/worker-entry.test.ts, test/ml/worker/start.test.ts).
import { compile } from './compile.ts';

export default async function setup(): Promise<() => void> {
  const workers = await compile();
  process.env.STRATA_WORKER_DIR = workers.dir;
  // the suite opens hundreds of databases: their slices skip the warm-up (~0.2-0.4 s of CPU each);
  // test/engine/exec/slice-warmup.test.ts turns it on
  process.env.STRATA_SLICE_WARMUP = '0';
  return () => workers.remove();
}
