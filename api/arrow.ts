// Bulk results as an Arrow IPC stream (GET/POST /arrow): far smaller and faster to read than
// JSON rows for large results. DECIMAL and TIMESTAMP travel as exact text.
import { Table, tableToIPC, vectorFromArray, Int16, Int32, Int64, Float32, Float64, Bool, DateMillisecond, Utf8, type DataType, type Vector } from 'apache-arrow';
import type { Result } from '../engine/database.ts';

/** SQL type name -> Arrow type and value conversion (the one place types are mapped). */
const ARROW_TYPES: { test: RegExp; type: () => DataType; value: (v: unknown) => unknown }[] = [
  { test: /^SMALLINT$/, type: () => new Int16(), value: (v) => v },
  { test: /^INTEGER$/, type: () => new Int32(), value: (v) => v },
  { test: /^BIGINT$/, type: () => new Int64(), value: (v) => (v === null ? null : BigInt(v as number | string)) },
  { test: /^REAL$/, type: () => new Float32(), value: (v) => v },
  { test: /^DOUBLE PRECISION$/, type: () => new Float64(), value: (v) => v },
  { test: /^BOOLEAN$/, type: () => new Bool(), value: (v) => v },
  { test: /^DATE$/, type: () => new DateMillisecond(), value: (v) => (v === null ? null : new Date(`${v}T00:00:00Z`)) },
];
const TEXT = { type: () => new Utf8(), value: (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v)) };

/** A result's rows as one Arrow IPC stream. Column names are made unique (a, a_1, ...). */
export function resultToArrow(r: Result): Uint8Array {
  const seen = new Map<string, number>();
  const cols: Record<string, Vector> = {};
  r.columns.forEach((c, i) => {
    const m = ARROW_TYPES.find((t) => t.test.test(c.type)) ?? TEXT;
    const values = r.rows.map((row) => (row[i] === null || row[i] === undefined ? null : m.value(row[i])));
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    cols[n ? `${c.name}_${n}` : c.name] = vectorFromArray(values, m.type()) as Vector;
  });
  return tableToIPC(new Table(cols), 'stream');
}
