// A column compared with an uncorrelated subquery's value of a larger scale compares at the
// column's own scale, the value rounded as each operator needs. Checked against DuckDB at and
// around the boundaries, negative values included; EXPLAIN ANALYZE shows the cast gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../../engine/database.ts';
import { openTwinEngines, type TwinEngines } from '../../support/twin-engines.ts';

let s: Session;
let twins: TwinEngines | undefined;

const SETUP = [
  'CREATE TABLE t (id INTEGER, v DECIMAL(12,2), n INTEGER)',
  'INSERT INTO t VALUES (1, -1.01, -2), (2, -1.00, -1), (3, 0, 0), (4, 12.34, 12), (5, 12.35, 13), (6, NULL, NULL), (7, 99999.99, 3)',
  'CREATE TABLE c (x DECIMAL(12,6))',
  'INSERT INTO c VALUES (12.345), (12.34), (-1.005), (-1.0), (12.5)',
  'CREATE TABLE w (d DECIMAL(38,2))',
  'INSERT INTO w VALUES (900719925474.09), (900719925474.10), (900719925474.11)',
];

beforeAll(async () => {
  twins = await openTwinEngines('narrow', SETUP);
  ({ s } = twins);
}, 60_000);

afterAll(async () => {
  await twins?.close();
});

const strata = (sql: string) => twins!.strataRows(sql);
const duckdb = (sql: string) => twins!.duckRows(sql);

describe('a comparison with a subquery value of a larger scale', () => {
  it('answers as DuckDB for every operator at and around the boundaries', async () => {
    const wrong: string[] = [];
    for (const value of ['12.345', '12.34', '-1.005', '-1.0', '12.5'])
      for (const op of ['>', '>=', '<', '<=', '=', '<>'])
        for (const column of ['v', 'n']) {
          const sql = `SELECT id FROM t WHERE ${column} ${op} (SELECT max(x) FROM c WHERE x = ${value}) ORDER BY id`;
          const flipped = `SELECT id FROM t WHERE (SELECT max(x) FROM c WHERE x = ${value}) ${op} ${column} ORDER BY id`;
          for (const q of [sql, flipped]) {
            const [mine, theirs] = [await strata(q), await duckdb(q)];
            if (JSON.stringify(mine) !== JSON.stringify(theirs)) wrong.push(`${q}: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`);
          }
        }
    expect(wrong.join('\n')).toBe('');
  });

  it('compares the column without scaling it up', async () => {
    const r = await s.execute('EXPLAIN ANALYZE SELECT id FROM t WHERE v > (SELECT max(x) FROM c)');
    const plan = r[0].rows.map((row: unknown[]) => String(row[0])).join('\n');
    expect(plan).toMatch(/Filter.*\(v > 1250\)/);
    expect(plan).not.toMatch(/v::DECIMAL/);
  });

  it('narrows a value past 2^53 at its scale (exact, written as text) too', async () => {
    const sql = 'SELECT d FROM w WHERE d > (SELECT CAST(max(d) AS DECIMAL(38,8)) - 0.015 FROM w) ORDER BY 1';
    expect(await strata(sql)).toEqual(await duckdb(sql));
    const r = await s.execute(`EXPLAIN ANALYZE ${sql}`);
    expect(r[0].rows.map((row: unknown[]) => String(row[0])).join('\n')).toMatch(/\(d > 90071992547409\)/);
  });
});
