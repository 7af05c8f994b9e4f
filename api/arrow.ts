// Bulk results as an Arrow IPC stream (GET/POST /arrow): far smaller and faster to read than
// JSON rows for large results. DECIMAL and TIMESTAMP travel as exact text.
import { Table, tableToIPC, vectorFromArray, DateMillisecond, Utf8, Field, Schema, RecordBatch, Struct, makeData, type Data, type DataType, type Vector } from 'apache-arrow';
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
  return tableToIPC(rowsTable(r, r.rows), 'stream');
}

/** Rows of a result as an Arrow table of its columns. */
function rowsTable(r: Result, rows: unknown[][]): Table {
  const seen = new Map<string, number>();
  const fields: Field[] = [];
  const data: Data[] = [];
  r.columns.forEach((c, i) => {
    const m = arrowColumn(c.type);
    const values = rows.map((row) => (row[i] === null || row[i] === undefined ? null : m.value(row[i])));
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    const v = vectorFromArray(values, m.type()) as Vector;
    // every field nullable, whatever this piece holds: the pieces of a stream share one schema
    fields.push(new Field(n ? `${c.name}_${n}` : c.name, v.type, true));
    data.push(...v.data);
  });
  const schema = new Schema(fields);
  return new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children: data })));
}

/** Rows of a streamed result per Arrow record batch. */
export const ARROW_ROWS = 65_536;

/**
 * A streamed result (Result.stream) as an Arrow IPC stream, a record batch of ARROW_ROWS rows
 * at a time as the reader pulls: the schema, the batches, the end marker. The result's stream
 * is closed at the end, or when the reader cancels.
 */
export function streamToArrow(r: Result): ReadableStream<Uint8Array> {
  const stream = r.stream!;
  let sentSchema = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        if (sentSchema && stream.remaining === 0) {
          controller.enqueue(END_OF_STREAM);
          controller.close();
          stream.close();
          return;
        }
        // one piece as a whole IPC stream: its schema message, its record batch, the end marker
        const ipc = tableToIPC(rowsTable(r, stream.next(ARROW_ROWS)), 'stream');
        const schemaBytes = 8 + new DataView(ipc.buffer, ipc.byteOffset).getInt32(4, true);
        controller.enqueue(ipc.subarray(sentSchema ? schemaBytes : 0, ipc.byteLength - END_OF_STREAM.byteLength));
        sentSchema = true;
      } catch (e) {
        stream.close();
        controller.error(e);
      }
    },
    cancel() {
      stream.close();
    },
  }, { highWaterMark: 1 });
}

/** The IPC stream's end: a continuation marker and a zero length. */
const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
