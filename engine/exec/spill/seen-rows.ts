// A recursive UNION's table of the rows it has seen, past what fits in memory: rows added after
// the switch go to FANOUT append-only files by whole-row hash (equal rows land in the same
// file). Each piece of candidate rows is split the same way and each group is checked against
// its file alone: the group goes into a table (which also keeps one row of each) and the file
// is read past it a block at a time, marking the rows it holds. So memory holds a sixteenth of
// the piece in a table and one block, however many rows were seen: no file is ever read back
// whole (nor has to be split again). Each piece reads every file once: a fallback that trades
// I/O for memory.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { concatBatches, selectRows } from '../batches.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SpillWriter } from './spill-file.ts';
import { FANOUT, PartitionWriter, allColumns, partitionIds, rowsIn } from './hash-partition.ts';

/** Bytes a table of rows seen needs per row (its slots, ids and stored keys), as DISTINCT's. */
const SEEN_ROW_BYTES = 64;

export class SeenRowsOnDisk {
  private readonly files: SpillWriter[];
  private readonly kinds;

  constructor(private readonly ctx: RunContext, private readonly types: SqlType[], private readonly what: string) {
    this.kinds = types.map(keyKind);
    this.files = new PartitionWriter(ctx, allColumns(types), true, 0, 'recursive rows seen').files;
  }

  /** The rows of `b` (held by the caller) not seen before, each once (NULLs equal); they are now seen. */
  fresh(b: Batch): Batch {
    const { part, counts } = partitionIds(b.columns, b.length, true, 0);
    const out: Batch[] = [];
    for (let p = 0; p < FANOUT; p++) {
      if (counts[p] === 0) continue;
      this.ctx.check();
      const sel = rowsIn(part, counts, p);
      const added = this.notIn(this.files[p], selectRows(b, sel, sel.length));
      if (added.length) { this.files[p].write(added); out.push(added); }
    }
    return concatBatches(this.types, out);
  }

  /**
   * The first row of each key in `group` that `file` does not hold: the group in a table, the
   * file read past it a block at a time marking the keys it holds.
   */
  private notIn(file: SpillWriter, group: Batch): Batch {
    const { ctx } = this;
    const held = ctx.reserve(group.length * SEEN_ROW_BYTES, this.what);
    const table = new KeyTable(this.kinds, group.length);
    const ids = table.insert(new KeyBatch(group.columns, group.length, true));
    const done = new Uint8Array(table.size);
    if (file.rows > 0) {
      const r = ctx.spill.read(file.path);
      for (let b = r.next(); b; b = r.next()) {
        ctx.check();
        ctx.hold(b, this.what);
        for (const id of table.find(new KeyBatch(b.columns, b.length, true))) if (id >= 0) done[id] = 1;
        ctx.release(b);
      }
      ctx.spill.letGo(r);
    }
    ctx.release(held);
    const sel = new Uint32Array(group.length);
    let k = 0;
    for (let i = 0; i < group.length; i++) if (!done[ids[i]]) { done[ids[i]] = 1; sel[k++] = i; }
    return k === group.length ? group : selectRows(group, sel, k);
  }
}
