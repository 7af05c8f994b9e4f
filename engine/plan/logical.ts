// The logical plan: relational operators over bound expressions. Each node lists its output
// fields; expressions refer to the input's fields by index.
import type { SqlType } from '../types/types.ts';
import type { BAgg, BExpr } from './bound.ts';
import type { TableState } from '../catalog/catalog.ts';
import type { Batch } from '../types/vector.ts';

/** An output column: name, type and the qualifier (table alias) it can be referenced by. */
export interface Field {
  name: string;
  type: SqlType;
  qualifier?: string;
  /** the table's full name parts, for three-part references */
  path?: string[];
  hidden?: boolean;
}

/** Where a scanned table lives, and whose it is (for shares and the usage log). */
export interface TableRef {
  account: string;
  database: string;
  schema: string;
  name: string;
  /** set when read through a datashare: the consumer's view of it */
  share?: { producer: string; datashare: string; consumer: string };
}

export interface SortKey {
  expr: BExpr;
  desc: boolean;
  nullsFirst: boolean;
}

export type WindowFn = 'row_number' | 'rank' | 'dense_rank' | 'percent_rank' | 'cume_dist' | 'ntile' | 'lag' | 'lead' | 'first_value' | 'last_value' | 'nth_value' | 'agg';

export interface WindowCall {
  fn: WindowFn;
  agg?: BAgg;
  args: BExpr[];
  partitionBy: BExpr[];
  orderBy: SortKey[];
  /** ROWS frame as offsets from the current row (null = unbounded); absent = SQL default */
  frame?: { start: number | null; end: number | null; units: 'ROWS' | 'RANGE' };
  type: SqlType;
}

export type LNode =
  | { k: 'scan'; table: TableState; ref: TableRef; fields: Field[] }
  | { k: 'batch'; batch: Batch; fields: Field[]; label: string }
  | { k: 'values'; rows: BExpr[][]; fields: Field[] }
  | { k: 'filter'; input: LNode; pred: BExpr; fields: Field[] }
  | { k: 'project'; input: LNode; exprs: BExpr[]; fields: Field[] }
  | { k: 'aggregate'; input: LNode; keys: BExpr[]; aggs: BAgg[]; fields: Field[] }
  | { k: 'join'; joinType: 'INNER' | 'LEFT' | 'FULL' | 'CROSS' | 'SEMI' | 'ANTI'; left: LNode; right: LNode; leftKeys: BExpr[]; rightKeys: BExpr[]; residual: BExpr | null; fields: Field[] }
  | { k: 'sort'; input: LNode; keys: SortKey[]; fields: Field[] }
  | { k: 'limit'; input: LNode; limit: number | null; offset: number; fields: Field[] }
  | { k: 'distinct'; input: LNode; fields: Field[] }
  | { k: 'setop'; op: 'UNION' | 'INTERSECT' | 'EXCEPT'; all: boolean; left: LNode; right: LNode; fields: Field[] }
  | { k: 'window'; input: LNode; calls: WindowCall[]; fields: Field[] };

export function inputsOf(n: LNode): LNode[] {
  switch (n.k) {
    case 'scan': case 'batch': case 'values': return [];
    case 'join': case 'setop': return [n.left, n.right];
    default: return [n.input];
  }
}
