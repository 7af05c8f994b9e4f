// K-way merge of sorted runs: the slices each sort their own rows and the leader merges the runs
// into one order, taking the smallest head row of any run next (a binary heap of runs), instead
// of sorting all rows again. With a LIMIT it stops after the rows it needs.
import type { SortKey } from '../plan/logical.ts';
import type { Batch } from '../types/vector.ts';
import { rowComparatorYielding } from './batch-sort.ts';
import { selectRows } from './batches.ts';

/** Rows merged between two pauses of the leader. */
const MERGE_STEP = 4096;

/**
 * The first `limit` rows of `all` in sort order, where `all` holds sorted runs one after another
 * (run r is rows starts[r] .. starts[r + 1] - 1). Ties keep run order, then row order, as a
 * stable sort of `all` would.
 */
export async function mergeSortedRuns(all: Batch, starts: number[], keys: SortKey[], limit: number, tick: () => void, pause: () => Promise<void>): Promise<Batch> {
  const n = Math.min(limit, all.length);
  const order = new Uint32Array(n);
  if (n > 0) {
    const cmp = await rowComparatorYielding(all, keys, tick, pause);
    const pos = starts.slice(0, -1), end = starts.slice(1);
    // the heap holds the runs that still have rows, smallest head row first
    const heap: number[] = [];
    const before = (a: number, b: number) => cmp(pos[a], pos[b]) < 0;
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let r = 0; r < pos.length; r++) if (pos[r] < end[r]) heap.push(r);
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
    for (let k = 0; k < n; k++) {
      const r = heap[0];
      order[k] = pos[r]++;
      if (pos[r] === end[r]) { heap[0] = heap[heap.length - 1]; heap.pop(); }
      down(0);
      if ((k & (MERGE_STEP - 1)) === MERGE_STEP - 1) await pause();
    }
  }
  return selectRows(all, order, n);
}
