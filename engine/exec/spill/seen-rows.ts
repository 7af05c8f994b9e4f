// A recursive UNION's table of the rows it has seen, past what fits in memory: rows added after
// the switch go to FANOUT append-only files by whole-row hash (equal rows land in the same
// file). Each round's candidate rows are split the same way and each group is checked against
// its file alone (read back into a table, then given back), so memory holds one file's rows and
// table at a time. A file whose rows and table would not fit in what is left (judged from its
// rows and bytes before reading it) is split again by another hash into FANOUT files, read a
// block at a time, as DISTINCT re-splits a partition (up to MAX_LEVEL). Each round reads every
// file once: a fallback that trades I/O for memory.
import type { Batch } from '../../types/vector.ts';
import type { SqlType } from '../../types/types.ts';
import { KeyBatch, KeyTable, keyKind } from '../hash-table.ts';
import { batchBytes } from '../memory-budget.ts';
import { concatBatches, selectRows } from '../batches.ts';
import type { RunContext } from '../operators/run-context.ts';
import type { SpillWriter } from './spill-file.ts';
import { firstOfEachKey, rowsNotIn } from '../operators/distinct.ts';
import { FANOUT, MAX_LEVEL, PartitionWriter, allColumns, partitionIds, rowsIn } from './hash-partition.ts';

/** Bytes a table of rows seen needs per row (its slots, ids and stored keys), as DISTINCT's. */
const SEEN_ROW_BYTES = 64;

/** Rows seen with one hash: one file, or (split again) FANOUT parts by the next level's hash. */
interface SeenPart { file: SpillWriter; parts: SeenPart[] | null }

export class SeenRowsOnDisk {
  private readonly parts: SeenPart[];
  private readonly kinds;

  constructor(private readonly ctx: RunContext, private readonly types: SqlType[], private readonly what: string) {
    this.kinds = types.map(keyKind);
    this.parts = this.newParts(new PartitionWriter(ctx, allColumns(types), true, 0, 'recursive rows seen'));
  }

  /** The rows of `b` (held by the caller) not seen before, each once (NULLs equal); they are now seen. */
  fresh(b: Batch): Batch {
    const first = this.ctx.reserve(b.length * SEEN_ROW_BYTES, this.what);
    const distinct = firstOfEachKey(b, new KeyTable(this.kinds, b.length));
    this.ctx.release(first);
    return concatBatches(this.types, this.freshIn(this.parts, distinct, 0));
  }

  /** The rows of `rows` (distinct) that `parts` (split at `level`) do not hold, added to them. */
  private freshIn(parts: SeenPart[], rows: Batch, level: number): Batch[] {
    const { part, counts } = partitionIds(rows.columns, rows.length, true, level);
    const out: Batch[] = [];
    for (let p = 0; p < FANOUT; p++) {
      if (counts[p] === 0) continue;
      this.ctx.check();
      const sel = rowsIn(part, counts, p);
      const group: Batch = selectRows(rows, sel, sel.length);
      const at = parts[p];
      if (!at.parts && level < MAX_LEVEL && !this.fits(at.file)) at.parts = this.split(at.file, level + 1);
      if (at.parts) { out.push(...this.freshIn(at.parts, group, level + 1)); continue; }
      const added = this.notIn(at.file, group);
      if (added.length) { at.file.write(added); out.push(added); }
    }
    return out;
  }

  /** Whether a file's rows and their table fit in what is left of the budget. */
  private fits(file: SpillWriter): boolean {
    return file.bytes + file.rows * SEEN_ROW_BYTES <= this.ctx.guard.memory.availableBytes;
  }

  /** A file's rows split by the hash at `level` into FANOUT new files, read a block at a time; the file is deleted. */
  private split(file: SpillWriter, level: number): SeenPart[] {
    const { ctx } = this;
    const into = new PartitionWriter(ctx, allColumns(this.types), true, level, 'recursive rows seen');
    const r = ctx.spill.read(file.path);
    for (let b = r.next(); b; b = r.next()) into.add(b);
    file.close();
    ctx.spill.done(r);
    return this.newParts(into);
  }

  private newParts(w: PartitionWriter): SeenPart[] {
    return w.files.map((file) => ({ file, parts: null }));
  }

  /** The rows of `group` that `file` does not hold: the file read back into a table, then given back. */
  private notIn(file: SpillWriter, group: Batch): Batch {
    const { ctx } = this;
    if (file.rows === 0) return group;
    const r = ctx.spill.read(file.path);
    const blocks = r.all();
    ctx.spill.letGo(r);
    const held = ctx.reserve(blocks.reduce((s, b) => s + batchBytes(b), 0) + file.rows * SEEN_ROW_BYTES, this.what);
    const table = new KeyTable(this.kinds, file.rows);
    for (const b of blocks) table.insert(new KeyBatch(b.columns, b.length, true));
    ctx.release(held);
    return rowsNotIn(table, group);
  }
}
