// Partitioning as a property of a slice pipeline's output: which slice every row sits in, as a
// function of some of its fields. A DISTKEY table's rows sit by the table's placement hash of
// that column (`scheme: 'table'`, session/write.ts); rows redistributed by key, and the groups a
// slice finished itself, sit by the exchange's combined hash of the key values (`'hash'`,
// exec/partition.ts). Two inputs partitioned the same way on a join's keys are co-located, and a
// GROUP BY over all of an input's partition keys finishes in the slices with no exchange.
import type { BExpr } from '../plan/bound.ts';
import type { SqlType } from '../types/types.ts';
import { isDecimal, isString, TYPES } from '../types/types.ts';

/** How the slice of a row follows from its key values. */
export type PartitionScheme = 'table' | 'hash';

export interface Partitioning {
  scheme: PartitionScheme;
  /**
   * The hashed keys in hash order (the combined hash depends on it); for each, the output fields
   * that hold its value in every row (any one of them will do: an inner join's keys are equal).
   */
  keys: number[][];
}

/**
 * Whether equal values of the two types hash alike under both schemes: numbers hash by value
 * (integers of any width alike) but a DECIMAL is its scaled integer, strings by their characters.
 */
export function hashCompatible(a: SqlType, b: SqlType): boolean {
  if (isString(a) || isString(b)) return a.id === b.id; // CHAR and VARCHAR may hold equal values differently
  if (isDecimal(a) || isDecimal(b)) return isDecimal(a) && isDecimal(b) && a.scale === b.scale;
  return TYPES[a.id].kind === TYPES[b.id].kind;
}

/** The partitioning seen through a projection: each key's fields as the output fields that copy them. */
export function projectPartitioning(p: Partitioning | null, exprs: BExpr[]): Partitioning | null {
  if (!p) return null;
  const keys = p.keys.map((alts) => exprs.flatMap((e, i) => (e.k === 'col' && alts.includes(e.index) ? [i] : [])));
  return keys.every((k) => k.length > 0) ? { scheme: p.scheme, keys } : null;
}

/** The partitioning with every field moved by `offset` (an input placed after another in a join's output). */
export function shiftPartitioning(p: Partitioning | null, offset: number): Partitioning | null {
  return p && { scheme: p.scheme, keys: p.keys.map((alts) => alts.map((f) => f + offset)) };
}

/**
 * For each partition key, the position of a pair of `keys` whose expression is one of that key's
 * fields, or null when some partition key is not among them. Used for a join's keys (equal rows
 * then sit in the same slice if the other side is placed alike) and a GROUP BY's keys (a group's
 * rows all sit in one slice).
 */
export function alignKeys(p: Partitioning, keys: BExpr[], accept: (pair: number, key: number) => boolean = () => true): number[] | null {
  const out: number[] = [];
  for (const [j, alts] of p.keys.entries()) {
    const i = keys.findIndex((k, pair) => k.k === 'col' && alts.includes(k.index) && accept(pair, j));
    if (i < 0) return null;
    out.push(i);
  }
  return out;
}

export function explainPartitioning(p: Partitioning, name: (field: number) => string): string {
  const keys = p.keys.map((alts) => name(alts[0])).join(', ');
  return p.scheme === 'table' ? `placed by DISTKEY ${keys}` : `hash-partitioned by ${keys}`;
}
