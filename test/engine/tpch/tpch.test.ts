// The 22 TPC-H queries at scale factor 0.01, in their standard text, checked against DuckDB's
// answers over the same generated data (bench/tpch). Sums of decimals must match to the last
// digit; averages and decimal quotients within one unit of Strata's last printed digit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Database, type Session } from '../../../engine/database.ts';
import { generateTpch, tpchCardinalities } from '../../../bench/tpch/generate.ts';
import { TPCH_QUERIES } from '../../../bench/tpch/queries.ts';
import { loadDuckDB, loadStrata, runDuckDB, runStrata } from '../../../bench/tpch/engines.ts';
import { compareRows } from '../../../bench/tpch/compare.ts';
import { TPCH_TABLES } from '../../../bench/tpch/schema.ts';

const SF = 0.01;

let dir: string;
let db: Database;
let session: Session;
let duck: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-tpch-'));
  generateTpch(SF, join(dir, 'data'));
  db = await Database.open({ dataDir: join(dir, 'db'), slices: 2 });
  session = db.connect();
  await loadStrata(session, join(dir, 'data'));
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  duck = await inst.connect();
  await loadDuckDB(duck, join(dir, 'data'));
}, 120_000);

afterAll(async () => {
  await session?.close();
  await db?.close();
  duck?.disconnectSync?.();
  rmSync(dir, { recursive: true, force: true });
});

describe(`TPC-H at SF ${SF}`, () => {
  it('generates the spec cardinalities, and both engines load the same rows', async () => {
    const card = tpchCardinalities(SF);
    for (const t of TPCH_TABLES) {
      const sql = `SELECT count(*) FROM ${t.name}`;
      const [[strata]] = (await session.execute(sql))[0].rows as number[][];
      const [[ours]] = (await duck.runAndReadAll(sql)).getRows();
      expect(strata, t.name).toBe(Number(ours));
      if (t.name !== 'lineitem') expect(strata, t.name).toBe(card[t.name]);
    }
    // 1..7 lines per order: about 4 on average
    const [[lines]] = (await session.execute('SELECT count(*) FROM lineitem'))[0].rows as number[][];
    expect(lines / card.orders).toBeGreaterThan(3.8);
    expect(lines / card.orders).toBeLessThan(4.2);
  });

  for (const q of TPCH_QUERIES) {
    it(`${q.name} equals DuckDB's answer`, async () => {
      const expected = await runDuckDB(duck, q);
      const actual = await runStrata(session, q);
      expect(compareRows(q.name, actual, expected)).toEqual([]);
    }, 60_000);
  }
});
