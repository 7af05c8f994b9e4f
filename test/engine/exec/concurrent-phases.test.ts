// Phases of a statement that do not depend on each other run at once (exec/concurrent-phases.ts):
// the broadcast build sides of one slice pipeline and a plan's uncorrelated subqueries. Answers
// are checked against DuckDB for every join kind a broadcast serves (inner, left, semi, anti);
// a failure or cancel while phases overlap gives the first phase's error, leaves no temp files
// and no busy slice; a subquery that spills beside one that ends first keeps its files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';
import { allPhases } from '../../../engine/exec/concurrent-phases.ts';
import { SqlError } from '../../../engine/errors.ts';

let twins: TwinEngines;

// f: 100 000 rows over three small dimensions (d1 100 keys, d2 50, d3 20; some keys missing), so
// every join below broadcasts its dimension and the three build sides are one pipeline's
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  `CREATE TABLE f (k1 INTEGER, k2 INTEGER, k3 INTEGER, v INTEGER)`,
  `INSERT INTO f SELECT x % 110, x % 53, CASE WHEN x % 31 = 0 THEN NULL ELSE x % 23 END, x % 1000
     FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + g.n AS x FROM d a, d b, d c, d e, d g) t`,
  'CREATE TABLE d1 (k INTEGER, a VARCHAR(8))',
  `INSERT INTO d1 SELECT x, 'a' || CAST(x % 7 AS VARCHAR(2)) FROM (SELECT a.n * 10 + b.n AS x FROM d a, d b) t`,
  'CREATE TABLE d2 (k INTEGER, b INTEGER)',
  'INSERT INTO d2 SELECT x, x % 5 FROM (SELECT a.n * 10 + b.n AS x FROM d a, d b) t WHERE x < 50',
  'CREATE TABLE d3 (k INTEGER, c INTEGER)',
  'INSERT INTO d3 SELECT x, x % 3 FROM (SELECT a.n * 10 + b.n AS x FROM d a, d b) t WHERE x < 20',
];

/** Strata's rows are DuckDB's, in any order, and there are some. */
async function same(sql: string): Promise<void> {
  expect((await twins.same(sql, { anyOrder: true })).length).toBeGreaterThan(0);
}
const tempFiles = () => twins.leftover();
const broadcasts = async (sql: string) => (await twins.explain(sql)).split('\n').filter((l) => l.includes('Broadcast')).length;

beforeAll(async () => {
  twins = await openTwinEngines('phases', SETUP);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

/** Something one phase does that others wait for: `raise` it, and `raised` resolves. */
function signal(): { raise: () => void; raised: Promise<void> } {
  let raise = () => {};
  const raised = new Promise<void>((r) => { raise = r; });
  return { raise, raised };
}

/** A phase that fails with a statement's own error: it does `first` (what its failure sets off elsewhere), then fails 10 ms later. */
const ownFailure = (first: () => void) => async (): Promise<never> => {
  first();
  await new Promise((r) => setTimeout(r, 10));
  throw new SqlError('DIVISION_BY_ZERO', 'division by zero');
};

describe('allPhases', () => {
  it('starts every phase before any ends and returns results in order', async () => {
    const started: number[] = [];
    const phase = (i: number, ms: number) => async () => { started.push(i); await new Promise((r) => setTimeout(r, ms)); return i * 10; };
    expect(await allPhases(() => {}, [phase(0, 30), phase(1, 1), phase(2, 10)])).toEqual([0, 10, 20]);
    expect(started).toEqual([0, 1, 2]);
  });

  it('throws the first failure only once every phase settled, and stops the others once', async () => {
    let stops = 0, slowDone = false;
    const failing = async () => { await new Promise((r) => setTimeout(r, 5)); throw new Error('first'); };
    const later = async () => { await new Promise((r) => setTimeout(r, 15)); throw new Error('second'); };
    const slow = async () => { await new Promise((r) => setTimeout(r, 40)); slowDone = true; return 1; };
    await expect(allPhases(() => { stops++; }, [slow, failing, later])).rejects.toThrow('first');
    expect(slowDone).toBe(true);
    expect(stops).toBe(1);
  });

  it('throws a phase\'s own failure, not the QUERY_CANCELED its stop made in a phase that settled first', async () => {
    // as a Gather does: a slice fails, the phase raises the statement's flag and waits for its
    // other slices, while a subquery beside it sees the flag and fails at once
    const flag = signal();
    const failing = ownFailure(flag.raise);
    const beside = async () => { await flag.raised; throw new SqlError('QUERY_CANCELED', 'canceling statement due to user request'); };
    await expect(allPhases(() => {}, [beside, failing])).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    // a cancel alone is a cancel
    await expect(allPhases(() => {}, [beside, beside])).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
  });

  it('throws a phase\'s own failure, not an internal error that followed from it and settled first', async () => {
    // a slice fails and removes its partition files as it stops; a slice reading them fails first with ENOENT
    const removed = signal();
    const failing = ownFailure(removed.raise);
    const reader = async () => { await removed.raised; throw new SqlError('INTERNAL_ERROR', 'internal error: ENOENT: no such file or directory'); };
    await expect(allPhases(() => {}, [reader, failing])).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    // an internal error over a cancel; of two internal errors, the first
    const canceled = async () => { await removed.raised; throw new SqlError('QUERY_CANCELED', 'canceling statement due to user request'); };
    const lateInternal = async () => { await new Promise((r) => setTimeout(r, 10)); throw new SqlError('INTERNAL_ERROR', 'second'); };
    await expect(allPhases(() => {}, [canceled, lateInternal])).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    await expect(allPhases(() => {}, [reader, lateInternal])).rejects.toThrow('ENOENT');
  });
});

describe('independent build sides in one slice pipeline', () => {
  const INNER = `SELECT d1.a, d2.b, d3.c, count(*), sum(f.v) FROM f JOIN d1 ON f.k1 = d1.k JOIN d2 ON f.k2 = d2.k JOIN d3 ON f.k3 = d3.k GROUP BY d1.a, d2.b, d3.c`;
  const MIXED = `SELECT d1.a, d2.b, count(*), sum(f.v) FROM f JOIN d1 ON f.k1 = d1.k LEFT JOIN d2 ON f.k2 = d2.k
    WHERE EXISTS (SELECT 1 FROM d3 WHERE d3.k = f.k3 AND d3.c > 0) AND NOT EXISTS (SELECT 1 FROM d2 x WHERE x.k = f.k2 AND x.b = 4) GROUP BY d1.a, d2.b`;

  it('inner joins on three broadcast dimensions agree with DuckDB', async () => {
    expect(await broadcasts(INNER)).toBe(3);
    await same(INNER);
  });

  it('inner, left, semi and anti joins on broadcast build sides agree with DuckDB', async () => {
    expect(await broadcasts(MIXED)).toBeGreaterThanOrEqual(3);
    await same(MIXED);
  });

  it('a build side that fails stops the statement with its own error, leaving no temp files and no busy slice', async () => {
    const failing = `SELECT count(*) FROM f JOIN d2 ON f.k2 = d2.k JOIN (SELECT k FROM d1 WHERE 10 / (k - k) = 1) x ON f.k1 = x.k JOIN d3 ON f.k3 = d3.k`;
    expect(await broadcasts(failing)).toBe(3);
    await expect(twins.s.execute(failing)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(tempFiles()).toEqual([]);
    await same(INNER); // the slices answer the next statement
  });

  it('a cancel while the build sides run leaves no temp files and no busy slice', async () => {
    for (const ms of [0, 2, 5]) {
      const ac = new AbortController();
      const run = twins.s.execute(INNER, { signal: ac.signal });
      setTimeout(() => ac.abort(), ms);
      await run.catch((e: { code?: string }) => expect(e.code).toBe('QUERY_CANCELED'));
      expect(tempFiles()).toEqual([]);
    }
    await same(INNER);
  });
});

describe('uncorrelated subqueries', () => {
  it('run together and agree with DuckDB', async () => {
    await same(`SELECT k1, count(*) FROM f WHERE v > (SELECT avg(v) FROM f WHERE k2 = 3) AND k1 IN (SELECT k FROM d1 WHERE a = 'a2') AND k3 < (SELECT max(k) FROM d3) GROUP BY k1`);
  });

  it('one failing gives its error after the others settle, with no temp files left', async () => {
    await expect(twins.s.execute(`SELECT count(*) FROM f WHERE v > (SELECT count(*) FROM f a, d2) AND k1 = (SELECT 1 / (min(k) - min(k)) FROM d1)`))
      .rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    expect(tempFiles()).toEqual([]);
  });

  it('a subquery that spills keeps its files while one beside it ends first', async () => {
    await twins.s.execute("SET query_memory_limit = '2MB'");
    try {
      // both spill; the smaller one ends while the other still writes and reads its files
      const sql = `SELECT (SELECT count(*) FROM (SELECT k1, k2, v, count(*) AS n FROM f WHERE v < 400 GROUP BY k1, k2, v) a WHERE n > 1) AS smaller,
        (SELECT count(*) FROM (SELECT k1, k2, v, count(*) AS n FROM f GROUP BY k1, k2, v) g WHERE n > 1) AS larger`;
      await same(sql);
      expect((await twins.strataRows(`EXPLAIN ANALYZE ${sql}`)).at(-1)![0]).toMatch(/spilled .* to \d+ temp files/);
    } finally {
      await twins.s.execute('RESET query_memory_limit');
    }
    expect(tempFiles()).toEqual([]);
  });
});
