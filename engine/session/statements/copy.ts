// COPY (CSV into a table, parsed in parallel by the slices; Parquet, read by the leader in batches)
// and UNLOAD (query results to a CSV, JSON or Parquet file).
import { open, stat, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { CREATE_NEW } from '../file-access.ts';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { done } from '../session.ts';
import { SqlError, type ErrorCode } from '../../errors.ts';
import type { LoadColumn, ParquetColumn, ParquetSource } from '../../storage/parquet.ts';
import type { CsvRangeRequest, CsvRangeResult } from '../../exec/csv.ts';
import { fromWire, type WireColumn } from '../../exec/wire.ts';

/** A slice's parsed range as it arrives: returned columns in wire form. */
type SentCsvRange = Omit<CsvRangeResult, 'columns'> & { columns?: WireColumn[] };
import type { TableState } from '../../catalog/catalog.ts';
import { appendRows, addSegments, segmentEntry, SEGMENT_ROWS } from '../write.ts';
import type { Vector, Batch } from '../../types/vector.ts';
import type { WrittenSegment } from '../../exec/stats-gather.ts';
import { projectBatch } from '../../exec/kernels.ts';
import type { BExpr } from '../../plan/bound.ts';
import { formatAt } from '../format.ts';
import { valueToText } from '../../types/values.ts';
import { isString, type SqlType } from '../../types/types.ts';
import { physicalAt } from '../format.ts';
import { checkS3Access, downloadS3, isS3, uploadS3 } from '../s3-files.ts';

/** Byte offset just after the first `lines` lines. */
async function skipLines(path: string, lines: number): Promise<number> {
  if (lines <= 0) return 0;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 16);
    let pos = 0, seen = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return pos;
      for (let i = 0; i < bytesRead; i++) if (buf[i] === 10 && ++seen === lines) return pos + i + 1;
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** 1-based line number of a byte offset (only computed when reporting an error). */
async function lineOf(path: string, offset: number): Promise<number> {
  let line = 1, pos = 0;
  for await (const chunk of createReadStream(path, { end: Math.max(0, offset - 1) })) {
    const b = chunk as Buffer;
    for (let i = 0; i < b.length && pos + i < offset; i++) if (b[i] === 10) line++;
    pos += b.length;
  }
  return line;
}

function singleByte(s: string | undefined, dflt: string, what: string, pos: A.Pos): number {
  const v = s ?? dflt;
  if (v === '\\t') return 9;
  if (Buffer.byteLength(v) !== 1) throw new SqlError('INVALID_PARAMETER', `COPY ${what} must be a single one-byte character, got '${v}'`, pos);
  return Buffer.from(v)[0];
}

export async function copy(stmt: A.Copy, ctx: StatementContext): Promise<Result> {
  const o = stmt.options;
  if (o.format && o.format !== 'CSV' && o.format !== 'PARQUET') throw new SqlError('FEATURE_NOT_SUPPORTED', `COPY FORMAT ${o.format} is not supported yet; use CSV or PARQUET`, stmt.pos);
  if (o.compression) throw new SqlError('FEATURE_NOT_SUPPORTED', `compressed COPY input (${o.compression}) is not supported; decompress the file first`, stmt.pos);
  const loc = ctx.writableTable(stmt.table, 'INSERT', stmt.pos);
  if (!isS3(stmt.from)) {
    // the slices read the verified descriptor (/proc/self/fd/N), never the name again
    const file = ctx.files.openRead(stmt.from, 'COPY', stmt.pos);
    try {
      return await copyFile(stmt, ctx, loc.table, file.path, basename(stmt.from));
    } finally {
      file.close();
    }
  }
  // S3: the object is fetched to a private temporary file, then loaded like a local one
  const fetched = await downloadS3(ctx, stmt.from, o, stmt.pos);
  try {
    return await copyFile(stmt, ctx, loc.table, fetched.path, stmt.from);
  } finally {
    await fetched.done();
  }
}

/** COPY from a local file the policy allowed (or a fetched S3 object); errors name it `shown`. */
async function copyFile(stmt: A.Copy, ctx: StatementContext, t: TableState, path: string, shown: string): Promise<Result> {
  const o = stmt.options;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new SqlError('BAD_COPY_FILE', `could not open file "${stmt.from}" for reading`, stmt.pos);
  }
  if (o.format === 'PARQUET') return copyParquet(stmt, ctx, t, path, shown);
  const cols = stmt.columns ? stmt.columns.map((name) => {
    const i = t.columns.findIndex((c) => c.name === name);
    if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${name}" of relation "${t.name}" does not exist`, stmt.pos);
    return i;
  }) : t.columns.map((_, i) => i);
  const start = await skipLines(path, o.ignoreHeader ?? 0);
  const slices = ctx.db.slices;
  // EVEN tables with every column given: each slice parses a range and writes its own segments
  const direct = t.distStyle === 'EVEN' && cols.length === t.columns.length;
  const nRanges = size - start < 1 << 20 ? 1 : slices;
  const base: Omit<CsvRangeRequest, 'start' | 'end' | 'exactStart'> = {
    path,
    delimiter: singleByte(o.delimiter, ',', 'DELIMITER', stmt.pos),
    quote: singleByte(o.quote, '"', 'QUOTE', stmt.pos),
    nullAs: o.nullAs ?? '',
    types: cols.map((i) => t.columns[i].type),
    names: cols.map((i) => t.columns[i].name),
    encodings: cols.map((i) => t.columns[i].encoding),
    segmentRows: direct ? SEGMENT_ROWS : Number.MAX_SAFE_INTEGER,
    sortKey: direct ? t.sortKey : [],
    mode: direct ? 'write' : 'return',
  };
  const span = Math.ceil((size - start) / nRanges);
  const ranges = Array.from({ length: nRanges }, (_, k) => ({ start: start + k * span, end: Math.min(size, start + (k + 1) * span) }));
  const run = (k: number, r: { start: number; end: number }, exactStart: boolean) =>
    ctx.db.pool.call<SentCsvRange>(k % slices, { op: 'copy', request: { ...base, ...r, exactStart } });
  let results = await Promise.all(ranges.map((r, k) => run(k, r, k === 0)));
  // ranges must meet exactly; a quoted newline at a boundary breaks that: parse it in one piece.
  // A range that began inside a quoted field may also have failed on text that is no record, so
  // its error counts only when the range before ended where it began.
  const broken = results.some((r, k) => k > 0 && !results[k - 1].error && r.first !== results[k - 1].last);
  if (broken) results = [await run(0, { start, end: size }, true)];
  for (const r of results) for (const s of r.segments) ctx.txn.newFiles.add(s.file);
  const failed = results.find((r) => r.error);
  if (failed) {
    const e = failed.error!;
    const line = await lineOf(path, e.offset);
    throw new SqlError('BAD_COPY_FILE', `COPY failed: ${shown}:${line + 0}: column "${base.names[e.field] ?? `#${e.field + 1}`}": ${e.message}`, stmt.pos);
  }
  const rows = results.reduce((n, r) => n + r.rows, 0);
  if (direct) {
    const written = results.flatMap((r, k) => r.segments.map((s) => ({ entry: segmentEntry(s.file, k % slices, s.meta as WrittenSegment, slices), sketches: (s.meta as WrittenSegment).sketches })));
    if (written.length) addSegments(ctx, t.id, written.map((w) => w.entry), 'append', written.map((w) => w.sketches));
    return done('COPY', rows);
  }
  // other layouts: gather the parsed columns, add missing columns' defaults, distribute
  const parts = results.filter((r) => r.rows > 0).map((r) => fromWire(r.columns!));
  const { concatVectors } = await import('../../types/vector.ts');
  const parsed: Vector[] = cols.map((_, i) => concatVectors(base.types[i], parts.map((p) => p[i])));
  const batch = fillColumns(t, cols, parsed, rows);
  await appendRows(ctx, t, batch);
  return done('COPY', rows);
}

/** Options that only mean something for delimited text. */
const TEXT_ONLY: [keyof A.CopyOptions, string][] = [
  ['ignoreHeader', 'IGNOREHEADER'], ['delimiter', 'DELIMITER'], ['nullAs', 'NULL AS'], ['quote', 'QUOTE'],
  ['dateFormat', 'DATEFORMAT'], ['timeFormat', 'TIMEFORMAT'], ['emptyAsNull', 'EMPTYASNULL'], ['blanksAsNull', 'BLANKSASNULL'],
  ['removeQuotes', 'REMOVEQUOTES'], ['escape', 'ESCAPE'], ['fillRecord', 'FILLRECORD'], ['trimBlanks', 'TRIMBLANKS'],
  ['acceptInvChars', 'ACCEPTINVCHARS'], ['truncateColumns', 'TRUNCATECOLUMNS'], ['maxError', 'MAXERROR'], ['manifest', 'MANIFEST'],
];

/** Rows gathered before they are written as segments: bounds memory for large files. */
const PARQUET_FLUSH_ROWS = Math.max(65536, SEGMENT_ROWS);

/**
 * COPY ... FORMAT PARQUET: columns are matched by name (case-insensitive), converted exactly
 * (ParquetValueError names the row otherwise), and written in flushes of about a segment.
 * Every flush goes into this statement's transaction, so a failure anywhere loads nothing.
 */
async function copyParquet(stmt: A.Copy, ctx: StatementContext, t: TableState, path: string, file: string): Promise<Result> {
  const bad = TEXT_ONLY.find(([k]) => stmt.options[k] !== undefined);
  if (bad) throw new SqlError('INVALID_PARAMETER', `COPY option ${bad[1]} cannot be used with FORMAT PARQUET`, stmt.pos);
  const pq = await import('../../storage/parquet.ts');
  const failed = (code: ErrorCode, msg: string) => new SqlError(code, `COPY failed: ${file}: ${msg}`, stmt.pos);
  let src: ParquetSource;
  try {
    src = await pq.openParquet(path);
  } catch (e) {
    throw failed('BAD_COPY_FILE', `not a readable Parquet file (${String((e as Error).message ?? e).replace(/^Parquet error: /, '')})`);
  }
  try {
    // match file columns to table columns by name
    const byName = new Map<string, ParquetColumn>();
    for (const c of src.columns) {
      const key = c.name.toLowerCase();
      if (byName.has(key)) throw failed('BAD_COPY_FILE', `the file has two columns named "${c.name}" (names are matched case-insensitively)`);
      byName.set(key, c);
    }
    let cols: number[];
    if (stmt.columns) {
      cols = stmt.columns.map((name) => {
        const i = t.columns.findIndex((c) => c.name === name.toLowerCase() || c.name === name);
        if (i < 0) throw new SqlError('UNDEFINED_COLUMN', `column "${name}" of relation "${t.name}" does not exist`, stmt.pos);
        return i;
      });
      const missing = cols.filter((i) => !byName.has(t.columns[i].name.toLowerCase())).map((i) => t.columns[i].name);
      if (missing.length) throw failed('BAD_COPY_FILE', `the file has no column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (it has ${src.columns.map((c) => `"${c.name}"`).join(', ')})`);
    } else {
      cols = t.columns.map((_, i) => i);
      const names = new Set(t.columns.map((c) => c.name.toLowerCase()));
      const missing = t.columns.filter((c) => !byName.has(c.name.toLowerCase())).map((c) => `"${c.name}"`);
      const extra = src.columns.filter((c) => !names.has(c.name.toLowerCase())).map((c) => `"${c.name}"`);
      if (missing.length || extra.length) {
        const parts = [missing.length ? `missing from the file: ${missing.join(', ')}` : '', extra.length ? `not in the table: ${extra.join(', ')}` : ''];
        throw failed('BAD_COPY_FILE', `the file's columns do not match table "${t.name}" (${parts.filter(Boolean).join('; ')}); give a column list to load some of them`);
      }
    }
    const load: LoadColumn[] = cols.map((i) => {
      const c = t.columns[i];
      const source = byName.get(c.name.toLowerCase())!;
      const problem = pq.loadProblem(source, c.type);
      if (problem) throw failed('DATATYPE_MISMATCH', `column "${c.name}": ${problem}`);
      return { source: source.name, target: c.type };
    });
    // stream, convert, and write in flushes
    const { concatVectors } = await import('../../types/vector.ts');
    let pending: Batch[] = [];
    let pendingRows = 0, rows = 0;
    const flush = async () => {
      if (pendingRows === 0) return;
      const parsed = load.map((l, k) => pending.length === 1 ? pending[0].columns[k] : concatVectors(l.target, pending.map((b) => b.columns[k])));
      const n = pendingRows;
      pending = [];
      pendingRows = 0;
      rows += await appendRows(ctx, t, fillColumns(t, cols, parsed, n));
    };
    try {
      for await (const b of pq.readParquet(src, load)) {
        if (ctx.signal?.aborted) throw new SqlError('QUERY_CANCELED', 'canceling statement due to user request or statement timeout');
        pending.push(b);
        pendingRows += b.length;
        if (pendingRows >= PARQUET_FLUSH_ROWS) await flush();
      }
    } catch (e) {
      if (e instanceof pq.ParquetValueError) {
        const c = load.findIndex((l) => l.source === e.column);
        throw failed('BAD_COPY_FILE', `row ${e.row}: column "${t.columns[cols[c]]?.name ?? e.column}": ${e.message}`);
      }
      if (e instanceof SqlError) throw e;
      throw failed('BAD_COPY_FILE', `could not read the Parquet data: ${String((e as Error).message ?? e)}`);
    }
    await flush();
    return done('COPY', rows);
  } finally {
    pq.closeParquet(src);
  }
}

function fillColumns(t: TableState, cols: number[], parsed: Vector[], rows: number): Batch {
  if (cols.length === t.columns.length && cols.every((c, i) => c === i)) return { length: rows, columns: parsed };
  const exprs: BExpr[] = t.columns.map((c, i) => {
    const k = cols.indexOf(i);
    return k >= 0 ? { k: 'col', index: k, type: c.type } : { k: 'const', value: null, type: c.type };
  });
  return { length: rows, columns: projectBatch({ length: rows, columns: parsed }, exprs, null, rows) };
}

function csvField(s: string, delim: string): string {
  return /[",\n\r]/.test(s) || s.includes(delim) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function unload(stmt: A.Unload, ctx: StatementContext): Promise<Result> {
  const o = stmt.options;
  if (o.format === 'PARQUET') {
    const bad = ([['header', 'HEADER'], ['delimiter', 'DELIMITER'], ['nullAs', 'NULL AS'], ['addQuotes', 'ADDQUOTES'], ['escape', 'ESCAPE'], ['compression', o.compression ?? '']] as const)
      .find(([k]) => o[k] !== undefined);
    if (bad) throw new SqlError('INVALID_PARAMETER', `UNLOAD option ${bad[1]} cannot be used with FORMAT PARQUET (Parquet files are SNAPPY-compressed)`, stmt.pos);
  }
  if (isS3(stmt.to)) checkS3Access(ctx, stmt.to, o, 'UNLOAD', stmt.pos);
  const plan = await ctx.bindQuery(stmt.query);
  const fields = plan.fields.filter((f) => !f.hidden);
  if (o.format === 'PARQUET') {
    const seen = new Set<string>();
    for (const f of fields) {
      const key = f.name.toLowerCase();
      if (seen.has(key)) throw new SqlError('INVALID_PARAMETER', `UNLOAD to Parquet needs distinct column names, and "${f.name}" appears twice; give the columns aliases`, stmt.pos);
      seen.add(key);
    }
  }
  const delim = o.delimiter ?? (o.format === 'CSV' ? ',' : '|');
  const header = o.header && o.format !== 'JSON' ? `${fields.map((f) => csvField(f.name, delim)).join(delim)}\n` : '';
  // the rows are read and written a piece at a time (a result past the memory limit waits in
  // temp files, as a client's does), never formatted or encoded whole
  const { rows } = await ctx.queryStream(plan);
  try {
    // other clients and statements get their turns between pieces (the Parquet writer pulls
    // batches without ever waiting otherwise)
    const next = async () => {
      await ctx.guard.pause();
      ctx.guard.check();
      return rows.nextBatch(UNLOAD_ROWS);
    };
    if (o.format === 'PARQUET') {
      const { parquetPieces } = await import('../../storage/parquet.ts');
      const pieces = parquetPieces(fields.map((f) => ({ name: f.name, type: f.type })), next);
      await writeTarget(stmt, ctx, async (write) => {
        for await (const piece of pieces) await write(piece);
      });
    } else {
      await writeTarget(stmt, ctx, async (write) => {
        if (header) await write(header);
        for (let b = await next(); b; b = await next()) await write(textLines(b, fields, o, delim));
      });
    }
  } finally {
    rows.close();
  }
  return done('UNLOAD', rows.total);
}

/** Rows an UNLOAD formats or encodes and writes at a time. */
const UNLOAD_ROWS = 8192;

/** A batch's rows as UNLOAD's text lines (CSV, delimited or JSON), each ending in a newline. */
function textLines(b: Batch, fields: { name: string; type: SqlType }[], o: A.Unload['options'], delim: string): string {
  const lines: string[] = [];
  for (let r = 0; r < b.length; r++) {
    if (o.format === 'JSON') {
      const obj: Record<string, unknown> = {};
      fields.forEach((f, c) => { obj[f.name] = formatAt(b.columns[c], r); });
      lines.push(JSON.stringify(obj));
      continue;
    }
    lines.push(fields.map((f, c) => {
      const v = physicalAt(b.columns[c], r);
      if (v === null) return o.nullAs ?? '';
      const text = b.columns[c].big?.[r] != null ? String(formatAt(b.columns[c], r)) : valueToText(f.type, v);
      return isString(f.type) || o.format === 'CSV' ? csvField(text, delim) : text;
    }).join(delim));
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/**
 * Writes an UNLOAD's file (through a temporary name, renamed over the target once complete),
 * refusing to replace one without ALLOWOVERWRITE; `fill` writes its content in pieces as it is
 * made. To S3 the pieces go as parts of one upload (`uploadS3`).
 */
async function writeTarget(stmt: A.Unload, ctx: StatementContext, fill: (write: (data: string | Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  if (isS3(stmt.to)) return uploadS3(ctx, stmt.to, stmt.options, stmt.pos, fill);
  // written into the verified directory's descriptor: a temporary file made new (never through a
  // link), then renamed over the target
  const target = ctx.files.openDirForWrite(stmt.to, 'UNLOAD', stmt.pos);
  try {
    if (target.exists && !stmt.options.allowOverwrite) throw new SqlError('DUPLICATE_OBJECT', `UNLOAD target "${stmt.to}" exists; add ALLOWOVERWRITE`, stmt.pos);
    const tmp = target.sibling(`.${basename(stmt.to)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, CREATE_NEW, 0o644);
    try {
      // writeFile on a handle writes on from where the last write ended, every byte
      await fill(async (d) => { await fh.writeFile(d); });
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, target.path);
  } finally {
    target.close();
  }
}

