// A slice's pool of join hash-table arrays (exec/array-pool.ts): what one statement's lease holds
// is never handed to another until it ends well; a failed statement's arrays are dropped; the
// idle arrays stay under the pool's bound; a join table or a GROUP BY's table built over arrays an
// earlier table left dirty finds exactly what a table over new arrays finds; and end to end, joins
// in two slices give DuckDB's answers while several statements run at once and some fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArrayPool } from '../../../engine/exec/array-pool.ts';
import { BuildTable, buildTableOf, probe } from '../../../engine/exec/hash-join.ts';
import { GroupTable, type AggSpec } from '../../../engine/exec/aggregate.ts';
import type { JoinStep } from '../../../engine/exec/fragment.ts';
import { T } from '../../../engine/types/types.ts';
import type { Batch, Vector } from '../../../engine/types/vector.ts';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

const MB = 2 ** 20;

describe('ArrayPool', () => {
  it('hands what an ended lease gave back to the next lease, never to one running at the same time', () => {
    const pool = new ArrayPool(MB);
    const a = pool.lease(), b = pool.lease();
    const x = a.take(Int32Array, 1000);
    const y = b.take(Int32Array, 1000);
    expect(x.buffer).not.toBe(y.buffer);
    a.end(true);
    expect(pool.bytes).toBe(4000);
    // b still runs: it gets a's array now that a is done, and nothing of its own is handed out
    const z = b.take(Int32Array, 900);
    expect(z.buffer).toBe(x.buffer);
    expect(z.length).toBe(900);
    const c = pool.lease();
    expect(c.take(Int32Array, 1000).buffer).not.toBe(y.buffer);
    b.end(true);
    c.end(true);
  });

  it('drops the arrays of a statement that failed', () => {
    const pool = new ArrayPool(MB);
    const a = pool.lease();
    const x = a.take(Float64Array, 500);
    a.end(false);
    expect(pool.bytes).toBe(0);
    const b = pool.lease();
    expect(b.take(Float64Array, 500).buffer).not.toBe(x.buffer);
    // arrays taken after a lease ended are the caller's own
    const late = a.take(Float64Array, 500);
    b.end(true);
    expect(pool.bytes).toBe(4000);
    expect(pool.lease().take(Float64Array, 500).buffer).not.toBe(late.buffer);
  });

  it('keeps at most its bound idle, matches kind and size (n to 2n), and lets go under memory pressure', () => {
    let pressure = false;
    const pool = new ArrayPool(10_000, () => pressure);
    const a = pool.lease();
    a.take(Uint8Array, 6000);
    a.take(Uint8Array, 6000);
    a.take(Int32Array, 100);
    a.end(true);
    expect(pool.bytes).toBeLessThanOrEqual(10_000);
    expect(pool.bytes).toBe(6400);
    const b = pool.lease();
    // too large for 2000 elements, the wrong kind for the other
    expect(pool.takeIdle(Uint8Array, 2000)).toBeNull();
    expect(pool.takeIdle(Uint32Array, 100)).toBeNull();
    expect(b.take(Uint8Array, 4000).length).toBe(4000);
    expect(pool.bytes).toBe(400);
    pressure = true;
    b.end(true);
    expect(pool.bytes).toBe(0);
  });

  it('zeroed() clears what the last user left', () => {
    const pool = new ArrayPool(MB);
    const a = pool.lease();
    a.take(Uint8Array, 64).fill(7);
    a.end(true);
    const b = pool.lease();
    expect([...b.zeroed(Uint8Array, 64)].every((v) => v === 0)).toBe(true);
  });
});

const cell = (v: Vector, i: number) => (v.valid && v.valid[i] === 0 ? null : v.dict ? v.dict[v.values[i]] : v.values[i]);
const rowsOf = (b: Batch) => Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i)));

/** n build rows: an int key (some NULL, some repeated), a string key, a payload. */
function buildSide(n: number, seed: number): Vector[] {
  const k = Int32Array.from({ length: n }, (_, i) => (i * seed) % (n / 2));
  return [
    { type: T.int, length: n, values: k, valid: Uint8Array.from(k, (_, i) => (i % 11 === seed % 11 ? 0 : 1)) },
    { type: T.varchar, length: n, values: Int32Array.from(k, (x) => x % 3), valid: null, dict: ['a', 'b', 'c'] },
    { type: T.double, length: n, values: Float64Array.from(k, (x, i) => x + i / 4), valid: null },
  ];
}

describe('BuildTable over pooled arrays', () => {
  it('finds what a table over new arrays finds, after earlier tables left the arrays dirty', () => {
    const pool = new ArrayPool(64 * MB);
    const probeCols = buildSide(3000, 7);
    const probeBatch: Batch = { length: 3000, columns: probeCols };
    for (const [n, seed] of [[4000, 3], [2500, 5], [3000, 7]] as const) {
      const build = buildSide(n, seed);
      // one int key, int and string, string and int, one double
      for (const keys of [[0], [0, 1], [1, 0], [2]]) {
        const lease = pool.lease();
        const pooled = new BuildTable(build, keys.map((c) => build[c]), [], undefined, lease);
        const fresh = new BuildTable(build, keys.map((c) => build[c]), []);
        for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as const) {
          const want = rowsOf(probe(probeBatch, keys.map((c) => probeCols[c]), fresh, kind, null));
          expect(rowsOf(probe(probeBatch, keys.map((c) => probeCols[c]), pooled, kind, null))).toEqual(want);
        }
        expect([...pooled.matched]).toEqual([...fresh.matched]);
        expect(lease.bytes).toBeGreaterThan(0);
        lease.end(true);
      }
    }
    expect(pool.bytes).toBeGreaterThan(0);
  });
});

describe('GroupTable over pooled arrays', () => {
  it('gives the groups and sums a table over new arrays gives, after earlier statements left the arrays dirty', () => {
    const pool = new ArrayPool(64 * MB);
    // GROUP BY k (a dense range: ids from an array over it) and GROUP BY k % 7, count(*) and sum(x)
    const spec = (dense: boolean): AggSpec => ({
      keys: [dense ? { k: 'col', index: 0, type: T.int } : { k: 'arith', op: '%', left: { k: 'col', index: 0, type: T.int }, right: { k: 'const', value: 7, type: T.int }, type: T.int }],
      aggs: [{ fn: 'count_star', arg: null, distinct: false, type: T.bigint }, { fn: 'sum', arg: { k: 'col', index: 1, type: T.double }, distinct: false, type: T.double }],
      ...(dense ? { keyRange: [0, 4999] as [number, number] } : {}),
    });
    const results = (t: GroupTable) => {
      const cols = t.finish([T.int]);
      return Array.from({ length: t.groups }, (_, g) => cols.map((c) => cell(c, g))).sort((a, b) => (a[0] as number) - (b[0] as number));
    };
    for (const [n, seed] of [[3000, 3], [9000, 5], [6000, 7]] as const) {
      // every idle array of the pool holds junk, as a statement that used it leaves it
      const dirty = pool.lease();
      for (const len of [5000, 2048, 4096, 8192, 16384, 32768]) { dirty.take(Int32Array, len).fill(3); dirty.take(Float64Array, len).fill(1e9); }
      dirty.end(true);
      const b = buildSide(n, seed);
      const batch: Batch = { length: n, columns: [b[0], b[2]] };
      for (const dense of [true, false]) {
        const lease = pool.lease();
        const pooled = new GroupTable(spec(dense), lease), fresh = new GroupTable(spec(dense));
        // in two batches, the second adding groups (the cells grow)
        for (const t of [pooled, fresh]) { t.consume(batch, Uint32Array.from({ length: n / 3 }, (_, i) => i), n / 3); t.consume(batch, null, n); }
        expect(lease.bytes).toBeGreaterThan(0);
        expect(results(pooled)).toEqual(results(fresh));
        lease.end(true);
      }
    }
  });
});

describe('a join step\'s table', () => {
  it('is built again once the statement whose lease it used ended (its arrays went back to the pool)', () => {
    const pool = new ArrayPool(64 * MB);
    const build = buildSide(1000, 3);
    const step = { build, buildKeys: [0], nullEq: [], probeKeys: [], joinType: 'INNER' } as unknown as JoinStep;
    const lease = pool.lease();
    const first = buildTableOf(step, undefined, undefined, lease);
    expect(buildTableOf(step)).toBe(first);
    lease.end(true);
    const again = buildTableOf(step);
    expect(again).not.toBe(first);
    expect(again.arrays).toBeNull();
    expect(buildTableOf(step)).toBe(again);
  });
});

describe('joins in two slices over pooled arrays match DuckDB', () => {
  let twins: TwinEngines | undefined;
  let s: Session;
  let duck: DuckDBSession;
  const SETUP = [
    'CREATE TABLE d (n INTEGER)',
    'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
    'CREATE TABLE f (x INTEGER, k INTEGER, v INTEGER)',
    `INSERT INTO f SELECT x, CASE WHEN x % 41 = 0 THEN NULL ELSE x % 3001 END, x % 100 FROM (SELECT b.n * 10000 + c.n * 1000 + e.n * 100 + h.n * 10 + i.n AS x FROM d b, d c, d e, d h, d i) t WHERE x < 60000`,
    'CREATE TABLE dim (k INTEGER, p INTEGER, label VARCHAR(8))',
    `INSERT INTO dim SELECT x, x % 97, 'l' || CAST(x % 13 AS VARCHAR(4)) FROM (SELECT e.n * 1000 + h.n * 100 + i.n * 10 + j.n AS x FROM d e, d h, d i, d j) t WHERE x < 4000`,
    'ANALYZE f', 'ANALYZE dim',
  ];
  const QUERIES = [
    `SELECT dim.label, count(*), sum(f.v), sum(dim.p) FROM f JOIN dim ON f.k = dim.k GROUP BY dim.label ORDER BY 1`,
    `SELECT dim.p % 7, count(*), count(dim.k) FROM f LEFT JOIN dim ON f.k = dim.k AND dim.p < 50 GROUP BY 1 ORDER BY 1 NULLS FIRST`,
    `SELECT count(*), sum(v) FROM f WHERE k IN (SELECT k FROM dim WHERE p % 3 = 0)`,
    `SELECT count(*) FROM f WHERE NOT EXISTS (SELECT 1 FROM dim WHERE dim.k = f.k AND dim.p > 20)`,
  ];

  beforeAll(async () => {
    twins = await openTwinEngines('array-pool', SETUP);
    ({ s, duck } = twins);
  }, 120_000);
  afterAll(async () => { await twins?.close(); });

  const rows = (r: unknown) => ((Array.isArray(r) ? r[r.length - 1] : r) as { rows: unknown[][] }).rows.map((x) => x.map((v) => (typeof v === 'bigint' ? Number(v) : v)));

  it('every answer stays right while statements run at once and some fail mid-query', async () => {
    const want = await Promise.all(QUERIES.map(async (q) => rows((await duck.execute(translateToDuckDB(q)))[0])));
    const sessions = QUERIES.map(() => twins!.db.connect());
    try {
      for (let round = 0; round < 3; round++) {
        // a division by zero fails once the join has built its table and rows reach it
        const failing = s.execute(`SELECT count(*) FROM f JOIN dim ON f.k = dim.k WHERE f.v / (f.x - 30000) >= 0`).then(() => null, (e: Error) => e);
        const got = await Promise.all(QUERIES.map((q, i) => sessions[i].execute(q)));
        expect((await failing)?.message).toMatch(/division by zero/i);
        got.forEach((r, i) => expect(rows(r), QUERIES[i]).toEqual(want[i]));
      }
    } finally {
      await Promise.all(sessions.map((o) => o.close()));
    }
  });
});
