// GROUP BY over dictionary-coded string keys (exec/dict-groups.ts), aggregates that share a
// state (AVG beside SUM of the same input) and counts the kernel defers (one count of rows per
// group, NULL inputs apart): results must equal a plain JS grouping of the same rows, across
// batches whose dictionaries differ, grow, hold NULLs, or have too many combinations.
import { describe, expect, it } from 'vitest';
import { GroupTable, deferredCounts, stateAliases, type AggSpec } from '../../../engine/exec/aggregate.ts';
import { DIRECT_GROUP_LIMIT } from '../../../engine/exec/dict-groups.ts';
import type { BAgg, BExpr } from '../../../engine/plan/bound.ts';
import { T } from '../../../engine/types/types.ts';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import { rng } from '../../support/rng.ts';

const dec = T.decimal(12, 2);
const col = (index: number, type = T.varchar): BExpr => ({ k: 'col', index, type });
const sum = (arg: BExpr): BAgg => ({ fn: 'sum', arg, distinct: false, type: T.decimal(38, 2) });
const avg = (arg: BExpr): BAgg => ({ fn: 'avg', arg, distinct: false, type: T.decimal(38, 2) });
const countStar: BAgg = { fn: 'count_star', arg: null, distinct: false, type: T.bigint };

/** Two string keys (codes into `dicts`, null = NULL) and a DECIMAL(12,2) value column. */
function batch(dicts: [string[], string[]], a: (number | null)[], b: (number | null)[], x: number[]): Batch {
  const str = (dict: string[], codes: (number | null)[]): Vector => ({
    type: T.varchar, length: codes.length, dict, values: Int32Array.from(codes, (c) => c ?? 0),
    valid: codes.includes(null) ? Uint8Array.from(codes, (c) => (c === null ? 0 : 1)) : null,
  });
  return { length: x.length, columns: [str(dicts[0], a), str(dicts[1], b), { type: dec, length: x.length, values: Float64Array.from(x), valid: null }] };
}

/** What GROUP BY a, b with sum(x), avg(x), count(*) gives, computed row by row from the strings. */
function expected(batches: { b: Batch; sel: Uint32Array | null }[]): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  for (const { b, sel } of batches) {
    const rows = sel ? [...sel] : [...Array(b.length).keys()];
    for (const r of rows) {
      const [ka, kb, x] = b.columns;
      const key = JSON.stringify([ka.valid?.[r] === 0 ? null : ka.dict![ka.values[r]], kb.valid?.[r] === 0 ? null : kb.dict![kb.values[r]]]);
      const e = out.get(key) ?? [0, 0, 0];
      e[0] += x.values[r]; e[2] += 1; e[1] = e[0] / e[2];
      out.set(key, e);
    }
  }
  return out;
}

function results(t: GroupTable): Map<string, [number, number, number]> {
  const cols = t.finish([T.varchar, T.varchar]);
  const out = new Map<string, [number, number, number]>();
  for (let g = 0; g < t.groups; g++) {
    const key = JSON.stringify([0, 1].map((c) => (cols[c].valid?.[g] === 0 ? null : cols[c].dict![cols[c].values[g]])));
    out.set(key, [cols[2].values[g], cols[3].values[g], cols[4].values[g]]);
  }
  return out;
}

const spec: AggSpec = { keys: [col(0), col(1)], aggs: [sum(col(2, dec)), avg(col(2, dec)), countStar] };

function randomBatches(seed: number, dictSizes: [number, number], n: number): { b: Batch; sel: Uint32Array | null }[] {
  const rand = rng(seed);
  const words = (k: number, tag: string) => Array.from({ length: k }, (_, i) => `${tag}${(i * 7919) % k}`);
  const out: { b: Batch; sel: Uint32Array | null }[] = [];
  for (let i = 0; i < n; i++) {
    // each batch gets its own dictionaries (a segment of its own), listing the words in another order
    const da = words(dictSizes[0], 'a').sort(() => rand() - 0.5), db = words(dictSizes[1], 'b').sort(() => rand() - 0.5);
    const rows = 500;
    const code = (k: number) => (rand() < 0.05 ? null : Math.floor(rand() * k));
    const b = batch([da, db], Array.from({ length: rows }, () => code(da.length)), Array.from({ length: rows }, () => code(db.length)), Array.from({ length: rows }, () => Math.floor(rand() * 10000)));
    const sel = i % 2 ? Uint32Array.from([...Array(rows).keys()].filter(() => rand() < 0.6)) : null;
    out.push({ b, sel });
  }
  return out;
}

describe('GROUP BY on dictionary codes', () => {
  it('groups by the strings, not the codes, across batches with different dictionaries, NULLs and selections', () => {
    const batches = randomBatches(7, [3, 4], 6);
    const t = new GroupTable(spec);
    for (const { b, sel } of batches) t.consume(b, sel, sel ? sel.length : b.length);
    const want = expected(batches);
    expect(t.groups).toBe(want.size);
    const got = results(t);
    for (const [k, [s, a, c]] of want) {
      expect(got.get(k)![0]).toBe(s);
      expect(got.get(k)![2]).toBe(c);
      expect(got.get(k)![1]).toBeCloseTo(Math.round(a), 0); // AVG of a DECIMAL(12,2) rounds to its scale
    }
  });

  it('follows a dictionary that grew between batches', () => {
    const da = ['x', 'y'], db = ['p'];
    const t = new GroupTable(spec);
    const b1 = batch([da, db], [0, 1, 0], [0, 0, 0], [1, 2, 3]);
    t.consume(b1, null, 3);
    da.push('z'); // the same array, one more entry (an interner adds as it goes)
    const b2 = batch([da, db], [2, 0, 2], [0, 0, 0], [10, 20, 30]);
    t.consume(b2, null, 3);
    expect(results(t)).toEqual(expected([{ b: b1, sel: null }, { b: b2, sel: null }]));
  });

  it('falls back to the hash table when the dictionaries have too many combinations', () => {
    const big = Math.ceil(Math.sqrt(DIRECT_GROUP_LIMIT)) + 1;
    const batches = randomBatches(11, [big, big], 2);
    const t = new GroupTable(spec);
    for (const { b, sel } of batches) t.consume(b, sel, sel ? sel.length : b.length);
    const want = expected(batches);
    expect(t.groups).toBe(want.size);
    for (const [k, v] of results(t)) { expect(v[0]).toBe(want.get(k)![0]); expect(v[2]).toBe(want.get(k)![2]); }
  });
});

describe('aggregates sharing a state', () => {
  it('finds AVG(x) beside SUM(x) and nothing else', () => {
    const x = col(2, dec), y = col(3, dec);
    const aggs: BAgg[] = [
      sum(x), avg(x), sum(y), { ...avg(x), distinct: true }, countStar, countStar,
      { fn: 'count', arg: x, distinct: false, type: T.bigint }, { fn: 'min', arg: x, distinct: false, type: dec }, { fn: 'max', arg: x, distinct: false, type: dec },
    ];
    expect(stateAliases({ keys: [], aggs })).toEqual([-1, 0, -1, -1, -1, 4, -1, -1, -1]);
  });

  it('gives the aliased state to partial states and merges them as if computed apart', () => {
    const batches = randomBatches(3, [2, 3], 4);
    const whole = new GroupTable(spec);
    for (const { b, sel } of batches) whole.consume(b, sel, sel ? sel.length : b.length);
    // two "slices", their partial states merged at a "leader" (structured clone as between threads)
    const leader = new GroupTable(spec);
    for (const part of [batches.slice(0, 2), batches.slice(2)]) {
      const t = new GroupTable(spec);
      for (const { b, sel } of part) t.consume(b, sel, sel ? sel.length : b.length);
      leader.merge(structuredClone(t.toPartial()));
    }
    expect(results(leader)).toEqual(results(whole));
    // the table keeps counting after its states were read
    const more = randomBatches(5, [2, 3], 1);
    for (const t of [whole, leader]) t.consume(more[0].b, null, more[0].b.length);
    expect(results(leader)).toEqual(results(whole));
  });
});

describe('deferred counts', () => {
  it('defers every count except where the update reads it (variance, MIN/MAX) or DISTINCT keeps sets', () => {
    const x = col(2, dec);
    const aggs: BAgg[] = [sum(x), countStar, { fn: 'count', arg: x, distinct: false, type: T.bigint }, { fn: 'var_samp', arg: x, distinct: false, type: T.double }, { ...sum(x), distinct: true }, { fn: 'max', arg: x, distinct: false, type: dec }];
    expect(deferredCounts({ keys: [], aggs })).toEqual([true, true, true, false, false, false]);
  });

  it('counts NULL inputs apart from rows, before and after the states are read', () => {
    const x: BExpr = { k: 'col', index: 0, type: T.int };
    const t = new GroupTable({ keys: [], aggs: [{ fn: 'count', arg: x, distinct: false, type: T.bigint }, countStar, { fn: 'avg', arg: x, distinct: false, type: T.bigint }] });
    const ints = (xs: (number | null)[]): Batch => ({ length: xs.length, columns: [{ type: T.int, length: xs.length, values: Int32Array.from(xs, (v) => v ?? 0), valid: xs.includes(null) ? Uint8Array.from(xs, (v) => (v === null ? 0 : 1)) : null }] });
    t.consume(ints([1, null, 3, null]), null, 4);
    expect(t.finish([]).map((v) => v.values[0])).toEqual([2, 4, 2]);
    t.consume(ints([5, 7]), null, 2); // no NULLs in this batch: another kernel shape
    t.consume(ints([null, 9]), Uint32Array.of(0), 1); // only the NULL row selected
    expect(t.finish([]).map((v) => v.values[0])).toEqual([4, 7, 4]);
  });
});
