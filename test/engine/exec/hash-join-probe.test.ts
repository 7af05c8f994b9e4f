// The probe loop of a hash join against a nested-loop reference: INNER with keys that repeat on
// the build side, LEFT padding with NULLs, SEMI and ANTI, over payload columns of several array
// kinds (each gathered by its own generated loop) with NULLs, dictionary strings and exact
// bigints; and the late gather of only the columns a slice program reads after a probe. A key
// matching many build rows gives its joined rows in pieces (ProbePieces) that together are the
// rows a nested loop over the arrays finds, each probe row padded or kept once even when its
// pairs span pieces.
import { describe, expect, it } from 'vitest';
import type { Vector } from '../../../engine/types/vector.ts';
import { BuildTable, ProbePieces, probe, type JoinKind } from '../../../engine/exec/hash-join.ts';
import { T } from '../../../engine/types/types.ts';
import { columnsReadAfter } from '../../../engine/exec/column-needs.ts';
import type { FragmentSpec } from '../../../engine/exec/fragment.ts';
import type { BAgg, BExpr } from '../../../engine/plan/bound.ts';

const vec = (type: Vector['type'], values: Vector['values'], nullAt = -1, extra: Partial<Vector> = {}): Vector => ({
  type, length: values.length, values, valid: nullAt < 0 ? null : Uint8Array.from(values, (_, i) => (i % nullAt === 0 ? 0 : 1)), ...extra,
});
const cell = (v: Vector, i: number) => (v.valid && v.valid[i] === 0 ? null : v.big ? v.big[i] : v.dict ? v.dict[v.values[i]] : v.values[i]);

// build: keys 0..29 with 0..9 twice, and a NULL key; payloads of three kinds
const bKeys = Int32Array.from({ length: 41 }, (_, i) => (i < 30 ? i : i - 30));
const build: Vector[] = [
  vec(T.int, bKeys, 40),
  vec(T.double, Float64Array.from(bKeys, (k, i) => k * 1.5 + i), 7),
  vec(T.varchar, Int32Array.from(bKeys, (k) => k % 3), -1, { dict: ['a', 'b', 'c'] }),
  vec(T.bigint, Float64Array.from(bKeys, (k) => 2 ** 53 + k), -1, { big: Array.from(bKeys, (k) => 2n ** 53n + BigInt(k)) }),
];
// probe: keys -5..44 (some NULL), payloads Int16 and Float32
const pKeys = Int32Array.from({ length: 50 }, (_, i) => i - 5);
const probeSide: Vector[] = [vec(T.int, pKeys, 11), vec(T.smallint, Int16Array.from(pKeys, (k) => k * 2)), vec(T.real, Float32Array.from(pKeys, (k) => k / 4), 6)];

function reference(kind: JoinKind): unknown[][] {
  const out: unknown[][] = [];
  const key = (v: Vector, i: number) => cell(v, i);
  for (let p = 0; p < pKeys.length; p++) {
    const pk = key(probeSide[0], p);
    const matches = pk === null ? [] : Array.from({ length: bKeys.length }, (_, b) => b).filter((b) => key(build[0], b) === pk);
    const left = probeSide.map((c) => cell(c, p));
    if (kind === 'SEMI') { if (matches.length) out.push(left); continue; }
    if (kind === 'ANTI') { if (!matches.length) out.push(left); continue; }
    for (const b of matches) out.push([...left, ...build.map((c) => cell(c, b))]);
    if (kind === 'LEFT' && !matches.length) out.push([...left, ...build.map(() => null)]);
  }
  return out;
}

describe('hash join probe', () => {
  const table = new BuildTable(build, [build[0]]);
  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind} gives the nested loop's rows`, () => {
      const b = probe({ length: pKeys.length, columns: probeSide }, [probeSide[0]], table, kind, null);
      const rows = Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i)));
      const want = reference(kind);
      expect(rows).toEqual(want);
      expect(want.length).toBeGreaterThan(10);
    });
  }
});

describe('late gather', () => {
  const table = new BuildTable(build, [build[0]]);
  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind} gathers only the columns read later, the others keeping their place`, () => {
      // probe column 1 and build columns 2, 3 (positions 5, 6) are read later
      const needed = new Set([1, 5, 6]);
      const b = probe({ length: pKeys.length, columns: probeSide }, [probeSide[0]], table, kind, null, undefined, null, needed);
      const full = reference(kind);
      expect(b.length).toBe(full.length);
      expect(b.columns.length).toBe(kind === 'SEMI' || kind === 'ANTI' ? 3 : 7);
      b.columns.forEach((c, j) => {
        expect(c.type).toBe(j < 3 ? probeSide[j].type : build[j - 3].type);
        if (!needed.has(j)) { expect(c.values.length).toBe(0); return; }
        expect(Array.from({ length: b.length }, (_, i) => cell(c, i))).toEqual(full.map((r) => r[j]));
      });
    });
  }

  it('names the columns each step of a slice program leaves to be read', () => {
    const col = (index: number): BExpr => ({ k: 'col', index, type: T.int });
    const join = (probeKeys: BExpr[], residual: BExpr | null = null) => ({ joinType: 'INNER' as const, probeKeys, buildKeys: [0], build: [], residual });
    const spec: FragmentSpec = {
      tableTypes: [], columns: [0, 1, 2, 3], filter: null,
      steps: [
        { k: 'join', join: join([col(0)]) }, // appends 4, 5
        { k: 'filter', pred: { k: 'cmp', op: '<', left: col(2), right: col(4), type: T.bool } as BExpr },
        { k: 'join', join: join([col(1)], { k: 'cmp', op: '=', left: col(3), right: col(7), type: T.bool } as BExpr) }, // appends 6, 7
      ],
      output: { kind: 'agg', spec: { keys: [col(5)], aggs: [{ fn: 'sum', arg: col(6), distinct: false, type: T.int } as BAgg], filter: null } },
    };
    const after = columnsReadAfter(spec).map((s) => [...s].sort((a, b) => a - b));
    expect(after).toEqual([[1, 2, 3, 4, 5, 6, 7], [1, 3, 5, 6, 7], [5, 6]]);
  });
});

describe('probes with no columns on one side', () => {
  // a build side that keeps only its key expression's values (no payload), and probe batches that
  // carry only their keys: the joined batch still has one row per pair, in the same order
  const keyOnly = new BuildTable([], [build[0]]);
  const withPayload = new BuildTable(build, [build[0]]);
  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind}: rows of the full probe, without the columns neither side has`, () => {
      const full = reference(kind);
      const noBuildCols = probe({ length: pKeys.length, columns: probeSide }, [probeSide[0]], keyOnly, kind, null);
      expect(noBuildCols.columns.length).toBe(probeSide.length);
      expect(Array.from({ length: noBuildCols.length }, (_, i) => noBuildCols.columns.map((c) => cell(c, i)))).toEqual(full.map((r) => r.slice(0, probeSide.length)));
      // batches of no columns and of some, in turn, through one table
      for (const columns of [[], probeSide, []]) {
        const b = probe({ length: pKeys.length, columns }, [probeSide[0]], withPayload, kind, null);
        const wide = kind === 'SEMI' || kind === 'ANTI' ? columns.length : columns.length + build.length;
        expect([b.length, b.columns.length]).toEqual([full.length, wide]);
        const want = full.map((r) => (columns.length ? r : r.slice(probeSide.length)));
        expect(Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i)))).toEqual(want);
      }
    });
  }
});

describe('a probe under a Ticker', () => {
  // 1,000 build rows and 1,000 probe rows of one key: a million pairs, each of which ticks
  const same = (n: number): Vector => vec(T.int, new Int32Array(n).fill(7));
  const table = new BuildTable([same(1000)], [same(1000)]);
  const probeSide = { length: 1000, columns: [same(1000)] };

  it('ticks for every pair, so a cancel stops a probe whose output explodes', () => {
    let ticks = 0;
    const joined = probe(probeSide, probeSide.columns, table, 'INNER', null, { tick: () => { ticks++; } });
    expect(joined.length).toBe(1_000_000);
    expect(ticks).toBeGreaterThanOrEqual(1_000_000);
    let left = 5000;
    const canceled = { tick: () => { if (--left === 0) throw new Error('canceled'); } };
    expect(() => probe(probeSide, probeSide.columns, table, 'INNER', null, canceled)).toThrow('canceled');
    expect(left).toBe(0);
  });
});

describe('probe pieces', () => {
  // build: 500 rows of key 7 (payload 0..499), and keys 0..99 once each (payload 1000 + key)
  const n = 600;
  const bk = Int32Array.from({ length: n }, (_, i) => (i < 500 ? 7 : i - 500));
  const skewed: Vector[] = [vec(T.int, bk), vec(T.int, Int32Array.from({ length: n }, (_, i) => (i < 500 ? i : 1000 + i - 500)))];
  const table = new BuildTable(skewed, [skewed[0]]);
  // probe: keys 0..199 with key 7 at every 10th row (and row 7); payload its row
  const m = 200;
  const pk = Int32Array.from({ length: m }, (_, i) => (i % 10 === 0 ? 7 : i));
  const probeRows = { length: m, columns: [vec(T.int, pk), vec(T.int, Int32Array.from({ length: m }, (_, i) => i))] };
  const col = (index: number): BExpr => ({ k: 'col', index, type: T.int });
  // the pair passes when the build payload is below the probe row - 10 (so rows 0 and 10 of key 7 pass none of their 501 pairs) or the probe row is odd
  const lit = (value: number): BExpr => ({ k: 'const', value, type: T.int }) as unknown as BExpr;
  const residual = { k: 'or', args: [
    { k: 'cmp', op: '<', left: col(3), right: { k: 'arith', op: '-', left: col(1), right: lit(10), type: T.int }, type: T.bool },
    { k: 'cmp', op: '=', left: { k: 'arith', op: '%', left: col(1), right: lit(2), type: T.int }, right: lit(1), type: T.bool },
  ], type: T.bool } as unknown as BExpr;
  const payload = skewed[1].values as Int32Array;
  /** The join's rows by a nested loop over the arrays themselves: each probe row's passing pairs, or the row padded (LEFT) or kept (SEMI / ANTI). */
  const expected = (kind: JoinKind, cond: boolean): string[] => {
    const out: string[] = [];
    for (let p = 0; p < m; p++) {
      const pairs: number[] = [];
      for (let b = 0; b < n; b++) if (bk[b] === pk[p] && (!cond || payload[b] < p - 10 || p % 2 === 1)) pairs.push(b);
      if (kind === 'SEMI' || kind === 'ANTI') { if ((pairs.length > 0) === (kind === 'SEMI')) out.push(`${pk[p]},${p}`); continue; }
      for (const b of pairs) out.push(`${pk[p]},${p},${bk[b]},${payload[b]}`);
      if (kind === 'LEFT' && !pairs.length) out.push(`${pk[p]},${p},,`);
    }
    return out.sort();
  };
  const rowsOf = (b: { length: number; columns: Vector[] }) => Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i) ?? '').join(','));
  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    for (const cond of [null, residual]) {
      it(`${kind}${cond ? ' with a residual' : ''}: pieces of at most 64 rows are the nested loop's rows`, () => {
        const want = expected(kind, cond !== null);
        const pieces = new ProbePieces(probeRows, [probeRows.columns[0]], table, kind, cond, undefined, null, null, true, null, 64);
        const got: string[] = [];
        let count = 0;
        for (const b of pieces) { expect(b.length).toBeLessThanOrEqual(64); got.push(...rowsOf(b)); count++; }
        expect(got.sort()).toEqual(want);
        // key 7's 20 probe rows × 500 build rows pass through several pieces (SEMI/ANTI without a residual need one pair a row)
        if (kind === 'INNER' || kind === 'LEFT' || cond) expect(count).toBeGreaterThan(10);
      });
    }
  }
});
