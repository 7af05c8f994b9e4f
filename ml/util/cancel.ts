// Cooperative cancellation and time budgets for long training loops.
import { SqlError } from '../../engine/errors.ts';

/** Throws QUERY_CANCELED when the signal has fired; trainers call this between steps. */
export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new SqlError('QUERY_CANCELED', 'model training was canceled');
}

/** Lets the event loop run (so an abort or a worker message can arrive) and then checks the signal. */
export async function yieldAndCheck(signal?: AbortSignal): Promise<void> {
  await new Promise((r) => setImmediate(r));
  checkAbort(signal);
}
