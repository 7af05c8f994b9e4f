// Bulk results as an Arrow IPC stream (GET/POST /arrow): far smaller and faster to read than
// JSON rows for large results. DECIMAL and TIMESTAMP travel as exact text.
import { Table, tableToIPC, vectorFromArray, DateMillisecond, Utf8, type DataType, type Vector } from 'apache-arrow';
import type { Result } from '../engine/database.ts';
import { rawArrowType } from '../engine/storage/arrow-types.ts';
import { TYPES, isTypeId, unhandledType } from '../engine/types/types.ts';

/** How a result column travels: its Arrow type and the conversion of its JSON values. */
interface ArrowColumn { type: () => DataType; value: (v: unknown) => unknown }

const TEXT: ArrowColumn = { type: () => new Utf8(), value: (v) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v)) };
const DATE: ArrowColumn = { type: () => new DateMillisecond(), value: (v) => (v === null ? null : new Date(`${v}T00:00:00Z`)) };

/**
 * The Arrow form of a column of the named SQL type: numbers and booleans as the Arrow type they
 * are stored as (TYPES' `arrow`), DATE as a date, DECIMAL, TIMESTAMP, strings (and anything
 * else) as text.
 */
function arrowColumn(typeName: string): ArrowColumn {
  if (!isTypeId(typeName)) return TEXT;
  const info = TYPES[typeName];
  switch (info.kind) {
    case 'integer': case 'float': case 'boolean':
      // an Int64 column takes bigints
      return { type: () => rawArrowType(typeName), value: info.arrow === 'Int64' ? (v) => (v === null ? null : BigInt(v as number | string)) : (v) => v };
    case 'date': return DATE;
    case 'decimal': case 'timestamp': case 'string': case 'null': return TEXT;
    default: return unhandledType(info.kind);
  }
}

/** A result's rows as one Arrow IPC stream. Column names are made unique (a, a_1, ...). */
export function resultToArrow(r: Result): Uint8Array {
  const seen = new Map<string, number>();
  const cols: Record<string, Vector> = {};
  r.columns.forEach((c, i) => {
    const m = arrowColumn(c.type);
    const values = r.rows.map((row) => (row[i] === null || row[i] === undefined ? null : m.value(row[i])));
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    cols[n ? `${c.name}_${n}` : c.name] = vectorFromArray(values, m.type()) as Vector;
  });
  return tableToIPC(new Table(cols), 'stream');
}
