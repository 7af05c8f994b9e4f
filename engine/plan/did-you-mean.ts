// "Did you mean" hints for unknown names: the closest known name by edit distance, when it is
// close enough to be a likely typo (at most a third of the name's length, and at most 3 edits).

/** Levenshtein distance, case-insensitive (identifiers fold to lower case). */
function distance(a: string, b: string): number {
  a = a.toLowerCase(); b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** ` (did you mean "x"?)` for the closest candidate, or '' when none is close. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | null = null;
  let bestD = limit + 1;
  for (const c of new Set(candidates)) {
    if (c === name) continue;
    const d = distance(name, c);
    if (d < bestD || (d === bestD && best !== null && c < best)) { best = c; bestD = d; }
  }
  return best === null ? '' : ` (did you mean "${best}"?)`;
}
