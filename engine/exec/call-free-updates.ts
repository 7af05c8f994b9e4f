// An aggregate kernel's row updates with no call in them, for the kernel's fast loop
// (exec/aggregate.ts): sums and counts of exact numbers over plain arithmetic (+, -, * of
// DECIMAL and integer columns and literals). The usual update code calls out on its rare paths
// (rt.decMul past 2^53, a sum spilling into its BigInt, an overflow error), and a loop with a
// call in it, even one never taken, ran Q1's updates in ~17 ns a row where the call-free loop
// takes ~13 (micro-benchmark, 6M rows, 4 groups): V8 must assume a call may change any typed
// array, so it reads their pointers and lengths again after one. The fast loop computes a row's
// values and its cells' new sums first and stores them only when every value stayed in the
// exact range; otherwise it leaves the row (cells untouched) to the checked code, which spills,
// goes to BigInt or raises the error exactly as before.
import type { BAgg, BExpr } from '../plan/bound.ts';
import { NARROW_DIGITS, isBigint, isDecimal, isInteger, precisionOf, scaleOf } from '../types/types.ts';
import { SPILL } from '../functions/aggregates/sum.ts';
import type { ExprEmitter } from './codegen.ts';
import type { CellLayout } from './aggregate.ts';

const MAX_EXACT = 9007199254740991; // 2^53 - 1

/** One row's call-free updates: statements computing them, the checks they need, the stores. */
export interface CallFreeRow {
  /** computes the row's values and each cell's new value into locals */
  compute: string[];
  /** the row takes the fast path only when every one holds (no value left the exact range) */
  checks: string[];
  /** the batch takes the fast path only when every one holds (its literals are numbers) */
  guards: string[];
  /** writes the new values into the group's cells (at `cell(offset)`) */
  store: string[];
}

/**
 * The call-free form of a kernel's updates, or null when an aggregate or an input is
 * outside it: only sum, avg, count and count(*) without DISTINCT or ORDER BY, over exact numbers
 * from columns without NULLs or values past 2^53 in this batch's shape, literals and + - *
 * giving a DECIMAL. Counts must be deferred (the group's row count stands for them).
 */
export function callFreeUpdates(em: ExprEmitter, aggs: BAgg[], aliases: number[], deferred: boolean[], layout: CellLayout, cell: (offset: number) => string): CallFreeRow | null {
  const row: CallFreeRow = { compute: [], checks: [], guards: [], store: [] };
  const values = new Map<string, string>();
  for (let i = 0; i < aggs.length; i++) {
    const agg = aggs[i];
    if (aliases[i] >= 0) continue; // its original's update is its own
    if (agg.distinct || agg.order?.length || !deferred[i]) return null;
    if (agg.fn === 'count_star') continue;
    if (agg.fn === 'count') { if (agg.arg!.k !== 'col' || em.shape.nullable[agg.arg!.index]) return null; continue; }
    if (agg.fn !== 'sum' && agg.fn !== 'avg') return null;
    const x = exact(em, agg.arg!, row, values);
    if (x === null) return null;
    // |cell| <= 2^52 and |x| <= 2^52: their sum is exact, and stored only while it stays <= 2^52
    const at = cell(layout.slot[i]), s = em.tmp('s');
    row.compute.push(`const ${s} = ${at} + ${x};`);
    if (!belowSpill(agg.arg!)) row.checks.push(`Math.abs(${x}) <= ${SPILL}`);
    row.checks.push(`Math.abs(${s}) <= ${SPILL}`);
    row.store.push(`${at} = ${s};`);
  }
  if (layout.rows >= 0) row.store.push(`${cell(layout.rows)}++;`);
  row.guards = [...new Set(row.guards)];
  // a value checked against 2^52 needs no check against 2^53
  const checks = new Set(row.checks);
  row.checks = [...checks].filter((c) => !c.endsWith(` <= ${MAX_EXACT}`) || !checks.has(c.replace(` <= ${MAX_EXACT}`, ` <= ${SPILL}`)));
  return row;
}

/** A column of at most 15 digits (stored values are checked against their type) or a 32-bit integer is below 2^52. */
function belowSpill(e: BExpr): boolean {
  return e.k === 'col' && (isDecimal(e.type) ? precisionOf(e.type) <= NARROW_DIGITS : isInteger(e.type) && !isBigint(e.type));
}

/**
 * JS for an exact number expression as a double (a local once it is computed), adding the checks
 * that it stayed an exact integer (<= 2^53 - 1), or null when the expression is outside the set.
 */
function exact(em: ExprEmitter, e: BExpr, row: CallFreeRow, values: Map<string, string>): string | null {
  if (!isDecimal(e.type) && !isInteger(e.type)) return null;
  switch (e.k) {
    case 'col': {
      const { shape } = em;
      if (shape.nullable[e.index] || shape.big?.[e.index]) return null;
      return em.col(e.index).v;
    }
    case 'param': {
      // a literal that is not a number (a wide DECIMAL's text) leaves the whole batch to the checked code
      const p = em.expr(e, row.compute).v;
      row.guards.push(`typeof ${p} === 'number'`);
      return p;
    }
    case 'const':
      return typeof e.value === 'number' && Number.isSafeInteger(e.value) ? String(e.value) : null;
    case 'arith': {
      if (!isDecimal(e.type) || (e.op !== '+' && e.op !== '-' && e.op !== '*')) return null;
      const key = JSON.stringify(e);
      const known = values.get(key);
      if (known) return known; // Q1's l_extendedprice * (1 - l_discount) is summed and multiplied again
      let a = exact(em, e.left, row, values), b = exact(em, e.right, row, values);
      if (a === null || b === null) return null;
      // operands at the result's scale, as functions/ops.ts emitArithmetic has them
      if (e.op !== '*') {
        const ka = scaleOf(e.type) - scaleOf(e.left.type), kb = scaleOf(e.type) - scaleOf(e.right.type);
        if (ka < 0 || kb < 0) return null; // a result of smaller scale rounds: the checked code's
        a = scaled(em, a, ka, row); b = scaled(em, b, kb, row);
      }
      const t = em.tmp('x');
      row.compute.push(`const ${t} = ${a} ${e.op} ${b};`);
      // exact integers whose exact result is past 2^53 - 1 round to a double that is too
      row.checks.push(`Math.abs(${t}) <= ${MAX_EXACT}`);
      values.set(key, t);
      return t;
    }
    default:
      return null;
  }
}

/** `v` times 10^k, checked exact like any result. */
function scaled(em: ExprEmitter, v: string, k: number, row: CallFreeRow): string {
  if (k === 0) return v;
  const t = em.tmp('x');
  row.compute.push(`const ${t} = ${v} * ${10 ** k};`);
  row.checks.push(`Math.abs(${t}) <= ${MAX_EXACT}`);
  return t;
}
