// Strata results as protocol messages: RowDescription, DataRows and the command tag.
import type { ColumnInfo, Result } from '../../engine/result.ts';
import { dataRow, rowDescription, type FieldDescription } from './messages.ts';
import { encodeValue, wireTypeOf, type ColumnWireType } from './types.ts';

/** Per-column result formats from Bind's format codes: none = text, one = all, else one each. */
export function resultFormats(codes: number[], columns: number): number[] {
  if (codes.length === 0) return new Array(columns).fill(0);
  if (codes.length === 1) return new Array(columns).fill(codes[0]);
  return Array.from({ length: columns }, (_, i) => codes[i] ?? 0);
}

/** A result's columns with their wire types and formats, ready to describe and encode rows. */
export class ResultShape {
  readonly types: ColumnWireType[];
  constructor(readonly columns: ColumnInfo[], readonly formats: number[]) {
    this.types = columns.map((c) => wireTypeOf(c.type));
  }

  description(): Buffer {
    const fields: FieldDescription[] = this.columns.map((c, i) => ({
      name: c.name, tableOid: 0, columnNumber: 0,
      typeOid: this.types[i].type.oid, typeSize: this.types[i].type.size, typeModifier: this.types[i].modifier,
      format: this.formats[i],
    }));
    return rowDescription(fields);
  }

  row(values: unknown[]): Buffer {
    const cells = new Array<Buffer | null>(values.length);
    for (let i = 0; i < values.length; i++) cells[i] = encodeValue(this.types[i].type, values[i], this.formats[i]);
    return dataRow(cells);
  }
}

const WITH_COUNT = new Set(['SELECT', 'UPDATE', 'DELETE', 'COPY', 'FETCH', 'MOVE', 'MERGE']);

/** The CommandComplete tag PostgreSQL clients expect ("SELECT 3", "INSERT 0 1", "CREATE TABLE"). */
export function commandTag(r: Result, rowsSent?: number): string {
  const cmd = r.command.toUpperCase();
  if (cmd === 'INSERT') return `INSERT 0 ${r.rowCount}`;
  if (cmd === 'SELECT') return `SELECT ${rowsSent ?? r.rows.length}`;
  if (WITH_COUNT.has(cmd)) return `${cmd} ${r.rowCount}`;
  // SHOW, DESCRIBE, EXPLAIN and the like return rows under their own name; psql wants a count
  if (r.columns.length) return `SELECT ${rowsSent ?? r.rows.length}`;
  return cmd;
}
