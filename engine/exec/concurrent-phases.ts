// Phases of one statement that do not depend on each other — the build sides of one slice
// pipeline's broadcast joins, a plan's uncorrelated subqueries — run at once. Each is mostly a
// round trip to the slices (they take requests concurrently and interleave them), so the round
// trips overlap instead of following one another. When one phase fails, the statement's flag
// stops the others at their next batch, and the first error is thrown only once every phase has
// settled: no slice request of the statement outlives it (its spill files go when the plan ends).

/** Runs `phases` concurrently; their results in order, or the first failure once all settled. */
export async function allPhases<T>(stop: () => void, phases: (() => Promise<T>)[]): Promise<T[]> {
  if (phases.length <= 1) return Promise.all(phases.map((p) => p()));
  let failure: { error: unknown } | null = null;
  const settled = await Promise.allSettled(phases.map((phase) => phase().catch((error: unknown) => {
    if (!failure) { failure = { error }; stop(); }
    throw error;
  })));
  if (failure) throw (failure as { error: unknown }).error;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
