// How correlated subqueries are planned: joined on their correlations when every one is an
// equality, or any comparison over plain rows (no domain), otherwise over a domain whose outer rows are computed once and shared.
// Either way the outer table is read once: EXPLAIN ANALYZE counts the rows scanned.
// (Answers are checked against DuckDB in subqueries-oracle.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;

const O_ROWS = 30, I_ROWS = 20;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-subq-plan-'));
  db = await Database.open({ dataDir: join(dir, 'data'), slices: 2 });
  s = db.connect();
  await s.execute('CREATE TABLE o (id INTEGER, a INTEGER, b INTEGER)');
  await s.execute('CREATE TABLE i (id INTEGER, a INTEGER, b INTEGER)');
  const values = (n: number) => Array.from({ length: n }, (_, k) => `(${k}, ${k % 7}, ${(k * 5) % 11})`).join(', ');
  await s.execute(`INSERT INTO o VALUES ${values(O_ROWS)}`);
  await s.execute(`INSERT INTO i VALUES ${values(I_ROWS)}`);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function explain(sql: string): Promise<string> {
  const r = await s.execute(`EXPLAIN ANALYZE ${sql}`);
  return r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
}

const scanned = (plan: string) => Number(/(\d+) rows scanned/.exec(plan)![1]);

describe('correlated subqueries read the outer rows once', () => {
  const keyed = [
    'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE i.a = o.a)',
    'SELECT id FROM o WHERE NOT EXISTS (SELECT * FROM i WHERE i.a = o.a AND i.b > o.b)',
    'SELECT id FROM o WHERE o.b IN (SELECT i.b FROM i WHERE i.a = o.a AND i.id <> o.id)',
    'SELECT id, (SELECT max(i.b) FROM i WHERE i.a = o.a) FROM o',
    'SELECT id, (SELECT count(*) + 1 FROM i WHERE i.a = o.a) FROM o',
    'SELECT id FROM o WHERE o.b > (SELECT 0.5 * sum(i.b) FROM i WHERE i.a = o.a AND i.b = o.b)',
    // comparisons alone over plain rows: a nested loop on them
    'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE i.a > o.a)',
    'SELECT id FROM o WHERE NOT EXISTS (SELECT * FROM i WHERE i.a > o.a AND i.b < o.b)',
    'SELECT id, (SELECT i.b FROM i WHERE i.id < o.id AND i.id >= o.id) FROM o',
  ];
  for (const sql of keyed) {
    it(`joined on its correlations, without a domain: ${sql}`, async () => {
      const plan = await explain(sql);
      expect(plan).not.toMatch(/Distinct|Shared result/);
      expect(scanned(plan)).toBe(O_ROWS + I_ROWS);
    });
  }

  const shared = [
    'SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE i.a = o.a OR i.b = o.b)',
    'SELECT id, o.b > ALL (SELECT i.b FROM i WHERE i.a = o.a) FROM o',
    'SELECT id, (SELECT count(*) FROM i WHERE i.a < o.a) FROM o',
  ];
  for (const sql of shared) {
    it(`over a domain of outer rows computed once: ${sql}`, async () => {
      const plan = await explain(sql);
      expect(plan).toMatch(/Shared result 1 \(runs once, read again below\)/);
      expect(plan).toMatch(/Shared result 1 \(reused\)/);
      expect(scanned(plan)).toBe(O_ROWS + I_ROWS);
    });
  }

  it('EXISTS carries only its keys, not the subquery\'s columns, yet reports errors in them', async () => {
    const plan = await explain('SELECT id FROM o WHERE EXISTS (SELECT * FROM i WHERE i.a = o.a)');
    expect(plan).not.toMatch(/Project: .*\bb\b/);
    await expect(s.execute('SELECT id FROM o WHERE EXISTS (SELECT nosuch FROM i WHERE i.a = o.a)')).rejects.toMatchObject({ code: 'UNDEFINED_COLUMN' });
  });

  it('two correlated subqueries of one query share the outer rows too', async () => {
    const plan = await explain('SELECT id, (SELECT count(*) FROM i WHERE i.a < o.a), (SELECT min(i.b) FROM i WHERE i.b > o.b) FROM o');
    expect(scanned(plan)).toBe(O_ROWS + 2 * I_ROWS);
  });
});
