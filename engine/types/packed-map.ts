// `xs.map(f)` whose result has one elements kind whichever V8 tier runs the caller. Once
// TurboFan optimizes a function, the `.map` calls it inlines return HOLEY arrays, where the
// interpreter's and the builtin's are PACKED. So a per-batch function (the scan's batch of
// columns, a probe's key columns, a kernel's value arrays) hands its consumers arrays of a new
// map the moment it is optimized, late in a process (TPC-H Q3/Q5 at SF 1: runs 8-14), and every
// optimized consumer (probe, KeyBatch, the generated kernels) deoptimizes on "wrong map" and is
// compiled again, for 100-600 ms of a helper thread's CPU beside the slices. Pushing into an
// array literal gives PACKED arrays in every tier (as filter, slice and spreads already do).

/** f over each element of `xs`, in order, as a new PACKED array (a hole is read as undefined, not skipped). */
export function packedMap<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i], i));
  return out;
}

/**
 * An empty array whose elements kind is already the most general one (PACKED_ELEMENTS), so
 * pushing numbers, strings or objects never changes its map. An empty literal starts as Smi
 * elements and moves on as values come, or starts wherever its allocation site has learned to:
 * the arrays of one site then differ by run and by tier, and optimized code reading them
 * deoptimizes ("wrong map", "not a Smi") on the first one of another kind.
 */
export function taggedArray<T>(): T[] {
  const out: (T | null)[] = [null];
  out.pop();
  return out as T[];
}
