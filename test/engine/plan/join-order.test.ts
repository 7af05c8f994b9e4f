// Comma joins whose written order puts two unrelated tables side by side, and join conditions
// repeated in every branch of an OR (TPC-H Q9 and Q19): the optimizer joins tables that have a
// condition between them and factors the repeated condition out, so neither becomes a cross join.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const plan = async (sql: string) => (await rowsOf(`EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0])).join('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-joinorder-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  await s.execute(`CREATE TABLE d (n INTEGER); INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9);
    CREATE TABLE a (id INTEGER, x INTEGER); CREATE TABLE b (id INTEGER, y INTEGER); CREATE TABLE c (a_id INTEGER, b_id INTEGER);
    INSERT INTO a SELECT d1.n * 1000 + d2.n * 100 + d3.n * 10 + d4.n, d4.n FROM d d1, d d2, d d3, d d4;
    INSERT INTO b SELECT d1.n * 1000 + d2.n * 100 + d3.n * 10 + d4.n, d1.n FROM d d1, d d2, d d3, d d4;
    INSERT INTO c SELECT d1.n * 37 + d2.n, d2.n * 101 + d1.n FROM d d1, d d2`);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** TPC-H Q9's shape (the tests below): made once. */
let q9Made: Promise<unknown> | undefined;
const q9Tables = () => (q9Made ??= s.execute(`CREATE TABLE q9pt (pk INTEGER, colour INTEGER); CREATE TABLE q9sup (sk INTEGER, nation INTEGER);
      CREATE TABLE q9ps (pk INTEGER, sk INTEGER, cost INTEGER); CREATE TABLE q9ord (ok INTEGER, yr INTEGER); CREATE TABLE q9li (ok INTEGER, pk INTEGER, sk INTEGER, qty INTEGER);
      INSERT INTO q9pt SELECT d1.n * 1000 + d2.n * 100 + d3.n * 10 + d4.n, (d1.n * 1000 + d2.n * 100 + d3.n * 10 + d4.n) % 20 FROM d d1, d d2, d d3, d d4 WHERE d1.n < 2;
      INSERT INTO q9sup SELECT d1.n * 100 + d2.n * 10 + d3.n, d3.n FROM d d1, d d2, d d3;
      INSERT INTO q9ps SELECT pk, (pk + i.n * 250) % 1000, i.n + 1 FROM q9pt, d i WHERE i.n < 4;
      INSERT INTO q9ord SELECT d1.n * 10000 + d2.n * 1000 + d3.n * 100 + d4.n * 10 + d5.n, 1992 + d5.n % 7 FROM d d1, d d2, d d3, d d4, d d5 WHERE d1.n < 3;
      INSERT INTO q9li SELECT x % 30000, (x / 10) % 2000, ((x / 10) % 2000 + x % 10 % 4 * 250) % 1000, x % 10
        FROM (SELECT d1.n * 10000 + d2.n * 1000 + d3.n * 100 + d4.n * 10 + d5.n AS x FROM d d1, d d2, d d3, d d4, d d5) t;
      ANALYZE`));

describe('join order', () => {
  it('joins comma-separated tables through their conditions, not as a cross product', async () => {
    // a x b alone would be 100M rows (refused as a cross join)
    const sql = 'SELECT count(*), sum(a.x), sum(b.y) FROM a, b, c WHERE a.id = c.a_id AND b.id = c.b_id';
    expect(await plan(sql)).not.toMatch(/CROSS/);
    // c has 100 rows, each matching one a and one b: x = a_id % 10 = d2.n, y = floor(b_id / 1000) = 0
    expect(await rowsOf(sql)).toEqual([[100, 450, 0]]);
  });

  it('keeps the columns in the written order when it reorders', async () => {
    expect(await rowsOf('SELECT * FROM a, b, c WHERE a.id = c.a_id AND b.id = c.b_id AND c.a_id = 38')).toEqual([[38, 8, 102, 0, 38, 102]]);
  });

  it('factors a condition repeated in every OR branch out into a join key', async () => {
    const sql = 'SELECT count(*) FROM a, c WHERE (a.id = c.a_id AND c.b_id < 50 AND a.x > 2) OR (c.a_id = a.id AND c.b_id >= 900) OR (a.id = c.a_id AND a.x = 0)';
    const p = await plan(sql);
    expect(p).not.toMatch(/CROSS|Join \(leader\)$/m);
    expect(p).toMatch(/Hash INNER Join/);
    // by hand: a_id = 37 * d1 + d2, a.x = a_id % 10, b_id = 101 * d2 + d1
    let n = 0;
    for (let d1 = 0; d1 < 10; d1++) for (let d2 = 0; d2 < 10; d2++) {
      const x = (d1 * 37 + d2) % 10, bId = d2 * 101 + d1;
      if ((bId < 50 && x > 2) || bId >= 900 || x === 0) n++;
    }
    expect(await rowsOf(sql)).toEqual([[n]]);
  });

  it('orders joins by estimated size: the filtered and small inputs become build sides', async () => {
    await s.execute('ANALYZE');
    // a keeps 1 row in 10 (x = 3) and c has 100 rows: the last probe is a big input (a or b),
    // never c, whose 100 rows are a build side
    const sql = 'SELECT count(*) FROM c, a, b WHERE a.id = c.a_id AND b.id = c.b_id AND a.x = 3';
    const p = await plan(sql);
    expect(p).not.toMatch(/CROSS/);
    const scans = [...p.matchAll(/Scan public\.(\w+)/g)].map((m) => m[1]);
    expect(scans[0]).not.toBe('c');
    expect(scans.at(-1)).toBe('c');
    // estimates come from the statistics: a has 10 000 rows and 10 distinct x
    expect(p).toMatch(/Filter[^\n]*\(x = 3\)[^\n]*est\. rows 1000\]/);
    let n = 0;
    for (let d1 = 0; d1 < 10; d1++) for (let d2 = 0; d2 < 10; d2++) if ((d1 * 37 + d2) % 10 === 3) n++;
    expect(await rowsOf(sql)).toEqual([[n]]);
  });

  it('estimates two range conditions on one column as one interval', async () => {
    await s.execute('ANALYZE');
    // id covers 0..9999: [2000, 3000) keeps a tenth (as independent halves it would be 0.8 * 0.3)
    expect(await plan('SELECT count(*) FROM a WHERE id >= 2000 AND id < 3000 AND x = 1')).toMatch(/Filter[^\n]*est\. rows 100\]/);
    expect(await plan('SELECT count(*) FROM a WHERE id >= 2000 AND id < 3000')).toMatch(/Filter[^\n]*est\. rows 1000\]/);
    expect(await rowsOf('SELECT count(*) FROM a WHERE id >= 2000 AND id < 3000 AND x = 1')).toEqual([[100]]);
  });

  it('joins the last two written inputs first when that is cheapest (the probe side reads their joined rows)', async () => {
    await s.execute('ANALYZE');
    // written a, c, d: a x c keeps 100 rows, c x d (d.n = 3) about 1, so a probes the join of c and d
    const sql = 'SELECT count(*), sum(a.x) FROM a, c, d WHERE a.id = c.a_id AND c.b_id = d.n AND d.n = 3';
    const p = await plan(sql);
    const broadcast = p.split('\n').findIndex((l) => /Broadcast/.test(l));
    const inner = p.split('\n').findIndex((l) => /Hash INNER Join[^\n]*b_id = n/.test(l));
    expect(broadcast).toBeGreaterThan(0);
    expect(inner).toBeGreaterThan(broadcast);
    // c.b_id = 101 * d2 + d1 = 3 only for d2 = 0, d1 = 3: a_id = 111, x = 1
    expect(await rowsOf(sql)).toEqual([[1, 1]]);
  });

  it('joins two inputs through an equality both have with a third (key classes), NULL keys matching nothing', async () => {
    await s.execute(`CREATE TABLE kp (pk INTEGER, px INTEGER); CREATE TABLE kq (qk INTEGER); CREATE TABLE kr (rk INTEGER);
      INSERT INTO kp SELECT d1.n * 100 + d2.n * 10 + d3.n, d3.n FROM d d1, d d2, d d3; INSERT INTO kp VALUES (NULL, 3);
      INSERT INTO kq SELECT d1.n * 1000 + d2.n * 100 + d3.n * 10 + d4.n FROM d d0, d d1, d d2, d d3, d d4 WHERE d0.n < 2; INSERT INTO kq VALUES (NULL);
      INSERT INTO kr SELECT (d1.n * 10 + d2.n) * 37 FROM d d1, d d2; INSERT INTO kr VALUES (NULL); ANALYZE`);
    // written: kp - kq and kq - kr; kp (100 rows with px = 3) joins kr (100 rows) first on the
    // implied pk = rk, and kq (each key twice) is joined last
    const sql = 'SELECT count(*), sum(pk), sum(rk) FROM kq, kp, kr WHERE kp.pk = kq.qk AND kq.qk = kr.rk AND kp.px = 3';
    const p = await plan(sql);
    expect(p).toMatch(/Join[^\n]* on (pk = rk|rk = pk)\b/);
    // one equality per join: the class is not joined on twice
    expect(p).not.toMatch(/Join[^\n]* AND /);
    let n = 0, sum = 0;
    for (let m = 0; m < 100; m++) if (37 * m < 1000 && (37 * m) % 10 === 3) { n += 2; sum += 2 * 37 * m; }
    expect(await rowsOf(sql)).toEqual([[n, sum, sum]]);
  });

  it('keeps both equalities when two columns of one input equal the same key', async () => {
    await s.execute(`CREATE TABLE kp2 (p1 INTEGER, p2 INTEGER); INSERT INTO kp2 SELECT pk, CASE WHEN pk % 4 = 0 THEN pk ELSE pk + 1 END FROM kp WHERE pk IS NOT NULL; ANALYZE`);
    // p1 = qk and p2 = qk: only the rows with p1 = p2 (pk % 4 = 0) join
    const sql = 'SELECT count(*), sum(p1) FROM kq, kp2, kr WHERE kp2.p1 = kq.qk AND kq.qk = kr.rk AND kq.qk = kp2.p2';
    let n = 0, sum = 0;
    // kr holds 37 * m (m < 100), kq every key below 10000 twice, kp2 every p1 below 1000
    for (let m = 0; m < 100; m++) if (37 * m < 1000 && (37 * m) % 4 === 0) { n += 2; sum += 2 * 37 * m; }
    expect(await rowsOf(sql)).toEqual([[n, sum]]);
  });

  it('estimates a key of two columns by the side with fewer combinations: the fact table probes the table it references, joined first (TPC-H Q9)', async () => {
    // q9ps holds each (pk, sk) once: 4 suppliers for each of 2000 parts; q9li (100,000 rows) takes
    // its (pk, sk) pairs from it. Counted by the most selective column alone (pk: 2000 values),
    // q9li joining q9ps looked 4 times too big, so q9ps was joined last, to every q9li row that met
    // a part of colour 3, q9ord and q9sup; by its 8000 pairs, q9li
    // probes q9ps joined to those parts and q9sup (400 rows), on both columns at once
    await q9Tables();
    const sql = `SELECT q9sup.nation, q9ord.yr, count(*), sum(q9li.qty * q9ps.cost) FROM q9pt, q9sup, q9li, q9ps, q9ord
      WHERE q9sup.sk = q9li.sk AND q9ps.sk = q9li.sk AND q9ps.pk = q9li.pk AND q9pt.pk = q9li.pk AND q9ord.ok = q9li.ok AND q9pt.colour = 3
      GROUP BY q9sup.nation, q9ord.yr ORDER BY 1, 2`;
    const lines = (await plan(sql)).split('\n');
    const both = lines.findIndex((l) => /Hash INNER Join[^\n]* on (sk = sk AND pk = pk|pk = pk AND sk = sk)/.test(l));
    expect(lines[both + 1], lines.join('\n')).toMatch(/Scan public\.q9li /);
    expect(lines.slice(both + 2).join('\n')).toMatch(/Scan public\.q9ps [\s\S]*Scan public\.q9pt /);
    // by hand: row x of q9li has pk = x / 10 % 2000 and supplier i = x % 10 % 4 of that part (cost i + 1)
    const groups = new Map<string, [number, number, number, number]>();
    for (let x = 0; x < 100_000; x++) {
      const pk = Math.floor(x / 10) % 2000, qty = x % 10, sk = (pk + (qty % 4) * 250) % 1000;
      if (pk % 20 !== 3) continue;
      const nation = sk % 10, yr = 1992 + ((x % 30000) % 10) % 7, key = `${nation},${yr}`;
      const g = groups.get(key) ?? [nation, yr, 0, 0];
      g[2]++;
      g[3] += qty * ((qty % 4) + 1);
      groups.set(key, g);
    }
    const expected = [...groups.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(expected.length).toBeGreaterThan(1);
    expect(await rowsOf(sql)).toEqual(expected);
  });

  it('plans the Q9 shape alike whatever order its FROM tables and WHERE conditions are written in', async () => {
    await q9Tables();
    const orders = <T,>(xs: T[]): T[][] => (xs.length <= 1 ? [xs] : xs.flatMap((x, i) => orders([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest])));
    const tables = orders(['q9pt', 'q9sup', 'q9li', 'q9ps', 'q9ord']);
    const conditions = orders(['q9sup.sk = q9li.sk', 'q9ps.sk = q9li.sk', 'q9ps.pk = q9li.pk', 'q9pt.pk = q9li.pk', 'q9ord.ok = q9li.ok', 'q9pt.colour = 3']);
    const probesBoth = async (from: string[], where: string[]) => {
      const lines = (await plan(`SELECT q9sup.nation, q9ord.yr, count(*) FROM ${from.join(', ')} WHERE ${where.join(' AND ')} GROUP BY q9sup.nation, q9ord.yr`)).split('\n');
      const both = lines.findIndex((l) => /Hash INNER Join[^\n]* on (sk = sk AND pk = pk|pk = pk AND sk = sk)/.test(l));
      return both >= 0 && /Scan public\.q9li /.test(lines[both + 1]);
    };
    // every order of the tables, every order of the conditions, and 200 of both together
    const cases: [string[], string[]][] = [...tables.map((t): [string[], string[]] => [t, conditions[0]]), ...conditions.map((c): [string[], string[]] => [tables[0], c])];
    for (let i = 0; i < 200; i++) cases.push([tables[(i * 7919) % tables.length], conditions[(i * 104_729) % conditions.length]]);
    const differ: string[] = [];
    for (const [from, where] of cases) if (!(await probesBoth(from, where))) differ.push(`FROM ${from.join(', ')} WHERE ${where.join(' AND ')}`);
    expect(differ.slice(0, 5), `${differ.length} of ${cases.length} orders plan otherwise`).toEqual([]);
  }, 60_000);

  it('estimates the years of a DATE column from its min/max: few groups are merged at the leader', async () => {
    // 100,000 rows over 1000 days from 1995-01-01: three years (as a tenth of the rows, 10,000
    // groups, the slices finished them, moving their partial states between them)
    await s.execute(`CREATE TABLE ev (d DATE, v INTEGER);
      INSERT INTO ev SELECT DATE '1995-01-01' + x % 1000, x % 7 FROM (SELECT d1.n * 10000 + d2.n * 1000 + d3.n * 100 + d4.n * 10 + d5.n AS x FROM d d1, d d2, d d3, d d4, d d5) t;
      ANALYZE`);
    const sql = 'SELECT extract(year FROM d) AS y, count(*), sum(v) FROM ev GROUP BY 1 ORDER BY 1';
    const p = await plan(sql);
    expect(p).toMatch(/Final Hash Aggregate \(merges the slices' partial states\)/);
    expect(p).toMatch(/Partial Hash Aggregate[^\n]*est\. rows 3\]/);
    const expected = [1995, 1996, 1997].map((y) => {
      let n = 0, sum = 0;
      for (let x = 0; x < 100_000; x++) {
        const day = x % 1000, year = day < 365 ? 1995 : day < 731 ? 1996 : 1997; // 1996 is a leap year
        if (year === y) { n++; sum += x % 7; }
      }
      return [y, n, sum];
    });
    expect(await rowsOf(sql)).toEqual(expected);
  });

  it('orders a chain of more tables than the dynamic programming takes (greedy) without cross products', async () => {
    // t0 - t1 - ... - t11: each joins the next on k
    const names = Array.from({ length: 12 }, (_, i) => `ch${i}`);
    await s.execute(names.map((t, i) => `CREATE TABLE ${t} (k INTEGER, v INTEGER); INSERT INTO ${t} SELECT n, n * ${i + 1} FROM d WHERE n < ${10 - (i % 3)}`).join('; '));
    const where = names.slice(1).map((t, i) => `${names[i]}.k = ${t}.k`).join(' AND ');
    const sql = `SELECT count(*), sum(ch11.v) FROM ${[...names].reverse().join(', ')} WHERE ${where}`;
    expect(await plan(sql)).not.toMatch(/CROSS/);
    // every table holds k < 8 at least (i % 3 = 2 keeps n < 8): 8 rows, sum(k * 12)
    expect(await rowsOf(sql)).toEqual([[8, 12 * 28]]);
  });
});
