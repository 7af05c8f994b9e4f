// The physical plan: which operators run in the slices and which at the leader, how data moves
// between them (Gather, Broadcast), and what EXPLAIN ANALYZE reports per operator and per slice.
// Answers are computed by hand from how the tables are filled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const explain = async (sql: string) => (await rowsOf(`EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0]));
/** The line of the first operator whose text matches. */
const line = (lines: string[], re: RegExp) => { const l = lines.find((x) => re.test(x)); expect(l, `no line matches ${re}\n${lines.join('\n')}`).toBeTruthy(); return l!; };
const depth = (l: string) => l.search(/\S/);
const actual = (l: string) => Number(/actual rows (\d+)/.exec(l)![1]);
const perSlice = (l: string) => [...l.matchAll(/#\d+ (\d+) rows/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-physical-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  // f: i = 0..999 in two inserts, k1 = i % 10, k2 = i % 20, v = i; d1: k = 0..9; d2: k = 0..19, g = k % 10
  await s.execute(`CREATE TABLE d (n INTEGER); INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
    CREATE TABLE f (i INTEGER, k1 INTEGER, k2 INTEGER, v INTEGER);
    INSERT INTO f SELECT x, x % 10, x % 20, x FROM (SELECT d1.n * 100 + d2.n * 10 + d3.n AS x FROM d d1, d d2, d d3) t WHERE x < 500;
    INSERT INTO f SELECT x, x % 10, x % 20, x FROM (SELECT d1.n * 100 + d2.n * 10 + d3.n AS x FROM d d1, d d2, d d3) t WHERE x >= 500;
    CREATE TABLE d1 (k INTEGER, name VARCHAR(5)); INSERT INTO d1 SELECT n, 'n' || n FROM d;
    CREATE TABLE d2 (k INTEGER, g INTEGER); INSERT INTO d2 SELECT a.n * 10 + b.n, b.n FROM d a, d b WHERE a.n < 2;
    CREATE TABLE fk (i INTEGER, k INTEGER) DISTKEY(k); INSERT INTO fk SELECT i, k2 FROM f;
    CREATE TABLE dk (k INTEGER, w INTEGER) DISTKEY(k); INSERT INTO dk SELECT k, k * 10 FROM d2;
    INSERT INTO dk SELECT k + 100, 0 FROM d2`);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('physical plan', () => {
  const star = 'SELECT d1.name, count(*), sum(f.v) FROM f JOIN d1 ON f.k1 = d1.k JOIN d2 ON f.k2 = d2.k WHERE d2.g < 5 GROUP BY d1.name ORDER BY 1';

  it('runs a join tree scan -> probe -> probe -> partial aggregate inside every slice', async () => {
    const lines = await explain(star);
    const gather = line(lines, /^\s*(->\s+)?Gather \(every slice -> leader\)\s+\[leader/);
    const partial = line(lines, /Partial Hash Aggregate \(keys: 1, aggregates: count_star, sum\)\s+\[2 slices/);
    expect(depth(partial)).toBeGreaterThan(depth(gather));
    const joins = lines.filter((l) => /Hash INNER Join \(probe: left input, build: computed whole by every slice, nothing moves\)/.test(l));
    expect(joins).toHaveLength(2);
    for (const j of joins) expect(j).toMatch(/\[2 slices; est\. rows \d+\]/);
    // the fact table is scanned in the slices under both probes; each dimension is broadcast
    const scan = line(lines, /Scan public\.f \(EVEN, 2 segments\)\s+\[2 slices; est\. rows 1000\]/);
    expect(depth(scan)).toBeGreaterThan(Math.max(...joins.map(depth)));
    // each dimension is small: every slice computes all of it (reading every slice's segments), nothing moves
    const whole = lines.filter((l) => /Broadcast \(none: every slice computes every row, reading its tables whole\)/.test(l));
    expect(whole).toHaveLength(2);
    for (const b of whole) expect(b).toMatch(/\[2 slices/);
    expect(line(lines, /Final Hash Aggregate/)).toMatch(/\[leader/);
    expect(lines.filter((l) => /Gather/.test(l))).toHaveLength(1);
    // forced to broadcast, the slices send each dimension's rows to each other: one request, nothing gathered at the leader first
    await s.execute(`SET join_distribution = 'broadcast'`);
    try {
      const broadcasts = (await explain(star)).filter((l) => /Broadcast \(every slice -> every slice\)/.test(l));
      expect(broadcasts).toHaveLength(2);
      for (const b of broadcasts) expect(b).toMatch(/\[2 slices/);
      expect(await rowsOf(star)).toEqual([0, 1, 2, 3, 4].map((r) => [`n${r}`, 100, 49500 + 100 * r]));
    } finally {
      await s.execute('RESET join_distribution');
    }
  });

  it('returns the hand-computed answer and reports actual rows per operator and per slice', async () => {
    // g < 5 keeps k2 % 10 < 5, i.e. i % 10 < 5: names n0..n4, each 100 rows summing 49500 + 100 r
    expect(await rowsOf(star)).toEqual([0, 1, 2, 3, 4].map((r) => [`n${r}`, 100, 49500 + 100 * r]));
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${star}`)).map((r: unknown[]) => String(r[0]));
    const scan = line(lines, /Scan public\.f/);
    expect(actual(scan)).toBe(1000);
    expect(perSlice(scan)).toHaveLength(2);
    expect(perSlice(scan).reduce((a, b) => a + b, 0)).toBe(1000);
    // d2 with g < 5 keeps 10 of 20 keys: the optimizer probes that (more selective) build side
    // first, which keeps half the rows; the other probe keeps those 500
    const joins = lines.filter((l) => /Hash INNER Join/.test(l)).map(actual).sort((a, b) => a - b);
    expect(joins).toEqual([500, 500]);
    expect(actual(line(lines, /Partial Hash Aggregate/))).toBe(perSlice(line(lines, /Partial Hash Aggregate/)).reduce((a, b) => a + b, 0));
    expect(actual(line(lines, /Final Hash Aggregate/))).toBe(5);
    expect(line(lines, /^Execution: 5 rows/)).toMatch(/1030 rows scanned/);
  });

  it('probes the preserved side of a LEFT join in the slices, and runs FULL joins there with the sides redistributed by key', async () => {
    const left = await explain('SELECT count(*), count(d2.k) FROM f LEFT JOIN d2 ON f.k2 = d2.k AND d2.g < 3');
    expect(line(left, /Hash LEFT Join/)).toMatch(/probe: left input, build: computed whole by every slice.*\[2 slices/);
    expect(await rowsOf('SELECT count(*), count(d2.k) FROM f LEFT JOIN d2 ON f.k2 = d2.k AND d2.g < 3')).toEqual([[1000, 300]]);
    // the ON term on the right input alone filters the build side in its own scan
    const filter = line(left, /Filter \(fused into the scan; zone maps prune segments\): \(g < 3\)/);
    expect(depth(filter)).toBeGreaterThan(depth(line(left, /Broadcast/)));
    expect(line(left, /Hash LEFT Join/)).not.toMatch(/g < 3/);
    // k2 = i % 20 meets g = k % 10 < 3 for 6 of the 20 keys: 300 rows match, 700 do not
    expect(await rowsOf('SELECT count(*) FROM f WHERE NOT EXISTS (SELECT 1 FROM d2 WHERE d2.k = f.k2 AND d2.g < 3)')).toEqual([[700]]);
    // with d2.k > f.k1 too: keys 0..2 have k1 = k2 and fail it, keys 10..12 (k1 = k2 - 10) pass, 50 rows each
    expect(await rowsOf('SELECT count(*) FROM f WHERE EXISTS (SELECT 1 FROM d2 WHERE d2.k = f.k2 AND d2.g < 3 AND d2.k > f.k1)')).toEqual([[150]]);
    const fullJoin = 'SELECT count(*), count(d1.k), count(d2.k) FROM d1 FULL JOIN d2 ON d1.k = d2.k + 5';
    const full = (await rowsOf(`EXPLAIN ANALYZE ${fullJoin}`)).map((r: unknown[]) => String(r[0]));
    // d1 (10 rows) builds: each slice adds the d1 rows its d2 rows did not match, never broadcast
    const op = line(full, /Hash FULL Join \(probe: right input, build: both sides redistributed by key.*then each slice adds the build rows no probe row matched\).*\[2 slices/);
    expect(full.some((l) => /Broadcast|Join.*\[leader/.test(l))).toBe(false);
    // d2.k + 5 covers 5..24: d1 keys 5..9 match, 0..4 do not, and 15 d2 rows find no d1 row
    expect(actual(op)).toBe(25);
    expect(await rowsOf(fullJoin)).toEqual([[25, 10, 20]]);
    // a LEFT join whose left side is the smaller builds on it the same way: d1's keys 5..9 meet d2's 0..4
    const leftJoin = 'SELECT count(*), count(d2.k), sum(d1.k) FROM d1 LEFT JOIN d2 ON d1.k = d2.k + 5';
    line(await explain(leftJoin), /Hash LEFT Join \(probe: right input, build: both sides redistributed by key.*then each slice adds the build rows no probe row matched\).*\[2 slices/);
    expect(await rowsOf(leftJoin)).toEqual([[10, 5, 45]]);
  });

  it('keeps ORDER BY ... LIMIT to the first rows of every slice (top-N) and merges those at the leader', async () => {
    const sql = 'SELECT i, v FROM f WHERE k1 = 3 ORDER BY v DESC LIMIT 4';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const topN = line(lines, /Top-N 4 per slice: v DESC\s+\[2 slices/);
    expect(perSlice(topN).every((n) => n <= 4)).toBe(true);
    const merge = line(lines, /^\s*(->\s+)?Merge sorted runs \(k-way, one run per slice, first 4 rows\): v DESC\s+\[leader/);
    expect(depth(merge)).toBeLessThan(depth(topN));
    expect(actual(merge)).toBe(4);
    expect(await rowsOf(sql)).toEqual([[993, 993], [983, 983], [973, 973], [963, 963]]);
  });

  it('sorts the rows of every slice in that slice and k-way merges the sorted runs at the leader', async () => {
    // k1 = 3 holds i = 3, 13, ..., 993; ordered by k2 (i % 20: 3 or 13) descending, then i
    const sql = 'SELECT i, k2 FROM f WHERE k1 = 3 ORDER BY k2 DESC, i';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const sorted = line(lines, /Sort per slice: k2 DESC, i\s+\[2 slices/);
    // both slices sort a run of their own
    expect(perSlice(sorted).every((n) => n > 0)).toBe(true);
    const merge = line(lines, /^\s*Merge sorted runs \(k-way, one run per slice\): k2 DESC, i\s+\[leader/);
    expect(actual(merge)).toBe(100);
    expect(lines.some((l) => /^\s*(->\s+)?Sort:/.test(l))).toBe(false);
    const want = [...Array.from({ length: 50 }, (_, j) => [13 + 20 * j, 13]), ...Array.from({ length: 50 }, (_, j) => [3 + 20 * j, 3])];
    expect(await rowsOf(sql)).toEqual(want);
    // with OFFSET: the rows after the first 48 of that order
    expect(await rowsOf(`${sql} LIMIT 4 OFFSET 48`)).toEqual(want.slice(48, 52));
  });

  it('joins tables distributed on the join key inside every slice, each building from its own rows', async () => {
    // fk.k = i % 20 and dk.k = 0..19 (w = 10 k) plus 100..119 that match nothing
    const sql = 'SELECT count(*), sum(dk.w), count(DISTINCT fk.k) FROM fk JOIN dk ON fk.k = dk.k WHERE fk.i >= 100';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const join = line(lines, /Hash INNER Join/);
    expect(join).toMatch(/build: co-located, each slice builds from its own rows.*\[2 slices/);
    // nothing is broadcast and only the final partial states are gathered
    expect(lines.some((l) => /Broadcast/.test(l))).toBe(false);
    expect(lines.filter((l) => /Gather/.test(l))).toHaveLength(1);
    expect(actual(line(lines, /Scan public\.dk/))).toBe(40);
    expect(actual(join)).toBe(900);
    // i = 100..999: 900 rows, each k = i % 20 once per 20 rows: sum of 10 k over them is 45 * 10 * (0 + 1 + ... + 19)
    expect(await rowsOf(sql)).toEqual([[900, 45 * 10 * 190, 20]]);
    // the same join the other way round, and as a semi join, answer the same
    expect(await rowsOf('SELECT count(*), sum(dk.w) FROM dk JOIN fk ON dk.k = fk.k WHERE fk.i >= 100')).toEqual([[900, 45 * 10 * 190]]);
    expect(await rowsOf('SELECT count(*) FROM dk WHERE EXISTS (SELECT 1 FROM fk WHERE fk.k = dk.k)')).toEqual([[20]]);
  });

  it('says a join inside a build side every slice computes whole moves nothing, where it would be co-located on its own', async () => {
    // fk.i < 100 LEFT JOIN dk: fk.k = i % 20 meets dk.k = 0..19 (w = 10 k) once each; f.i is unique
    const sql = 'SELECT count(*), sum(f.v), sum(b.w) FROM f JOIN (SELECT fk.i, dk.w FROM fk LEFT JOIN dk ON fk.k = dk.k WHERE fk.i < 100) b ON f.i = b.i';
    const lines = await explain(sql);
    const inner = line(lines, /Hash LEFT Join/);
    expect(line(lines, /Broadcast \(none: every slice computes every row/)).toBeTruthy();
    expect(line(lines, /Hash INNER Join/)).toMatch(/build: computed whole by every slice, nothing moves\)/);
    expect(inner).toMatch(/build: computed whole by every slice, nothing moves\)/);
    expect(lines.join('\n')).not.toMatch(/co-located|every slice -> every slice/);
    expect(await rowsOf(sql)).toEqual([[100, 4950, 5 * 10 * 190]]);
    // on its own, the same join is co-located
    expect(line(await explain('SELECT count(*) FROM fk LEFT JOIN dk ON fk.k = dk.k WHERE fk.i < 100'), /Hash LEFT Join/)).toMatch(/build: co-located/);
  });

  it('prices a build side every slice computes whole as a table in each slice and no exchange: it stays whole where a broadcast would redistribute', async () => {
    // fs: 300 of f's rows; b: d2's 20 rows five times (100 rows, every key 5 times): probe 300 < 4 × 100 build rows, >= 2 × 100
    await s.execute(`CREATE TABLE fs (i INTEGER, k INTEGER); INSERT INTO fs SELECT i, k2 FROM f WHERE i < 300;
      CREATE TABLE b (k INTEGER, g INTEGER); INSERT INTO b SELECT d2.k, d2.g FROM d2, d WHERE d.n < 5; ANALYZE`);
    try {
      const sql = 'SELECT count(*), sum(fs.i), sum(b.g) FROM fs JOIN b ON fs.k = b.k';
      const lines = await explain(sql);
      expect(line(lines, /Hash INNER Join/)).toMatch(/build: computed whole by every slice, nothing moves\)/);
      expect(lines.join('\n')).not.toMatch(/Redistribute/);
      // every fs row meets its key's 5 b rows; g = k % 10 and fs.k = i % 20, so g = i % 10
      const answer = [[1500, 5 * (299 * 300) / 2, 5 * 30 * 45]];
      expect(await rowsOf(sql)).toEqual(answer);
      // the same rows through a volatile projection: each slice could compute other values, so they would be sent, and at that price both sides move
      const moved = 'SELECT count(*), sum(fs.i), sum(b.g) FROM fs JOIN (SELECT k, g, random() AS r FROM b) b ON fs.k = b.k';
      expect(line(await explain(moved), /Hash INNER Join/)).toMatch(/both sides redistributed by key/);
      expect(await rowsOf(moved)).toEqual(answer);
      // forced to redistribute, both sides move and the answer is the same
      await s.execute(`SET join_distribution = 'redistribute'`);
      expect((await explain(sql)).join('\n')).toMatch(/both sides redistributed by key/);
      expect(await rowsOf(sql)).toEqual(answer);
    } finally {
      await s.execute('RESET join_distribution; DROP TABLE fs; DROP TABLE b');
    }
  });

  it('knows that redistributed joins, slice-finished aggregates and DISTKEY tables are partitioned by key, and moves nothing twice', async () => {
    // fe: i = 0..999 spread evenly, w = i % 7
    await s.execute(`CREATE TABLE fe (i INTEGER, w INTEGER); INSERT INTO fe SELECT i, i % 7 FROM f; SET join_distribution = 'redistribute'`);
    const moves = (lines: string[]) => lines.filter((l) => /Redistribute by key/.test(l)).length;
    // f and fe meet by i; fk (DISTKEY k) then moves to where those rows already sit, alone
    const chain = 'SELECT count(*), sum(fe.w), sum(fk.k) FROM f JOIN fe ON f.i = fe.i JOIN fk ON fe.i = fk.i';
    let lines = await explain(chain);
    expect(moves(lines)).toBe(3);
    line(lines, /build side redistributed to where the probe rows sit/);
    // sum of i % 7 over 0..999: 142 cycles of 21 and 0 + ... + 5; sum of i % 20: 50 cycles of 190
    expect(await rowsOf(chain)).toEqual([[1000, 142 * 21 + 15, 50 * 190]]);
    // GROUP BY the join key and more: every group is in one slice already
    const grouped = 'SELECT count(*), sum(c), sum(sw) FROM (SELECT f.i, f.k1, count(*) AS c, sum(fe.w) AS sw FROM f JOIN fe ON f.i = fe.i GROUP BY f.i, f.k1) x';
    lines = (await rowsOf(`EXPLAIN ANALYZE ${grouped}`)).map((r: unknown[]) => String(r[0]));
    const final = line(lines, /Final Hash Aggregate \(co-located: input hash-partitioned by i; each slice finishes its own groups\)\s+\[2 slices/);
    expect(actual(final)).toBe(1000);
    expect(perSlice(final).every((n) => n > 0)).toBe(true);
    expect(moves(lines)).toBe(2);
    expect(await rowsOf(grouped)).toEqual([[1000, 1000, 142 * 21 + 15]]);
    // a DISTKEY table stays where it is and the other side moves to it by the table's placement
    const keyed = 'SELECT count(*), sum(dk.w) FROM f JOIN dk ON f.k2 = dk.k';
    lines = await explain(keyed);
    expect(line(lines, /Hash INNER Join/)).toMatch(/probe side redistributed to where the build rows sit, each slice builds from its own rows/);
    line(lines, /Redistribute by key k2 \(every slice -> every slice, placed as the DISTKEY table it joins\)/);
    expect(moves(lines)).toBe(1);
    // k2 = i % 20 meets dk.k once (w = 10 k): 10 * 50 * (0 + ... + 19)
    expect(await rowsOf(keyed)).toEqual([[1000, 10 * 50 * 190]]);
    // GROUP BY a DISTKEY column: finished in the slices, nothing moves
    lines = (await rowsOf('EXPLAIN ANALYZE SELECT k, count(*) FROM fk GROUP BY k')).map((r: unknown[]) => String(r[0]));
    const placed = line(lines, /Final Hash Aggregate \(co-located: input placed by DISTKEY k; each slice finishes its own groups\)\s+\[2 slices/);
    expect(actual(placed)).toBe(20);
    expect(lines.some((l) => /merges the slices' partial states|partial states redistributed/.test(l))).toBe(false);
    expect(await rowsOf('SELECT k, count(*) FROM fk GROUP BY k ORDER BY k LIMIT 3')).toEqual([[0, 50], [1, 50], [2, 50]]);
    await s.execute('RESET join_distribution');
  });

  it('computes windows with a PARTITION BY in the slices, each slice over the partitions it holds', async () => {
    // k1 = i % 10: ten partitions of 100 rows, numbered 1..100 by i
    const sql = 'SELECT k1, count(*), sum(rn), max(rn) FROM (SELECT k1, row_number() OVER (PARTITION BY k1 ORDER BY i) AS rn FROM f) x GROUP BY k1 ORDER BY k1';
    let lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const win = line(lines, /Window per slice: row_number \(rows redistributed by k1; each slice computes its own partitions\)\s+\[2 slices/);
    expect(actual(win)).toBe(1000);
    expect(perSlice(win).every((n) => n > 0)).toBe(true);
    expect(lines.some((l) => /^\s*(->\s+)?Window:/.test(l))).toBe(false);
    expect(await rowsOf(sql)).toEqual(Array.from({ length: 10 }, (_, k) => [k, 100, 5050, 100]));
    // a DISTKEY table partitioned by its key: nothing moves, and the GROUP BY k above finishes in place too
    const keyed = 'SELECT k, count(*), max(rn) FROM (SELECT k, row_number() OVER (PARTITION BY k ORDER BY i DESC) AS rn FROM fk) x GROUP BY k ORDER BY k LIMIT 2';
    lines = await explain(keyed);
    line(lines, /Window per slice: row_number \(co-located: input placed by DISTKEY k; each slice computes its own partitions\)/);
    line(lines, /Final Hash Aggregate \(co-located/);
    expect(await rowsOf(keyed)).toEqual([[0, 50, 50], [1, 50, 50]]);
    // without PARTITION BY every row is one partition: the leader computes it
    const whole = 'SELECT i, row_number() OVER (ORDER BY v DESC) FROM f WHERE k1 = 3 ORDER BY i LIMIT 2';
    line(await explain(whole), /^\s*(->\s+)?Window: row_number\s+\[leader/);
    expect(await rowsOf(whole)).toEqual([[3, 100], [13, 99]]);
  });

  it('does not treat tables as co-located when their rows were placed over another number of slices', async () => {
    await db.close();
    db = await Database.open({ dataDir: join(dir, 'data'), slices: 3 });
    s = db.connect();
    const sql = 'SELECT count(*), sum(dk.w) FROM fk JOIN dk ON fk.k = dk.k WHERE fk.i >= 100';
    expect((await explain(sql)).some((l) => /co-located/.test(l))).toBe(false);
    expect(await rowsOf(sql)).toEqual([[900, 45 * 10 * 190]]);
  });

  it('redistributes both sides of a join by key when neither is small or co-located (3 slices here)', async () => {
    // f.i and fk.i are 0..999 on both sides: a build side as large as the probe side
    const sql = 'SELECT count(*), sum(fk.i), sum(f.k1) FROM f JOIN fk ON f.i = fk.i';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const join = line(lines, /Hash INNER Join/);
    expect(join).toMatch(/build: both sides redistributed by key.*\[3 slices/);
    const moves = lines.filter((l) => /Redistribute by key i \(every slice -> every slice\)\s+\[3 slices/.test(l));
    expect(moves).toHaveLength(2);
    for (const m of moves) {
      expect(depth(m)).toBeGreaterThan(depth(join));
      // every row arrives in exactly one slice, and each slice gets some
      expect(actual(m)).toBe(1000);
      expect(perSlice(m).reduce((a, b) => a + b, 0)).toBe(1000);
      expect(perSlice(m).every((n) => n > 0)).toBe(true);
    }
    expect(lines.some((l) => /Broadcast/.test(l))).toBe(false);
    // keys are unique: each row meets itself; k1 = i % 10 sums to 100 * 45
    expect(await rowsOf(sql)).toEqual([[1000, 499500, 4500]]);
    // forced the other way, the same join broadcasts and answers the same
    await s.execute(`SET join_distribution = 'broadcast'`);
    expect(line(await explain(sql), /Hash INNER Join/)).toMatch(/build: broadcast/);
    expect(await rowsOf(sql)).toEqual([[1000, 499500, 4500]]);
    await s.execute('RESET join_distribution');
    await expect(s.execute(`SET join_distribution = 'sideways'`)).rejects.toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/join_distribution must be auto, broadcast or redistribute/) });
  });

  it('stops every slice of a redistributed join when one of them fails before sending its rows', async () => {
    // only the slice holding f.i = 500 divides by zero, before its rows move; the others must not wait for them
    const failing = 'SELECT count(*) FROM f JOIN fk ON f.i = fk.i WHERE 10 / (f.i - 500) > 0';
    expect(await explain(failing)).toEqual(expect.arrayContaining([expect.stringMatching(/Redistribute by key/)]));
    await expect(s.execute(failing)).rejects.toMatchObject({ code: 'DIVISION_BY_ZERO' });
    // the slice that was waiting for the failed slice's rows is told to stop, and answers
    for (let i = 0; i < 100 && db.pool.pendingRequests > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(db.pool.pendingRequests).toBe(0);
    expect(await rowsOf('SELECT count(*) FROM f JOIN fk ON f.i = fk.i WHERE f.i > 500')).toEqual([[499]]);
  });

  it('finishes an aggregate with many groups in the slices: the leader only concatenates (3 slices here)', async () => {
    // g = i % 5000 over i = 0..9999: 5000 groups of two rows each, i and i + 5000
    await s.execute(`CREATE TABLE many (i INTEGER, g INTEGER);
      INSERT INTO many SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n, (a.n * 1000 + b.n * 100 + c.n * 10 + e.n) % 5000 FROM d a, d b, d c, d e;
      ANALYZE many`);
    const sql = 'SELECT g, count(*), sum(i) FROM many GROUP BY g HAVING sum(i) > 100 ORDER BY g DESC LIMIT 3';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const final = line(lines, /Final Hash Aggregate \(partial states redistributed by group key; each slice finishes its own groups\)\s+\[3 slices/);
    expect(depth(final)).toBeLessThan(depth(line(lines, /Partial Hash Aggregate/)));
    // every group is finished in exactly one slice, and every slice finishes some
    expect(actual(final)).toBe(5000);
    expect(perSlice(final).every((n) => n > 0)).toBe(true);
    // HAVING and the per-slice top-N run above it in the slices; nothing merges at the leader
    expect(line(lines, /Filter: \(agg1 > 100\)/)).toMatch(/\[3 slices/);
    expect(line(lines, /Top-N 3 per slice/)).toMatch(/\[3 slices/);
    expect(lines.some((l) => /merges the slices' partial states/.test(l))).toBe(false);
    // group g holds g and g + 5000: sum 2 g + 5000
    expect(await rowsOf(sql)).toEqual([4999, 4998, 4997].map((g) => [g, 2, 2 * g + 5000]));
    // DISTINCT the same way: 5000 values of g, and 2500 of g % 2500 + 1
    expect((await explain('SELECT DISTINCT g FROM many')).join('\n')).toMatch(/Final Hash Aggregate \(partial states redistributed by group key/);
    expect(await rowsOf('SELECT count(*), sum(g) FROM (SELECT DISTINCT g FROM many) x')).toEqual([[5000, 4999 * 5000 / 2]]);
  });

  it('shows under EXPLAIN ANALYZE what each uncorrelated subquery did when it ran first', async () => {
    // the subquery averages v over k1 = 3 (3, 13, ..., 993: 498); 501 rows have v > 498
    const sql = 'SELECT count(*) FROM f WHERE v > (SELECT avg(v) FROM f WHERE k1 = 3)';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    const at = lines.findIndex((l) => l === 'Subquery 1 (ran once, before the plan that uses it)');
    expect(at).toBeGreaterThan(0);
    const sub = lines.slice(at + 1);
    expect(line(sub, /Scan public\.f/)).toMatch(/actual rows 1000/);
    expect(actual(line(sub, /Final Hash Aggregate/))).toBe(1);
    // the plan above it compares with the subquery's result, a constant by then
    expect(line(lines.slice(0, at), /Filter/)).toMatch(/498/);
    expect(await rowsOf(sql)).toEqual([[501]]);
  });

  it('counts each run of a recursive query step', async () => {
    const sql = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 6) SELECT sum(n) FROM r';
    const lines = (await rowsOf(`EXPLAIN ANALYZE ${sql}`)).map((r: unknown[]) => String(r[0]));
    expect(line(lines, /Recursive UNION ALL r/)).toMatch(/actual rows 6/);
    // the step runs once per round: 5 rounds add a row, the sixth adds none
    expect(line(lines, /Working table r/)).toMatch(/over 6 runs/);
    expect(await rowsOf(sql)).toEqual([[21]]);
  });

  it('runs a recursive step a piece at a time only where it is linear in the working table', async () => {
    const inPieces = async (step: string) => {
      const lines = await explain(`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL ${step}) SELECT n FROM r`);
      return /Recursive UNION ALL r \(.*, a piece at a time\)/.test(line(lines, /Recursive UNION/));
    };
    const linear = [
      'SELECT n + 1 FROM r WHERE n < 6',
      'SELECT r.n + d.n FROM r JOIN d ON d.n = r.n % 10 WHERE r.n < 50',
      'SELECT r.n + 10 FROM r, d WHERE r.n < 50',
      'SELECT r.n + coalesce(d1.k, 5) FROM r LEFT JOIN d1 ON d1.k = r.n WHERE r.n < 50',
      'SELECT n + 1 FROM r WHERE n < 50 AND n IN (SELECT k FROM d2)',
      'SELECT n + 1 FROM r WHERE n < 50 AND n NOT IN (SELECT k FROM d2 WHERE k > 3)',
    ];
    const whole = [
      'SELECT max(n) + 1 FROM r HAVING max(n) < 6',
      'SELECT DISTINCT n + 1 FROM r WHERE n < 6',
      'SELECT n + 1 FROM (SELECT n FROM r ORDER BY n LIMIT 3) x WHERE n < 6',
      'SELECT n + row_number() OVER () FROM r WHERE n < 6',
      'SELECT d.n + 10 FROM d LEFT JOIN r ON r.n = d.n WHERE d.n < 3 AND r.n IS NULL',
      // a correlated subquery: the outer rows are shared by its domain and the join back
      'SELECT n + 1 FROM r WHERE n < 6 AND 0 < (SELECT count(*) FROM d WHERE d.n > r.n)',
      'SELECT a.n + b.n FROM r a, r b WHERE a.n < 6',
      'SELECT n + 1 FROM (SELECT n FROM r UNION ALL SELECT 100 FROM d WHERE n < 0) x WHERE n < 6',
    ];
    for (const step of linear) expect(await inPieces(step), step).toBe(true);
    for (const step of whole) expect(await inPieces(step), step).toBe(false);
  });
});
