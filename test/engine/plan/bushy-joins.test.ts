// Bushy join trees: the join order may join two joined parts (a fact table with one dimension
// chain, beside another chain), as in TPC-H Q7 and Q8, and key equalities shared through a
// third table join the other two (Q5). Answers are checked against DuckDB; an outer join among
// the inner ones keeps its place and its preserved side.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { type DuckDBSession, translateToDuckDB } from '../../support/verify-with-duckdb.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let s: Session;
let duck: DuckDBSession;
let twins: TwinEngines | undefined;

const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  'CREATE TABLE reg (rk INTEGER, rname VARCHAR(10))',
  `INSERT INTO reg SELECT n, 'R' || CAST(n AS VARCHAR(2)) FROM d WHERE n < 5`,
  'CREATE TABLE nat (nk INTEGER, name VARCHAR(10), nrk INTEGER)',
  `INSERT INTO nat SELECT x, 'N' || CAST(x AS VARCHAR(2)), x % 5 FROM (SELECT a.n * 10 + b.n AS x FROM d a, d b) t WHERE x < 25`,
  'CREATE TABLE sup (sk INTEGER, snk INTEGER) DISTKEY(sk)',
  'INSERT INTO sup SELECT x, (x * 7) % 25 FROM (SELECT a.n * 100 + b.n * 10 + c.n AS x FROM d a, d b, d c) t',
  'CREATE TABLE cus (ck INTEGER, cnk INTEGER) DISTKEY(ck)',
  'INSERT INTO cus SELECT x, (x * 3) % 25 FROM (SELECT a.n * 1000 + b.n * 100 + c.n * 10 + e.n AS x FROM d a, d b, d c, d e WHERE a.n < 2) t',
  'CREATE TABLE ord (ok INTEGER, ock INTEGER, oyear INTEGER) DISTKEY(ok)',
  'INSERT INTO ord SELECT x, (x * 7) % 2000, 1990 + x % 8 FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f WHERE a.n < 2) t',
  // NULL order keys on every 101st row: they join nothing
  'CREATE TABLE li (lok INTEGER, lsk INTEGER, price INTEGER) DISTKEY(lok)',
  `INSERT INTO li SELECT CASE WHEN x % 101 = 0 THEN NULL ELSE x % 20000 END, (x * 13) % 997, x % 100
     FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + f.n AS x FROM d a, d b, d c, d e, d f) t`,
  'ANALYZE',
];

const rowsOf = async (sql: string) => { const r = await s.execute(sql); return (Array.isArray(r) ? r[r.length - 1] : r).rows; };
const explain = async (sql: string) => (await rowsOf(`EXPLAIN ${sql}`)).map((r: unknown[]) => String(r[0]));

/** Strata's and DuckDB's rows, sorted alike. */
async function both(sql: string): Promise<[unknown[][], unknown[][]]> {
  const key = (r: unknown[]) => JSON.stringify(r);
  const norm = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v))).sort((a, b) => key(a).localeCompare(key(b)));
  return [norm(await rowsOf(sql) as unknown[][]), norm((await duck.execute(translateToDuckDB(sql)))[0].rows as unknown[][])];
}

interface PlanNode { line: string; children: PlanNode[] }

/** The EXPLAIN text as a tree (children are the `->` lines indented under a line). */
function tree(lines: string[]): PlanNode {
  const root: PlanNode = { line: lines[0], children: [] };
  const stack: [number, PlanNode][] = [[-1, root]];
  for (const l of lines.slice(1)) {
    const at = l.indexOf('->');
    if (at < 0) continue;
    const node = { line: l, children: [] };
    while (stack.length > 1 && stack[stack.length - 1][0] >= at) stack.pop();
    stack[stack.length - 1][1].children.push(node);
    stack.push([at, node]);
  }
  return root;
}
const hasJoin = (n: PlanNode): boolean => /Hash \w+ Join/.test(n.line) || n.children.some(hasJoin);
/** Joins whose two inputs both hold a join: the tree is bushy there. */
const bushyJoins = (n: PlanNode): PlanNode[] => [
  ...(/Hash \w+ Join/.test(n.line) && n.children.length === 2 && n.children.every(hasJoin) ? [n] : []),
  ...n.children.flatMap(bushyJoins),
];

beforeAll(async () => {
  twins = await openTwinEngines('bushy', SETUP);
  ({ s, duck } = twins);
}, 120_000);

afterAll(async () => {
  await twins?.close();
});

describe('bushy join trees', () => {
  // two nations on each side (TPC-H Q7's shape): supplier ⋈ nation and customer ⋈ nation are each small
  const Q7 = `SELECT n1.name, n2.name, oyear, sum(price), count(*) FROM li, ord, cus, sup, nat n1, nat n2
    WHERE lok = ok AND ock = ck AND lsk = sk AND snk = n1.nk AND cnk = n2.nk
      AND ((n1.name = 'N1' AND n2.name = 'N2') OR (n1.name = 'N2' AND n2.name = 'N1')) GROUP BY 1, 2, 3`;

  it('joins two joined parts when that keeps the intermediate results smallest, with DuckDB\'s answer', async () => {
    const plan = tree(await explain(Q7));
    expect(bushyJoins(plan).length, (await explain(Q7)).join('\n')).toBeGreaterThan(0);
    const [mine, want] = await both(Q7);
    expect(mine).toEqual(want);
    expect(want.length).toBeGreaterThan(4);
  });

  it('joins customer with nation and region through keys supplier shares (Q5), with DuckDB\'s answer', async () => {
    const sql = `SELECT name, sum(price), count(*) FROM cus, ord, li, sup, nat, reg
      WHERE ck = ock AND lok = ok AND lsk = sk AND cnk = snk AND snk = nk AND nrk = rk AND rname = 'R2' AND oyear >= 1993 AND oyear < 1995
      GROUP BY name`;
    const [mine, want] = await both(sql);
    expect(mine).toEqual(want);
    expect(want.length).toBe(5);
  });

  it('keeps an outer join among inner joins in place: its preserved rows all come out, as in DuckDB', async () => {
    const sql = `SELECT count(*), count(ck), sum(price), count(DISTINCT name) FROM li JOIN ord ON lok = ok JOIN sup ON lsk = sk JOIN nat ON snk = nk
      LEFT JOIN cus ON ock = ck AND ck < 100 WHERE oyear = 1991 AND name IN ('N3', 'N4')`;
    const [mine, want] = await both(sql);
    expect(mine).toEqual(want);
    // some rows found no customer (ck >= 100) and were kept with NULLs
    expect(Number(want[0][1])).toBeLessThan(Number(want[0][0]));
    expect(Number(want[0][1])).toBeGreaterThan(0);
  });
});
