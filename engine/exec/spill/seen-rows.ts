// A recursive UNION's table of the rows it has seen, past what fits in memory: rows added after
// the switch go to FANOUT append-only files by whole-row hash (equal rows land in the same
// file). Each round's candidate rows are split the same way and each group is checked against
// its file alone (read back into a table, then given back), so memory holds one file's rows and
// table at a time. Each round reads every file once: a fallback that trades I/O for memory.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { batchBytes } from '../memory-budget.ts';
import { concatBatches, selectRows } from '../batches.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SpillWriter } from './spill-file.ts';
import { FANOUT, partitionIds, rowsIn } from './hash-partition.ts';

/** Bytes a table of rows seen needs per row (its slots, ids and stored keys), as DISTINCT's. */
const SEEN_ROW_BYTES = 64;

export class SeenRowsOnDisk {
  private readonly files: SpillWriter[];
  private readonly counts = new Int32Array(FANOUT);

  constructor(private readonly ctx: RunContext, private readonly types: SqlType[], private readonly what: string) {
    this.files = Array.from({ length: FANOUT }, () => ctx.spill.create('recursive rows seen'));
  }

  /** The rows of `b` (held by the caller) not seen before, each once (NULLs equal); they are now seen. */
  fresh(b: Batch): Batch {
    const { ctx, types } = this;
    const kinds = types.map(keyKind);
    const local = new KeyTable(kinds, b.length);
    const first = ctx.reserve(b.length * SEEN_ROW_BYTES, this.what);
    const ids = local.insert(new KeyBatch(b.columns, b.length, true));
    ctx.release(first);
    // the first row of each distinct row, split by the hash files use
    const keep: number[] = [];
    for (let r = 0, next = 0; r < b.length; r++) if (ids[r] === next) { keep.push(r); next++; }
    const sel0 = Uint32Array.from(keep);
    const cand: Batch = selectRows(b, sel0, keep.length);
    const { part, counts } = partitionIds(cand.columns, cand.length, true, 0);
    const out: Batch[] = [];
    for (let p = 0; p < FANOUT; p++) {
      if (counts[p] === 0) continue;
      ctx.check();
      const sel = rowsIn(part, counts, p);
      const group: Batch = selectRows(cand, sel, sel.length);
      const added = this.notIn(p, group, kinds);
      if (added.length) { this.files[p].write(added); this.counts[p] += added.length; out.push(added); }
    }
    return concatBatches(types, out);
  }

  /** The rows of `group` that file `p` does not hold: the file read back into a table, then given back. */
  private notIn(p: number, group: Batch, kinds: ReturnType<typeof keyKind>[]): Batch {
    const { ctx } = this;
    if (this.counts[p] === 0) return group;
    const r = ctx.spill.read(this.files[p].path);
    const blocks = r.all();
    ctx.spill.letGo(r);
    const held = ctx.reserve(blocks.reduce((s, b) => s + batchBytes(b), 0) + this.counts[p] * SEEN_ROW_BYTES, this.what);
    const table = new KeyTable(kinds, this.counts[p]);
    for (const b of blocks) table.insert(new KeyBatch(b.columns, b.length, true));
    const found = table.find(new KeyBatch(group.columns, group.length, true));
    ctx.release(held);
    const keep: number[] = [];
    for (let r2 = 0; r2 < group.length; r2++) if (found[r2] === -1) keep.push(r2);
    if (keep.length === group.length) return group;
    const sel = Uint32Array.from(keep);
    return selectRows(group, sel, keep.length);
  }
}
