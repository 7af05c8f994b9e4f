// Each aggregate's merge: the same rows aggregated in one table, or split across "slices" whose
// partial states cross a structured clone (as between worker threads) and merge at a leader,
// must finish to the same results. The frame path (Accumulator, used by windows and DISTINCT)
// must agree with both.
import { describe, expect, it } from 'vitest';
import { GroupTable, type AggSpec } from '../../../../engine/exec/aggregate.ts';
import { Accumulator } from '../../../../engine/exec/accumulator.ts';
import type { BAgg, BExpr } from '../../../../engine/plan/bound.ts';
import { T } from '../../../../engine/types/types.ts';
import type { Batch, Vector } from '../../../../engine/types/vector.ts';
import { stringVector } from '../../../../engine/types/vector.ts';
import { rng } from '../../../support/rng.ts';

const N = 3000;
const rand = rng(42);
const groupCol = Int32Array.from({ length: N }, () => Math.floor(rand() * 7));
const ints = Int32Array.from({ length: N }, () => Math.floor(rand() * 2000) - 1000);
const decs = Float64Array.from({ length: N }, () => Math.floor(rand() * 1e6)); // DECIMAL(12,2) scaled
const bools = Uint8Array.from({ length: N }, () => (rand() < 0.8 ? 1 : 0));
const valid = Uint8Array.from({ length: N }, () => (rand() < 0.9 ? 1 : 0));
const words = Array.from({ length: N }, (_, i) => (valid[i] ? `w${Math.floor(rand() * 50)}` : null));

const dec = T.decimal(12, 2);
const columns: Vector[] = [
  { type: T.int, length: N, values: groupCol, valid: null },
  { type: T.int, length: N, values: ints, valid },
  { type: dec, length: N, values: decs, valid },
  { type: T.bool, length: N, values: bools, valid },
  stringVector(T.varchar, words),
];
const col = (index: number): BExpr => ({ k: 'col', index, type: columns[index].type });

const cases: [string, BAgg][] = [
  ['count(*)', { fn: 'count_star', arg: null, distinct: false, type: T.bigint }],
  ['count(i)', { fn: 'count', arg: col(1), distinct: false, type: T.bigint }],
  ['sum(i)', { fn: 'sum', arg: col(1), distinct: false, type: T.bigint }],
  ['sum(d)', { fn: 'sum', arg: col(2), distinct: false, type: T.decimal(38, 2) }],
  ['avg(i)', { fn: 'avg', arg: col(1), distinct: false, type: T.bigint }],
  ['avg(d)', { fn: 'avg', arg: col(2), distinct: false, type: T.double }],
  ['min(i)', { fn: 'min', arg: col(1), distinct: false, type: T.int }],
  ['max(d)', { fn: 'max', arg: col(2), distinct: false, type: dec }],
  ['min(s)', { fn: 'min', arg: col(4), distinct: false, type: T.varchar }],
  ['max(s)', { fn: 'max', arg: col(4), distinct: false, type: T.varchar }],
  ['var_samp(i)', { fn: 'var_samp', arg: col(1), distinct: false, type: T.double }],
  ['var_pop(d)', { fn: 'var_pop', arg: col(2), distinct: false, type: T.double }],
  ['stddev_samp(d)', { fn: 'stddev_samp', arg: col(2), distinct: false, type: T.double }],
  ['stddev_pop(i)', { fn: 'stddev_pop', arg: col(1), distinct: false, type: T.double }],
  ['bool_and(b)', { fn: 'bool_and', arg: col(3), distinct: false, type: T.bool }],
  ['bool_or(b)', { fn: 'bool_or', arg: col(3), distinct: false, type: T.bool }],
  ['listagg(s) within group', { fn: 'listagg', arg: col(4), distinct: false, type: T.varchar, sep: ',', order: [{ expr: col(4), desc: false, nullsFirst: false }] }],
  ['median(i)', { fn: 'median', arg: col(1), distinct: false, type: T.double }],
  ['percentile_cont(0.3)(d)', { fn: 'percentile_cont', arg: col(2), distinct: false, type: dec, fraction: 0.3 }],
  ['percentile_disc(0.7)(i) desc', { fn: 'percentile_disc', arg: col(1), distinct: false, type: T.int, fraction: 0.7, desc: true }],
  ['approx count distinct(s)', { fn: 'approx_count_distinct', arg: col(4), distinct: false, type: T.bigint }],
  ['max(distinct i)', { fn: 'max', arg: col(1), distinct: true, type: T.int }],
  ['sum(distinct d)', { fn: 'sum', arg: col(2), distinct: true, type: T.decimal(38, 2) }],
  ['listagg(distinct s)', { fn: 'listagg', arg: col(4), distinct: true, type: T.varchar, sep: '|', order: [{ expr: col(4), desc: true, nullsFirst: false }] }],
];

function slice(from: number, to: number): Batch {
  const part = (v: Vector): Vector => ({ ...v, length: to - from, values: v.values.slice(from, to), valid: v.valid ? v.valid.slice(from, to) : null });
  return { length: to - from, columns: columns.map(part) };
}

/** Result rows (group key, value) sorted by key, values compared as numbers within 1e-9 relative. */
function results(t: GroupTable): [unknown, unknown][] {
  const [keys, vals] = t.finish([T.int]);
  const out: [unknown, unknown][] = [];
  for (let g = 0; g < t.groups; g++) {
    const isNull = vals.valid !== null && vals.valid[g] === 0;
    const v = isNull ? null : vals.big?.[g] ?? (vals.dict ? vals.dict[vals.values[g]] : vals.values[g]);
    out.push([keys.values[g], v]);
  }
  return out.sort((a, b) => (a[0] as number) - (b[0] as number));
}

function expectClose(a: [unknown, unknown][], b: [unknown, unknown][]): void {
  expect(a.map((r) => r[0])).toEqual(b.map((r) => r[0]));
  a.forEach(([, x], i) => {
    const y = b[i][1];
    if (typeof x === 'number' && typeof y === 'number') expect(Math.abs(x - y)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(x)));
    else expect(x).toEqual(y);
  });
}

describe('aggregate merge across slices equals one table', () => {
  for (const [name, agg] of cases) {
    it(name, () => {
      const spec: AggSpec = { keys: [col(0)], aggs: [agg] };
      const whole = new GroupTable(spec);
      whole.consume({ length: N, columns }, null, N);
      // three uneven slices; each partial crosses a structured clone, as between threads
      const leader = new GroupTable(spec);
      for (const [a, b] of [[0, 700], [700, 2900], [2900, N]]) {
        const t = new GroupTable(spec);
        t.consume(slice(a, b), null, b - a);
        leader.merge(structuredClone(t.toPartial()));
      }
      const expected = results(whole);
      expectClose(results(leader), expected);
      // the frame path: one accumulator per group fed the same non-NULL inputs
      const byGroup = new Map<number, Accumulator>();
      const seen = new Map<number, Set<unknown>>();
      for (let r = 0; r < N; r++) {
        const g = groupCol[r];
        if (!byGroup.has(g)) { byGroup.set(g, new Accumulator(agg)); seen.set(g, new Set()); }
        if (agg.arg === null) { byGroup.get(g)!.add(1); continue; }
        const c = columns[(agg.arg as { index: number }).index];
        if (c.valid && c.valid[r] === 0) continue;
        const v = c.dict ? c.dict[c.values[r]] : c.type.id === 'BOOLEAN' ? c.values[r] === 1 : c.values[r];
        if (agg.distinct) { if (seen.get(g)!.has(v)) continue; seen.get(g)!.add(v); }
        byGroup.get(g)!.add(v, agg.order ? [v] : []);
      }
      const frame = [...byGroup].map(([g, acc]): [unknown, unknown] => {
        const v = acc.result();
        return [g, typeof v === 'boolean' ? (v ? 1 : 0) : v];
      }).sort((a, b) => (a[0] as number) - (b[0] as number));
      expectClose(frame, expected);
    });
  }
});

describe('APPROXIMATE COUNT(DISTINCT)', () => {
  const approx: BAgg = { fn: 'approx_count_distinct', arg: { k: 'col', index: 0, type: T.int }, distinct: false, type: T.bigint };
  const estimate = (values: Int32Array, parts: number): number => {
    const spec: AggSpec = { keys: [], aggs: [approx] };
    const leader = new GroupTable(spec);
    const step = Math.ceil(values.length / parts);
    for (let a = 0; a < values.length; a += step) {
      const t = new GroupTable(spec);
      const part = values.slice(a, a + step);
      t.consume({ length: part.length, columns: [{ type: T.int, length: part.length, values: part, valid: null }] }, null, part.length);
      leader.merge(structuredClone(t.toPartial()));
    }
    return leader.finish([])[0].values[0];
  };

  it('is exact for small cardinalities', () => {
    const values = Int32Array.from({ length: 5000 }, (_, i) => i % 900);
    expect(estimate(values, 1)).toBe(900);
    expect(estimate(values, 4)).toBe(900);
  });

  it('estimates large cardinalities within 5%, the same however the rows are split', () => {
    const values = Int32Array.from({ length: 200000 }, (_, i) => (i * 7919) % 150000);
    const one = estimate(values, 1);
    expect(Math.abs(one - 150000) / 150000).toBeLessThan(0.05);
    expect(estimate(values, 3)).toBe(one);
  });
});

