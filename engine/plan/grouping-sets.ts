// GROUP BY ROLLUP(...), CUBE(...) and GROUPING SETS (...): the grouping sets a GROUP BY list
// asks for, and the plan that computes them. Every set is an aggregate over the same input
// (keys outside the set are NULL in its rows); the results are concatenated (UNION ALL). A
// hidden key, the grouping id, has bit i set when key i is not in the row's set: GROUPING()
// reads it.
import type * as A from '../sql/ast.ts';
import { SqlError } from '../errors.ts';
import { printExpr } from '../sql/print-expr.ts';
import { T } from '../types/types.ts';
import type { BExpr } from './bound.ts';
import type { LNode } from './logical.ts';

/** The distinct key expressions of a GROUP BY list and its grouping sets (indexes into keys). */
export interface GroupingSets {
  keys: A.Expr[];
  sets: number[][];
}

/** CUBE over more keys than this would be thousands of aggregates. */
const MAX_CUBE_KEYS = 12;

/** The grouping sets of a GROUP BY list, or null when it is a plain list of expressions. */
export function groupingSets(items: A.Expr[]): GroupingSets | null {
  const kindOf = (e: A.Expr) => (e.kind === 'FunctionCall' && e.name.length === 1 && !e.over && ['rollup', 'cube', 'grouping_sets'].includes(e.name[0]) ? e.name[0] : null);
  if (!items.some(kindOf)) return null;
  const keys: A.Expr[] = [];
  const index = new Map<string, number>();
  const keyOf = (e: A.Expr): number => {
    const text = printExpr(e);
    let i = index.get(text);
    if (i === undefined) { i = keys.length; keys.push(e); index.set(text, i); }
    return i;
  };
  let sets: number[][] = [[]];
  for (const item of items) {
    let choices: number[][];
    const kind = kindOf(item);
    const args = (item as A.FunctionCall).args;
    if (kind === 'rollup') {
      const ks = args.map(keyOf);
      choices = ks.map((_, n) => ks.slice(0, ks.length - n)).concat([[]]);
    } else if (kind === 'cube') {
      if (args.length > MAX_CUBE_KEYS) throw new SqlError('FEATURE_NOT_SUPPORTED', `CUBE takes at most ${MAX_CUBE_KEYS} expressions`, item.pos);
      const ks = args.map(keyOf);
      choices = [];
      for (let mask = (1 << ks.length) - 1; mask >= 0; mask--) choices.push(ks.filter((_, i) => mask & (1 << i)));
    } else if (kind === 'grouping_sets') {
      choices = args.map((row) => (row as A.FunctionCall).args.map(keyOf));
    } else choices = [[keyOf(item)]];
    // several items combine as a cross product of their sets
    sets = sets.flatMap((s) => choices.map((c) => [...new Set([...s, ...c])]));
  }
  return { keys, sets };
}

/** Marks the grouping id among an aggregate's keys while binding (replaced per set below). */
export const GROUPING_ID: BExpr = { k: 'param', index: -1, type: T.int };

/**
 * One aggregate per grouping set over the aggregate's input, each projected to the aggregate's
 * layout (keys, grouping id, aggregates) with NULL for keys outside its set, concatenated.
 */
export function expandGroupingSets(agg: Extract<LNode, { k: 'aggregate' }>, sets: number[][], gid: number): LNode {
  const keys = agg.keys.slice(0, gid);
  const aggFields = agg.fields.slice(gid + 1);
  const parts = sets.map((set): LNode => {
    const part: LNode = {
      k: 'aggregate', input: agg.input, keys: set.map((i) => keys[i]), aggs: agg.aggs,
      fields: [...set.map((i) => agg.fields[i]), ...aggFields],
    };
    let bits = 0;
    keys.forEach((_, i) => { if (!set.includes(i)) bits += 2 ** i; });
    const exprs: BExpr[] = [
      ...keys.map((k, i): BExpr => (set.includes(i) ? { k: 'col', index: set.indexOf(i), type: k.type } : { k: 'const', value: null, type: k.type })),
      { k: 'const', value: bits, type: T.int },
      ...agg.aggs.map((a, j): BExpr => ({ k: 'col', index: set.length + j, type: a.type })),
    ];
    return { k: 'project', input: part, exprs, fields: agg.fields };
  });
  return parts.reduce((left, right) => ({ k: 'setop', op: 'UNION', all: true, left, right, fields: agg.fields }));
}

/** GROUPING(k1, ..., km) over the grouping id: bit j (from the right) is 1 when k_j is aggregated away. */
export function groupingValue(gidCol: BExpr, keyIndexes: number[]): BExpr {
  const int = (value: number): BExpr => ({ k: 'const', value, type: T.int });
  let out: BExpr = int(0);
  keyIndexes.forEach((i, j) => {
    const bit: BExpr = { k: 'arith', op: '%', left: { k: 'arith', op: '/', left: gidCol, right: int(2 ** i), type: T.int }, right: int(2), type: T.int };
    const weighted: BExpr = { k: 'arith', op: '*', left: bit, right: int(2 ** (keyIndexes.length - 1 - j)), type: T.int };
    out = { k: 'arith', op: '+', left: out, right: weighted, type: T.int };
  });
  return out;
}
