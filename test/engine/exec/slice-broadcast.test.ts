// Broadcast between the slices (operators/slice-broadcast.ts): a join's build side that the
// slices compute goes from every slice to every other directly, and the probe side's pipeline
// runs in the same slice request. Answers are checked against DuckDB for every join kind that
// broadcasts (inner, left with a residual, semi, anti), NULL keys, keys of two columns and of
// strings, a build side that is itself a join with a broadcast, an empty build side, a table
// with DISTSTYLE ALL, with one, two and three slices, and while the build spills; a failure in
// one slice while the others wait for its rows, and a cancel, leave no file and no stuck slice.
// A build side over DISTSTYLE ALL tables alone is not broadcast: every slice computes all of it
// from its own copy (operators/replicated.ts), for the same join kinds and keys; nor, unless
// SET join_distribution forces a broadcast, one over small tables of any distribution (every
// slice reads every slice's segments). This file's tables are all small, so its session forces
// broadcasts, and one test shows what the default does with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  // the probe side: 20 000 rows; k NULL on every 53rd row, g a second key, s a string key
  'CREATE TABLE f (i INTEGER, k INTEGER, g INTEGER, s VARCHAR(8), v INTEGER)',
  `INSERT INTO f SELECT x, CASE WHEN x % 53 = 0 THEN NULL ELSE x % 400 END, x % 7, 'c' || CAST(x % 300 AS VARCHAR(4)), x % 1000
     FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e) t`,
  'INSERT INTO f SELECT i + 10000, k, g, s, v FROM f',
  // build sides: 300 keys (some twice, one NULL), and a chain dim -> grp
  'CREATE TABLE dim (k INTEGER, g INTEGER, name VARCHAR(8), gk INTEGER)',
  `INSERT INTO dim SELECT x, x % 7, 'c' || CAST(x AS VARCHAR(4)), x % 5 FROM (SELECT a.n * 100 + b.n * 10 + c.n AS x FROM d a, d b, d c) t WHERE x < 300`,
  `INSERT INTO dim SELECT k, g + 1, name, gk FROM dim WHERE k % 10 = 0`,
  'INSERT INTO dim VALUES (NULL, 1, NULL, 0)',
  'CREATE TABLE grp (gk INTEGER, label VARCHAR(8)) DISTSTYLE ALL',
  `INSERT INTO grp VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (4, 'four')`,
  // dim's rows (its NULL key and duplicate keys too) in a table every slice holds whole
  'CREATE TABLE dima (k INTEGER, g INTEGER, name VARCHAR(8), gk INTEGER) DISTSTYLE ALL',
  'INSERT INTO dima SELECT * FROM dim',
  'ANALYZE',
];

const QUERIES = [
  // inner, one key, NULL keys on both sides
  'SELECT count(*), sum(f.v), count(DISTINCT dim.name) FROM f JOIN dim ON f.k = dim.k',
  // two key columns
  'SELECT dim.g, count(*), sum(f.i) FROM f JOIN dim ON f.k = dim.k AND f.g = dim.g GROUP BY dim.g ORDER BY 1',
  // a string key
  'SELECT count(*), sum(f.v), min(dim.k), max(dim.k) FROM f JOIN dim ON f.s = dim.name',
  // left with a residual: unmatched and NULL-keyed rows stay
  'SELECT count(*), count(dim.k), sum(dim.g), sum(f.v) FROM f LEFT JOIN dim ON f.k = dim.k AND dim.g > f.g',
  // semi and anti (NULL keys never match; NOT EXISTS keeps them)
  'SELECT count(*), sum(v) FROM f WHERE EXISTS (SELECT 1 FROM dim WHERE dim.k = f.k AND dim.g = 3)',
  'SELECT count(*), sum(v), count(k) FROM f WHERE NOT EXISTS (SELECT 1 FROM dim WHERE dim.k = f.k AND dim.g = 3)',
  // the build side is itself a join whose build side (DISTSTYLE ALL) is broadcast
  'SELECT grp.label, count(*), sum(f.v) FROM f JOIN dim ON f.k = dim.k JOIN grp ON dim.gk = grp.gk GROUP BY grp.label ORDER BY 1',
  // an empty build side
  'SELECT count(*), sum(f.v) FROM f JOIN dim ON f.k = dim.k WHERE dim.g > 100',
  'SELECT count(*), count(dim.k) FROM f LEFT JOIN (SELECT * FROM dim WHERE g > 100) dim ON f.k = dim.k',
];

/** QUERIES' joins with build sides over ALL tables only, which every slice computes whole */
const ALL_QUERIES = [
  'SELECT count(*), sum(f.v), count(DISTINCT dima.name) FROM f JOIN dima ON f.k = dima.k',
  'SELECT dima.g, count(*), sum(f.i) FROM f JOIN dima ON f.k = dima.k AND f.g = dima.g GROUP BY dima.g ORDER BY 1',
  'SELECT count(*), sum(f.v), min(dima.k), max(dima.k) FROM f JOIN dima ON f.s = dima.name',
  'SELECT count(*), count(dima.k), sum(dima.g), sum(f.v) FROM f LEFT JOIN dima ON f.k = dima.k AND dima.g > f.g',
  'SELECT count(*), sum(v) FROM f WHERE EXISTS (SELECT 1 FROM dima WHERE dima.k = f.k AND dima.g = 3)',
  'SELECT count(*), sum(v), count(k) FROM f WHERE NOT EXISTS (SELECT 1 FROM dima WHERE dima.k = f.k AND dima.g = 3)',
  // the build side is a join of two ALL tables
  "SELECT grp.label, count(*), sum(f.v) FROM f JOIN (SELECT dima.k, grp.label FROM dima JOIN grp ON dima.gk = grp.gk WHERE dima.name LIKE 'c1%') b ON f.k = b.k JOIN grp ON grp.label = b.label GROUP BY grp.label ORDER BY 1",
];

/** 20 000 groups: more than the leader should merge */
const MANY_GROUPS = 'SELECT i, sum(v), count(k) FROM f GROUP BY i ORDER BY 2 DESC, 1 LIMIT 5';

let twins: TwinEngines | undefined;
let s: Session;
let duck: DuckDBSession;

const rowsOf = async (session: Session, sql: string) => { const r = await session.execute(sql); return r[r.length - 1].rows; };
const norm = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v === null ? null : String(v))));
const duckRows = async (sql: string) => norm((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][]);
const explain = async (session: Session, sql: string) => (await rowsOf(session, `EXPLAIN ${sql}`)).map((r) => String(r[0]));
const execution = async (sql: string) => String((await rowsOf(s, `EXPLAIN ANALYZE ${sql}`)).at(-1)![0]);
/** Files left in the temp area of a Strata data directory. */

beforeAll(async () => {
  twins = await openTwinEngines('slice-broadcast', SETUP);
  ({ s, duck } = twins);
  // the tables are small: left to the estimate, every slice would compute their build sides whole
  await s.execute("SET join_distribution = 'broadcast'");
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

describe('broadcast between the slices', () => {
  it('computes every broadcast build side in the slices: one request, nothing gathered at the leader before it', async () => {
    const lines = await explain(s, QUERIES[6]);
    const broadcasts = lines.filter((l) => /Broadcast \(every slice -> every slice\)/.test(l));
    // dim's rows are broadcast; grp (DISTSTYLE ALL) is read whole in every slice
    expect(broadcasts, lines.join('\n')).toHaveLength(1);
    expect(lines.filter((l) => /Broadcast \(none: every slice computes every row, reading its tables whole\)/.test(l)), lines.join('\n')).toHaveLength(1);
    for (const b of broadcasts) expect(b).toMatch(/\[2 slices/);
    expect(lines.filter((l) => /Gather/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /Broadcast \(leader/.test(l))).toHaveLength(0);
    for (const sql of QUERIES.slice(0, 6)) expect((await explain(s, sql)).join('\n')).toMatch(/build: broadcast\)[^\n]*\[2 slices[^]*Broadcast \(every slice -> every slice\)/);
  });

  it('EXPLAIN ANALYZE shows the one slice request and when each slice ran it: on CPU, waiting for a core, idle, waiting for the others, its garbage collections, when the leader had its result', async () => {
    const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${QUERIES[6]}`)).map((r) => String(r[0]));
    const total = Number(/Execution: \d+ rows in ([\d.]+) ms/.exec(lines.at(-1)!)![1]);
    const requests = lines.filter((l) => l.startsWith('Slice request'));
    expect(requests, lines.join('\n')).toHaveLength(1);
    const m = /^Slice request 1 \(Partial Hash Aggregate\), sent at ([\d.]+) ms: (.*)$/.exec(requests[0])!;
    expect(m, requests[0]).not.toBeNull();
    const slices = [...m[2].matchAll(/#(\d) ([\d.]+)-([\d.]+) ms, at the leader ([\d.]+) ms \((?:on CPU ([\d.]+), waiting for a core ([\d.]+), idle ([\d.]+) ms; )?([\d.]+) ms waiting for other slices; GC (\d+) minor, (\d+) major, ([\d.]+) ms paused; (\d+) kernels compiled\)/g)];
    expect(slices.map((x) => x[1]), requests[0]).toEqual(['0', '1']);
    const sent = Number(m[1]);
    for (const [, , began, ended, seen, cpu, runq, idle, peers, , , paused] of slices) {
      // the thread's collections stopped it within its span
      expect(Number(paused)).toBeLessThanOrEqual(Number(ended) - Number(began) + 0.1);
      // each slice begins after the leader sent the request and ends before the statement does (0.1 ms rounding)
      expect(Number(began)).toBeGreaterThanOrEqual(sent - 0.1);
      expect(Number(ended)).toBeGreaterThanOrEqual(Number(began));
      expect(Number(ended)).toBeLessThanOrEqual(total + 0.1);
      // the leader has the result after the slice ended it, within the statement
      expect(Number(seen)).toBeGreaterThanOrEqual(Number(ended) - 0.1);
      expect(Number(seen)).toBeLessThanOrEqual(total + 0.1);
      // the span is CPU + run queue + idle; waiting for the other slices is idle (or, once woken, run queue) time
      if (cpu !== undefined) {
        expect(Number(cpu) + Number(runq) + Number(idle)).toBeGreaterThanOrEqual(Number(ended) - Number(began) - 0.3);
        expect(Number(peers)).toBeLessThanOrEqual(Number(idle) + Number(runq) + 0.3);
      }
    }
  });

  it('answers as DuckDB does for inner, left, semi and anti joins, NULL, two-column and string keys, nested and empty build sides', async () => {
    for (const sql of QUERIES) expect(norm(await rowsOf(s, sql) as unknown[][]), sql).toEqual(await duckRows(sql));
    // EXPLAIN ANALYZE: each slice holds every build row (dim's 331 rows, the NULL key's included)
    const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${QUERIES[0]}`)).map((r) => String(r[0]));
    expect(lines.find((l) => /Broadcast \(every slice/.test(l))).toMatch(/per slice: #0 331 rows [\d.]+ ms, #1 331 rows/);
  });

  it('answers alike with one slice (nothing moves) and with three; with one, a GROUP BY of many groups finishes in the slice', async () => {
    for (const slices of [1, 3]) {
      const other = await openTwinEngines(`slice-broadcast-${slices}`, SETUP, { slices });
      try {
        await other.s.execute("SET join_distribution = 'broadcast'");
        expect((await explain(other.s, QUERIES[6])).join('\n')).toMatch(slices === 1 ? /Broadcast \(one slice: its rows stay where they are\)/ : /Broadcast \(every slice -> every slice\)/);
        for (const sql of [QUERIES[3], QUERIES[6], MANY_GROUPS, ALL_QUERIES[0], ALL_QUERIES[5], ALL_QUERIES[6]]) expect(norm(await rowsOf(other.s, sql) as unknown[][]), `${slices} slices: ${sql}`).toEqual(await duckRows(sql));
        // many groups: the slices finish them (one slice: where they are; three: by group key), the leader only takes the first rows
        const plan = (await explain(other.s, MANY_GROUPS)).join('\n');
        expect(plan).toMatch(slices === 1 ? /Final Hash Aggregate \(one slice holds every group: it finishes them\)\s+\[1 slice/ : /Final Hash Aggregate \(partial states redistributed by group key/);
        expect(plan).toMatch(/Top-N 5 per slice/);
      } finally {
        await other.close();
      }
    }
  }, 60_000);

  it('a build side over ALL tables alone moves nothing: every slice computes all of it, and answers as DuckDB does', async () => {
    for (const sql of ALL_QUERIES) {
      const plan = (await explain(s, sql)).join('\n');
      expect(plan, sql).toMatch(/Broadcast \(none: every slice computes every row, reading its tables whole\)\s+\[2 slices/);
      expect(plan, sql).not.toMatch(/Broadcast \(every slice -> every slice\)/);
      expect(norm(await rowsOf(s, sql) as unknown[][]), sql).toEqual(await duckRows(sql));
    }
    // each slice holds all 331 rows (the NULL key's too); the table's rows count once as scanned
    const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${ALL_QUERIES[0]}`)).map((r) => String(r[0]));
    expect(lines.find((l) => /Broadcast \(none/.test(l)), lines.join('\n')).toMatch(/per slice: #0 331 rows [\d.]+ ms, #1 331 rows/);
    expect(lines.at(-1)).toMatch(/ 20331 rows scanned/);
    // rows deleted or updated in the ALL table are gone from every slice's copy
    await s.execute('CREATE TABLE dimb (k INTEGER, name VARCHAR(8)) DISTSTYLE ALL');
    await duck.execute('CREATE TABLE dimb (k INTEGER, name VARCHAR(8))');
    try {
      for (const sql of ['INSERT INTO dimb SELECT k, name FROM dim', 'DELETE FROM dimb WHERE k % 3 = 0', "UPDATE dimb SET name = 'u' WHERE k % 5 = 0"]) {
        await s.execute(sql);
        await duck.execute(translateToDuckDB(sql));
      }
      const changed = 'SELECT dimb.name, count(*), sum(f.v) FROM f JOIN dimb ON f.k = dimb.k GROUP BY dimb.name ORDER BY 2 DESC, 1 LIMIT 5';
      expect((await explain(s, changed)).join('\n')).toMatch(/Broadcast \(none/);
      expect(norm(await rowsOf(s, changed) as unknown[][])).toEqual(await duckRows(changed));
    } finally {
      await s.execute('DROP TABLE dimb');
      await duck.execute('DROP TABLE dimb');
    }
    // a volatile filter could keep different rows in each slice: that side is broadcast
    const volatile = 'SELECT count(*), sum(f.v) FROM f JOIN (SELECT k FROM dima WHERE random() < 2) b ON f.k = b.k';
    expect((await explain(s, volatile)).join('\n')).toMatch(/Broadcast \(every slice -> every slice\)/);
    expect(norm(await rowsOf(s, volatile) as unknown[][])).toEqual(await duckRows(volatile));
  });

  it('by default a build side over small tables of any distribution moves nothing: every slice reads every slice\'s segments, and answers as DuckDB does', async () => {
    await s.execute("SET join_distribution = 'auto'");
    try {
      for (const sql of QUERIES) {
        const plan = (await explain(s, sql)).join('\n');
        expect(plan, sql).toMatch(/Broadcast \(none: every slice computes every row, reading its tables whole\)\s+\[2 slices/);
        expect(plan, sql).not.toMatch(/every slice -> every slice/);
        expect(norm(await rowsOf(s, sql) as unknown[][]), sql).toEqual(await duckRows(sql));
      }
      // each slice holds all of dim's 331 rows (the NULL key's too), read from both slices' segments; they count once as scanned
      const lines = (await rowsOf(s, `EXPLAIN ANALYZE ${QUERIES[0]}`)).map((r) => String(r[0]));
      expect(lines.find((l) => /Broadcast \(none/.test(l)), lines.join('\n')).toMatch(/per slice: #0 331 rows [\d.]+ ms, #1 331 rows/);
      expect(lines.find((l) => /Scan public\.dim /.test(l)), lines.join('\n')).toMatch(/per slice: #0 331 rows [\d.]+ ms, #1 331 rows/);
      expect(lines.at(-1)).toMatch(/ 20331 rows scanned/);
      // a build side reading a table of over 250,000 rows is broadcast (each slice would read more than its rows' exchange costs)
      await s.execute('CREATE TABLE wide (k INTEGER)');
      await duck.execute('CREATE TABLE wide (k INTEGER)');
      const fill = 'INSERT INTO wide SELECT a.i * 13 + b.n FROM f a, d b, d c WHERE c.n < 2';
      await s.execute(fill);
      await duck.execute(translateToDuckDB(fill));
      const big = 'SELECT count(*), sum(f.v) FROM f JOIN (SELECT k FROM wide WHERE k < 1000) w ON f.i = w.k';
      expect((await explain(s, big)).join('\n')).toMatch(/Broadcast \(every slice -> every slice\)/);
      expect(norm(await rowsOf(s, big) as unknown[][])).toEqual(await duckRows(big));
      // cut to 250,000 rows, it is read whole again
      await s.execute('DELETE FROM wide WHERE k >= 13 * 12500');
      expect((await explain(s, big)).join('\n')).toMatch(/Broadcast \(none/);
      expect(norm(await rowsOf(s, big) as unknown[][])).toEqual(await duckRows(big));
    } finally {
      await s.execute("SET join_distribution = 'broadcast'");
      await s.execute('DROP TABLE IF EXISTS wide');
      await duck.execute('DROP TABLE IF EXISTS wide');
    }
  });

  it('a broadcast build side over the slices\' share of the memory limit spills in every slice and answers as DuckDB does', async () => {
    // 10 000 build rows: forced to broadcast, each slice's table of them would take over its share of 1 MB
    const sql = 'SELECT count(*), sum(a.v), min(b.s) FROM f a JOIN (SELECT i, s FROM f WHERE i % 2 = 0) b ON a.i = b.i + 1';
    try {
      expect((await explain(s, sql)).join('\n')).toMatch(/Broadcast \(every slice -> every slice\)/);
      expect(await execution(sql)).not.toMatch(/spilled/);
      await s.execute("SET query_memory_limit = '1MB'");
      expect(await execution(sql)).toMatch(/spilled [\d.]+ MB to \d+ temp files/);
      expect(norm(await rowsOf(s, sql) as unknown[][])).toEqual(await duckRows(sql));
    } finally {
      await s.execute('RESET query_memory_limit');
    }
    expect(twins!.leftover()).toEqual([]);
  });

  it('a failure in one slice while the others wait for its broadcast rows, or a cancel, stops every slice and leaves no file', async () => {
    // dim's key 37 sits in one slice only: that slice fails computing its part, the other waits for it
    const failing = 'SELECT count(*) FROM f JOIN (SELECT k FROM dim WHERE 10 / (k - 37) > -100) b ON f.k = b.k';
    await expect(s.execute(failing)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    // f joined to itself twice on a key with 7 values (~1.6e11 rows) does not end by itself
    // within any test's time, however fast the machine: the cancel lands while it runs
    const stop = new AbortController();
    const slow = 'SELECT count(*) FROM f a JOIN (SELECT g, v FROM f) b ON a.g = b.g JOIN (SELECT g FROM f) c ON b.g = c.g';
    const run = s.execute(slow, { signal: stop.signal }).then(() => 'done', (e) => e.code);
    setTimeout(() => stop.abort(), 300);
    expect(await run).toBe('QUERY_CANCELED');
    expect(twins!.leftover()).toEqual([]);
    // the slices answer the next statement
    expect(norm(await rowsOf(s, QUERIES[0]) as unknown[][])).toEqual(await duckRows(QUERIES[0]));
  });
});
