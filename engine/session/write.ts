// Writing rows into a table: distribute them over the slices (EVEN, KEY or ALL), order each
// slice's rows by the sort key, and have each slice write its own immutable segments.
import { randomUUID } from 'node:crypto';
import type { Batch } from '../types/vector.ts';
import { gather } from '../types/vector.ts';
import type { SegmentEntry, TableState, ZoneEntry } from '../catalog/catalog.ts';
import type { SegmentMeta } from '../storage/segment.ts';
import type { WrittenSegment } from '../exec/stats-gather.ts';
import { mergeWrite } from '../catalog/table-stats.ts';
import type { StatementContext } from './context.ts';
import { sortByColumns } from '../exec/sort-rows.ts';
import { toWire } from '../exec/wire.ts';
import { placeRows } from '../exec/partition.ts';
import { SqlError } from '../errors.ts';
import { findTableById } from '../catalog/lookup.ts';

export const SEGMENT_ROWS = Number(process.env.STRATA_SEGMENT_ROWS ?? 1_000_000);

/** Zone map entries as the catalog stores them (JSON-safe: non-finite bounds become unknown). */
export function zonesOf(meta: SegmentMeta): ZoneEntry[] {
  return meta.columns.map((c) => {
    const ok = (v: number | string | null) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    const exact = c.exactMin !== undefined ? { exactMin: c.exactMin, exactMax: c.exactMax } : {};
    return { min: ok(c.min), max: c.hasNaN ? null : ok(c.max), nullCount: c.nullCount, encoding: c.encoding, ...exact };
  });
}

export function segmentEntry(file: string, slice: number, meta: SegmentMeta, slices: number): SegmentEntry {
  return { file, slice, slices, rows: meta.rows, bytes: meta.bytes, zones: zonesOf(meta), deletedCount: 0 };
}

/** Which slice each row goes to. */
export function distribute(table: TableState, batch: Batch, slices: number): number[][] | 'all' {
  if (table.distStyle === 'ALL') return 'all';
  const parts: number[][] = Array.from({ length: slices }, () => []);
  if (table.distStyle === 'KEY' && table.distKey !== null) {
    const col = batch.columns[table.distKey];
    const dest = placeRows(col, batch.length, slices);
    for (let r = 0; r < batch.length; r++) parts[dest[r]].push(r);
    return parts;
  }
  // EVEN: small batches go whole to the next slice in turn; large ones are split evenly
  if (batch.length < 4096) {
    const s = table.rr % slices;
    for (let r = 0; r < batch.length; r++) parts[s].push(r);
    return parts;
  }
  const per = Math.ceil(batch.length / slices);
  for (let r = 0; r < batch.length; r++) parts[Math.floor(r / per)].push(r);
  return parts;
}

/** Checks NOT NULL columns before anything is written. */
export function checkNotNull(table: TableState, batch: Batch): void {
  table.columns.forEach((c, i) => {
    const v = batch.columns[i];
    if (c.notNull && v.valid && v.valid.indexOf(0) >= 0 && v.valid.subarray(0, batch.length).indexOf(0) >= 0) {
      throw new SqlError('NOT_NULL_VIOLATION', `null value in column "${c.name}" violates not-null constraint`);
    }
  });
}

/**
 * Writes rows (columns in table order and types) as new segments and records them in the
 * transaction. Nothing is visible to others until the transaction commits.
 */
export async function appendRows(ctx: StatementContext, table: TableState, batch: Batch): Promise<number> {
  if (batch.length === 0) return 0;
  checkNotNull(table, batch);
  const slices = ctx.db.slices;
  const plan = distribute(table, batch, slices);
  const jobs: Promise<{ entry: SegmentEntry; sketches: WrittenSegment['sketches'] }>[] = [];
  const writePart = (slice: number, part: Batch) => {
    const sorted = sortByColumns(part, table.sortKey);
    for (let start = 0; start < sorted.length; start += SEGMENT_ROWS) {
      const n = Math.min(SEGMENT_ROWS, sorted.length - start);
      const sel = start === 0 && n === sorted.length ? null : Uint32Array.from({ length: n }, (_, i) => start + i);
      const cols = sorted.columns.map((c) => gather(c, sel, n));
      const file = `seg-${randomUUID()}.arrow`;
      ctx.txn.newFiles.add(file);
      const sent = toWire(cols, 'move'); // the gathered columns are this write's own
      jobs.push(ctx.db.pool.call<WrittenSegment>(slice, { op: 'write', file, columns: sent.columns, encodings: table.columns.map((c) => c.encoding) }, sent.transfer).then((meta) => ({ entry: segmentEntry(file, slice, meta, slices), sketches: meta.sketches })));
    }
  };
  if (plan === 'all') for (let s = 0; s < slices; s++) writePart(s, batch);
  else plan.forEach((rows, s) => {
    if (!rows.length) return;
    const sel = rows.length === batch.length ? null : Uint32Array.from(rows);
    writePart(s, sel ? { length: rows.length, columns: batch.columns.map((c) => gather(c, sel, rows.length)) } : batch);
  });
  const written = await Promise.all(jobs);
  addSegments(ctx, table.id, written.map((w) => w.entry), 'append', written.map((w) => w.sketches));
  return batch.length;
}

/**
 * Records new segments of a table in the transaction (replayable at commit), merging them into
 * the table's statistics; `sketches[k]` are the column sketches of entries[k] when known.
 */
export function addSegments(ctx: StatementContext, tableId: string, entries: SegmentEntry[], kind: 'append' | 'modify', sketches: (WrittenSegment['sketches'] | undefined)[] = []): void {
  const current = findTableById(ctx.state, tableId)!;
  ctx.txn.touchTable(tableId, current.version, kind);
  ctx.txn.apply((s) => {
    const t = findTableById(s, tableId);
    if (!t) throw new SqlError('UNDEFINED_TABLE', 'the table was dropped by a concurrent transaction');
    t.segments.push(...entries);
    mergeWrite(t, entries, sketches);
    if (t.distStyle === 'EVEN') t.rr = (t.rr + 1) % 1_000_000;
  });
}
