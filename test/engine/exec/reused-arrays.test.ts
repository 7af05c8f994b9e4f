// Arrays reused batch after batch (exec/scratch.ts): probe keys, first matches and row pairs of a
// hash join (also when it probes through a selection instead of a compacted batch), a join
// filter's kept rows, a GROUP BY's key copies and ids, the slices' selections.
// A reused array must never show through in what an operator hands on: each batch's answer is
// checked against a fresh computation, batches are fed largest first (stale tails must not leak
// into a smaller batch), and the rows handed on by an earlier batch must stay as they were after
// later batches reuse the arrays. End to end, multi-batch joins, filters over deleted rows and
// aggregates in two slices give DuckDB's answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatRows, concatVectors, gather, type Vector } from '../../../engine/types/vector.ts';
import { T } from '../../../engine/types/types.ts';
import { ReusedArray, ReusedColumns } from '../../../engine/exec/scratch.ts';
import { KeyBatch, KeyScratch } from '../../../engine/exec/hash-table.ts';
import { BuildTable, probe, type JoinKind } from '../../../engine/exec/hash-join.ts';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

const cell = (v: Vector, i: number) => (v.valid && v.valid[i] === 0 ? null : v.dict ? v.dict[v.values[i]] : v.values[i]);
const rowsOfBatch = (b: { length: number; columns: Vector[] }) => Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i)));

/** A probe batch of n rows starting at `from`: an int key (NULL every 9th row), a string key and a double payload. */
function probeBatch(from: number, n: number): Vector[] {
  const keys = Int32Array.from({ length: n }, (_, i) => (from + i) % 70);
  return [
    { type: T.int, length: n, values: keys, valid: Uint8Array.from(keys, (_, i) => ((from + i) % 9 === 0 ? 0 : 1)) },
    { type: T.varchar, length: n, values: Int32Array.from(keys, (k) => k % 4), valid: null, dict: ['w', 'x', 'y', 'z'] },
    { type: T.double, length: n, values: Float64Array.from(keys, (k, i) => k + i / 8), valid: null },
  ];
}

describe('ReusedArray', () => {
  it('hands out views of exactly n elements over one array, grown when too small', () => {
    const r = new ReusedArray(Uint32Array);
    const a = r.take(10);
    a.fill(7);
    const b = r.take(5);
    expect(b.length).toBe(5);
    expect(b.buffer).toBe(a.buffer);
    expect([...b]).toEqual([7, 7, 7, 7, 7]);
    expect([...r.zeroed(5)]).toEqual([0, 0, 0, 0, 0]);
    const c = r.take(5000);
    expect(c.length).toBe(5000);
    expect(c.buffer).not.toBe(a.buffer);
    expect(r.capacity).toBeGreaterThanOrEqual(5000);
    expect(r.bytes).toBe(r.capacity * 4);
  });

  it('ReusedColumns keeps one array per column and kind, and counts the bytes they hold', () => {
    const cols = new ReusedColumns();
    expect(cols.bytes).toBe(0);
    const a = cols.take(0, new Float64Array(1), 2000);
    const b = cols.take(1, new Int32Array(1), 3000);
    expect(a).toBeInstanceOf(Float64Array);
    expect(b).toBeInstanceOf(Int32Array);
    expect(cols.take(0, new Float64Array(1), 100).buffer).toBe(a.buffer);
    expect(cols.bytes).toBe(a.buffer.byteLength + b.buffer.byteLength);
    expect(cols.bytes).toBeGreaterThanOrEqual(2000 * 8 + 3000 * 4);
  });
});

describe('concatRows (an exchange cutting pieces of rows by destination)', () => {
  it('gives what gathering each piece and joining them gives: strings of several dictionaries, NULLs, exact big values', () => {
    const pieces = [probeBatch(0, 300), probeBatch(40, 120), probeBatch(7, 90)];
    // the second piece's strings come from another dictionary, in another order
    pieces[1][1] = { ...pieces[1][1], dict: ['z', 'y', 'x', 'w'] };
    const big = (n: number, from: number): Vector => ({ type: T.decimal(38, 0), length: n, values: Float64Array.from({ length: n }, (_, i) => 2 ** 60 + i + from), valid: null, big: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : 2n ** 60n + BigInt(i + from))) });
    pieces.forEach((p, j) => p.push(big(p[0].length, j * 1000)));
    const sels = [Uint32Array.from({ length: 100 }, (_, i) => 3 * i), null, new Uint32Array(0)];
    for (let c = 0; c < pieces[0].length; c++) {
      const cols = pieces.map((p) => p[c]);
      const got = concatRows(cols[0].type, cols, sels);
      const want = concatVectors(cols[0].type, cols.map((v, j) => gather(v, sels[j], sels[j]?.length ?? v.length)));
      expect(got.length).toBe(220);
      const rows = (v: Vector) => Array.from({ length: v.length }, (_, i) => cell(v, i));
      expect(rows(got)).toEqual(rows(want));
      expect(got.big ?? null).toEqual(want.big ?? null);
    }
  });
});

describe('key batches over reused arrays', () => {
  it('hash and mark NULL keys as fresh batches do, batch after batch of shrinking size', () => {
    const scratch = new KeyScratch();
    for (const [from, n] of [[0, 3000], [5, 1200], [17, 40], [3, 700]]) {
      const cols = probeBatch(from, n);
      // every other row selected: the copies of the selected keys go into the scratch arrays
      const sel = Uint32Array.from({ length: n >> 1 }, (_, i) => 2 * i);
      for (const [s, count] of [[null, n], [sel, sel.length]] as const) {
        const fresh = new KeyBatch(cols.slice(0, 2), count, false, s);
        const reused = new KeyBatch(cols.slice(0, 2), count, false, s, scratch);
        expect([...reused.hashes]).toEqual([...fresh.hashes]);
        expect(reused.skip ? [...reused.skip] : null).toEqual(fresh.skip ? [...fresh.skip] : null);
        expect(reused.cols.map((c) => [c.num && [...c.num], c.codes && [...c.codes], c.valid && [...c.valid]]))
          .toEqual(fresh.cols.map((c) => [c.num && [...c.num], c.codes && [...c.codes], c.valid && [...c.valid]]));
      }
    }
  });
});

describe('hash join probes over reused arrays', () => {
  // build keys 0..49, keys 0..9 four times over: a probe batch has more pairs than rows
  const bKeys = Int32Array.from({ length: 80 }, (_, i) => (i < 50 ? i : i % 10));
  const build: Vector[] = [
    { type: T.int, length: bKeys.length, values: bKeys, valid: null },
    { type: T.bigint, length: bKeys.length, values: Float64Array.from(bKeys, (k, i) => k * 100 + i), valid: null },
  ];
  const table = new BuildTable(build, [build[0]]);
  const fresh = () => new BuildTable(build, [build[0]]);

  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind}: each batch's rows match a fresh table's, and earlier outputs stay intact`, () => {
      const outputs: { rows: unknown[][]; batch: ReturnType<typeof probe> }[] = [];
      for (const [from, n] of [[0, 4000], [11, 1500], [3, 60], [29, 900]]) {
        const cols = probeBatch(from, n);
        const got = probe({ length: n, columns: cols }, [cols[0]], table, kind, null);
        const want = probe({ length: n, columns: cols }, [cols[0]], fresh(), kind, null);
        expect(rowsOfBatch(got)).toEqual(rowsOfBatch(want));
        outputs.push({ rows: rowsOfBatch(want), batch: got });
      }
      // what each probe handed on is its own: later probes did not write over it
      for (const o of outputs) expect(rowsOfBatch(o.batch)).toEqual(o.rows);
      expect(outputs[0].rows.length).toBeGreaterThan(100);
    });
  }

  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind} through a selection gives the rows of the compacted batch`, () => {
      for (const [from, n, every] of [[0, 4000, 3], [7, 2500, 2], [1, 300, 5]]) {
        const cols = probeBatch(from, n);
        const sel = Uint32Array.from({ length: Math.ceil(n / every) }, (_, i) => i * every);
        const compacted = cols.map((c) => gather(c, sel, sel.length));
        const got = probe({ length: n, columns: cols }, [cols[0]], table, kind, null, undefined, sel);
        const want = probe({ length: sel.length, columns: compacted }, [compacted[0]], fresh(), kind, null);
        expect(rowsOfBatch(got)).toEqual(rowsOfBatch(want));
        expect(want.length).toBeGreaterThan(10);
      }
    });
  }
});

describe('multi-batch joins, filters and aggregates in two slices match DuckDB', () => {
  let twins: TwinEngines | undefined;
  let s: Session;
  let duck: DuckDBSession;
  const SETUP = [
    'CREATE TABLE d (n INTEGER)',
    'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
    // 240,000 rows: each slice scans about 120,000 in two batches (65,536 and the rest)
    'CREATE TABLE f (x INTEGER, k INTEGER, g VARCHAR(8), v INTEGER, w INTEGER)',
    `INSERT INTO f SELECT x, CASE WHEN x % 101 = 0 THEN NULL ELSE x % 20011 END, 'g' || CAST(x % 37 AS VARCHAR(4)), x % 1000, CASE WHEN x % 13 = 0 THEN NULL ELSE x % 17 END
       FROM (SELECT a.n * 100000 + b.n * 10000 + c.n * 1000 + e.n * 100 + h.n * 10 + i.n AS x FROM d a, d b, d c, d e, d h, d i WHERE a.n < 3) t WHERE x < 240000`,
    // deleted rows: the scans select the live ones first
    'DELETE FROM f WHERE x % 11 = 0 AND x > 150000',
    // keys 0..20010, the first 500 three times: batches have more pairs than rows
    'CREATE TABLE dim (k INTEGER, p INTEGER, label VARCHAR(8))',
    `INSERT INTO dim SELECT x, x % 977, 'l' || CAST(x % 23 AS VARCHAR(4)) FROM (SELECT b.n * 10000 + c.n * 1000 + e.n * 100 + h.n * 10 + i.n AS x FROM d b, d c, d e, d h, d i) t WHERE x < 20011`,
    `INSERT INTO dim SELECT k, p + 1, label FROM dim WHERE k < 500`,
    `INSERT INTO dim SELECT k, p + 2, label FROM dim WHERE k < 500 AND p < 977`,
    'CREATE TABLE labels (label VARCHAR(8), cat INTEGER)',
    `INSERT INTO labels SELECT 'l' || CAST(x AS VARCHAR(4)), x % 5 FROM (SELECT e.n * 10 + i.n AS x FROM d e, d i) t WHERE x < 23`,
    'ANALYZE f', 'ANALYZE dim', 'ANALYZE labels',
  ];

  beforeAll(async () => {
    twins = await openTwinEngines('reused-arrays', SETUP);
    ({ s, duck } = twins);
  }, 120_000);
  afterAll(async () => { await twins?.close(); });

  const strataRows = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows as unknown[][]; };
  const norm = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)));
  async function same(sql: string): Promise<void> {
    const got = norm(await strataRows(sql));
    const want = norm((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][]);
    expect(got).toEqual(want);
    expect(want.length).toBeGreaterThan(0);
  }

  it('a filtered scan through a join into GROUP BY', async () => {
    await same(`SELECT f.g, count(*), sum(f.v), sum(dim.p), count(f.w) FROM f JOIN dim ON f.k = dim.k
      WHERE f.x < 70000 OR f.x % 3 = 0 GROUP BY f.g ORDER BY f.g`);
  });

  // the last probe before a slice's GROUP BY hands its rows on in reused arrays: the groups'
  // keys, DISTINCT sets and string min/max must hold values, never views of the next batch's rows
  it('a probe straight into GROUP BY: string and NULL keys, DISTINCT and string min/max over batches', async () => {
    await same(`SELECT dim.label, f.w, count(*), count(DISTINCT dim.p), min(f.g), max(f.g), sum(f.v), max(dim.p) FROM f JOIN dim ON f.k = dim.k
      WHERE f.x % 5 <> 2 GROUP BY dim.label, f.w ORDER BY 1, 2 NULLS FIRST`);
  });

  it('two joins (an int key, then a string key) with a filter between them', async () => {
    await same(`SELECT labels.cat, count(*), sum(f.v + dim.p) FROM f JOIN dim ON f.k = dim.k JOIN labels ON dim.label = labels.label
      WHERE f.w > 3 AND dim.p % 4 <> 1 GROUP BY labels.cat ORDER BY labels.cat`);
  });

  it('a chain of three probes in one pipeline, the middle one padding NULLs: the first two hand their rows on in reused arrays', async () => {
    const sql = `SELECT labels.cat, d2.label, count(*), sum(f.v), sum(dim.p + d2.p), count(f.w), min(f.g), count(labels.cat)
      FROM f JOIN dim ON f.k = dim.k LEFT JOIN labels ON dim.label = labels.label AND labels.cat < 3 JOIN dim d2 ON f.v = d2.k
      WHERE f.x % 4 <> 0 GROUP BY labels.cat, d2.label ORDER BY 1 NULLS FIRST, 2`;
    const plan = (await strataRows(`EXPLAIN ${sql}`)).map((r) => String(r[0])).join('\n');
    expect(plan).toMatch(/Hash INNER Join \(probe: left input, build: computed whole by every slice, nothing moves\)[^\n]*\n\s*->  Hash LEFT Join \(probe: left input, build: computed whole by every slice, nothing moves\)[^\n]*\n\s*->  Hash INNER Join \(probe: left input/);
    await same(sql);
  });

  it('a LEFT join with a residual condition', async () => {
    await same(`SELECT f.w, count(dim.p), sum(f.v) FROM f LEFT JOIN dim ON f.k = dim.k AND dim.p > f.v GROUP BY f.w ORDER BY f.w NULLS FIRST`);
  });

  it('IN and NOT EXISTS subqueries', async () => {
    await same(`SELECT count(*), sum(v) FROM f WHERE k IN (SELECT k FROM dim WHERE p % 5 = 0) AND w IS NOT NULL`);
    await same(`SELECT g, count(*) FROM f WHERE NOT EXISTS (SELECT 1 FROM dim WHERE dim.k = f.k AND dim.p < 300) GROUP BY g ORDER BY g`);
  });

  it('joined rows the slices keep across batches (no aggregate) stay as they were', async () => {
    await same(`SELECT f.x, f.g, dim.p, dim.label FROM f JOIN dim ON f.k = dim.k WHERE f.x % 97 = 1 ORDER BY f.x, dim.p`);
  });

  // joined rows an exchange sends on are the probe's own arrays (not copied per batch), cut by
  // destination and copied once from all the batches' pieces: strings of several dictionaries,
  // NULLs, a column named twice, while two statements run in the same slices
  const EXCHANGED = [
    // scanned rows redistributed on both sides, two batches a slice
    `SELECT b.g, dim.label, count(*), sum(a.v), count(a.w), min(a.g), max(dim.label) FROM f a JOIN dim ON a.k = dim.k JOIN f b ON a.x = b.x
      WHERE a.x % 3 <> 1 GROUP BY b.g, dim.label ORDER BY 1, 2`,
    // joined rows (f with dim) redistributed to meet f's rows by a computed key
    `SELECT a.w, dim.label, count(*), sum(b.v), count(b.w), min(b.g), max(a.g) FROM f a JOIN dim ON a.k = dim.k JOIN f b ON a.x = b.v * 240 + b.w
      GROUP BY a.w, dim.label ORDER BY 1 NULLS FIRST, 2`,
  ];

  it('joined rows redistributed to meet another table, two statements at once in the same slices', async () => {
    const plans = await Promise.all(EXCHANGED.map(async (sql) => (await strataRows(`EXPLAIN ${sql}`)).map((r) => String(r[0])).join('\n')));
    expect(plans[0]).toMatch(/Redistribute by key x \(every slice -> every slice\)[^\n]*\n\s*->  Scan public\.f/);
    expect(plans[1]).toMatch(/Redistribute by key x \(every slice -> every slice\)[^\n]*\n\s*->  Hash INNER Join \(probe: left input, build: computed whole by every slice, nothing moves\)/);
    const other = twins!.db.connect();
    try {
      const [one, two] = await Promise.all([strataRows(EXCHANGED[0]), (async () => { const r = await other.execute(EXCHANGED[1]); return r[r.length - 1].rows as unknown[][]; })()]);
      for (const [sql, got] of [[EXCHANGED[0], one], [EXCHANGED[1], two]] as const) {
        const want = norm((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][]);
        expect(norm(got), sql).toEqual(want);
        expect(want.length).toBeGreaterThan(3);
      }
    } finally {
      await other.close();
    }
  });

  it('a UNION ALL of two joins whose rows stay in their slices, in pieces', async () => {
    await same(`SELECT x.g, count(*), sum(x.p), min(x.label) FROM (SELECT f.g, dim.p, dim.label FROM f JOIN dim ON f.k = dim.k WHERE f.x % 5 = 0
      UNION ALL SELECT f.g, dim.p, f.g FROM f JOIN dim ON f.k = dim.k WHERE f.x % 7 = 0) x GROUP BY x.g ORDER BY x.g`);
  });
});
