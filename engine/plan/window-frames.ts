// A frame that slides to the partition's end (`ROWS n PRECEDING AND UNBOUNDED FOLLOWING`, `RANGE
// BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING`) loses rows at its start as the walk moves on, so an
// aggregate over it would be taken again for every row, over rows kept until the partition ends.
// Read in the opposite order the same frame only grows: it becomes a frame from the partition's
// first row, one running accumulator on every path (in memory, sorted, in the slices).
import type { WindowCall } from './logical.ts';

/**
 * The SELECT's window calls, each frame sliding to the partition's end mirrored (`mirroredFrame`)
 * where that cannot change an answer. Reversing the ORDER BY does not reverse the order of rows
 * that tie on it (the sort leaves them as it found them), so a ROWS frame is mirrored only when
 * no other call reads the same window (PARTITION BY and ORDER BY) without being mirrored too:
 * `row_number()` over that window would count tied rows in one order and the mirrored frame take
 * them in another. A RANGE frame's peers share it, so their order never matters.
 */
export function mirroredFrames(calls: WindowCall[]): WindowCall[] {
  const mirrored = calls.map(mirroredFrame);
  const window = (c: WindowCall) => JSON.stringify([c.partitionBy, c.orderBy]);
  const movesRows = (i: number) => mirrored[i] !== calls[i] && calls[i].frame!.units === 'ROWS';
  return calls.map((c, i) => {
    if (!movesRows(i)) return mirrored[i];
    const shared = calls.some((o, j) => j !== i && !movesRows(j) && window(o) === window(c));
    return shared ? c : mirrored[i];
  });
}

/**
 * The call computed over the mirror image of its frame when that frame ends at the partition's end
 * and starts past its first row: the ORDER BY reversed (ASC <-> DESC, NULLS FIRST <-> LAST) and
 * the start offset becoming the end offset (n PRECEDING <-> n FOLLOWING), which gives each row the
 * same rows. Only aggregates whose value does not depend on the order they are fed in: LISTAGG
 * joins its frame in order, and first_value, last_value and nth_value already read one row.
 */
function mirroredFrame(call: WindowCall): WindowCall {
  const f = call.frame;
  if (call.fn !== 'agg' || call.agg!.fn === 'listagg' || !f || f.end !== null || f.start === null) return call;
  // without ORDER BY there is no order to reverse: a RANGE frame from CURRENT ROW is the whole
  // partition, and a ROWS frame follows the rows' arbitrary order, which other calls (row_number()
  // OVER ()) see too
  if (!call.orderBy.length) return call;
  return {
    ...call,
    orderBy: call.orderBy.map((k) => ({ ...k, desc: !k.desc, nullsFirst: !k.nullsFirst })),
    frame: { units: f.units, start: null, end: f.units === 'RANGE' ? 0 : -f.start },
  };
}
