// Deadlines for tests that start processes or race threads: a test's timeout only says when to
// give up on a hang, so on a machine busier than it has cores (several test runs at once, CI
// neighbours) it stretches by the load per core measured when the test file loads.
import { availableParallelism, loadavg } from 'node:os';

/** How many times slower than idle this machine may run now (1 on an idle machine). */
export const LOAD_FACTOR = Math.max(1, loadavg()[0] / availableParallelism());

/** `ms` stretched by the machine's load. */
export function underLoad(ms: number): number {
  return Math.ceil(ms * LOAD_FACTOR);
}
