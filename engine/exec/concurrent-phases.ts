// Phases of one statement that do not depend on each other — the build sides of one slice
// pipeline's broadcast joins, a plan's uncorrelated subqueries — run at once. Each is mostly a
// round trip to the slices (they take requests concurrently and interleave them), so the round
// trips overlap instead of following one another. When one phase fails, the statement's flag
// stops the others at their next batch, and the first error is thrown only once every phase has
// settled: no slice request of the statement outlives it (its spill files go when the plan ends).
// A request to every slice is such phases too (gather.ts): a statement fails or is canceled only
// once each slice has stopped and removed its own files. The error is the failure's own, not
// the QUERY_CANCELED its stop made in a phase beside it that settled first, nor an internal
// error that followed from it (a slice reading a file the failed slice had just removed).
import { SqlError } from '../errors.ts';

/**
 * How much an error tells of why the statement failed: a failure of its own (division by zero,
 * a bad cast) over an internal error, which may follow from another phase's failure (a slice
 * reading a partition file the failed slice removed as it stopped), over the QUERY_CANCELED a
 * stop makes.
 */
const weight = (e: unknown): number => (!(e instanceof SqlError) || e.code === 'INTERNAL_ERROR' ? 1 : e.code === 'QUERY_CANCELED' ? 0 : 2);

/**
 * Runs `phases` concurrently; their results in order, or the failure that tells most (see
 * `weight`; the first of those) once all settled: a cancel alone gives QUERY_CANCELED.
 * With `boundMs`, the others are waited for at most that long after the first failure (a
 * slice that does not answer its stop must not hold the statement's error back for good).
 */
export async function allPhases<T>(stop: () => void, phases: (() => Promise<T>)[], boundMs = Infinity): Promise<T[]> {
  if (phases.length <= 1) return Promise.all(phases.map((p) => p()));
  let failure: { error: unknown } | null = null;
  let failed = () => {};
  const firstFailure = new Promise<void>((resolve) => { failed = resolve; });
  const all = Promise.allSettled(phases.map((phase) => phase().catch((error: unknown) => {
    if (!failure) { failure = { error }; stop(); failed(); }
    else if (weight(error) > weight(failure.error)) failure = { error };
    throw error;
  })));
  let timer: NodeJS.Timeout | undefined;
  const settled = boundMs === Infinity ? await all
    : await Promise.race([all, firstFailure.then(() => new Promise<null>((done) => { timer = setTimeout(() => done(null), boundMs); }))]);
  clearTimeout(timer);
  if (failure) throw (failure as { error: unknown }).error;
  return settled!.map((s) => (s as PromiseFulfilledResult<T>).value);
}
