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
