// Table statistics across a restart, inside transactions and between users (svv_table_stats
// shows only tables the user may read; ANALYZE needs the owner).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'strata-table-stats-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

const STATS = "SELECT table_name, column_name, stats_rows, distinct_values, min_value, max_value FROM svv_table_stats ORDER BY table_name, column_name";

it('survives a restart with the catalog, and a rolled-back write leaves no trace', async () => {
  const dataDir = join(root, 'restart');
  let db = await Database.open({ dataDir, slices: 2 });
  let s = db.connect();
  await s.execute('CREATE TABLE t (k INTEGER, v VARCHAR(5))');
  // 2000 distinct keys: past the sparse sketch, so the estimate comes from HLL registers
  await s.execute(`INSERT INTO t VALUES ${Array.from({ length: 2000 }, (_, i) => `(${i}, 'v${i % 5}')`).join(', ')}`);
  await s.execute(`BEGIN; INSERT INTO t VALUES (5000, 'zz'); ROLLBACK`);
  const before = (await s.execute(STATS))[0].rows;
  expect(before.map((r) => [r[1], r[2], r[4], r[5]])).toEqual([['k', 2000, '0', '1999'], ['v', 2000, 'v0', 'v4']]);
  const ndv = Number(before[0][3]);
  expect(Math.abs(ndv - 2000) / 2000).toBeLessThan(0.05); // sketch files keep all 2^12 HLL registers: ~1.6% standard error
  expect(before[1][3]).toBe(5);
  await db.close();
  db = await Database.open({ dataDir, slices: 2 });
  s = db.connect();
  expect((await s.execute(STATS))[0].rows).toEqual(before);
  await db.close();
});

it('shows only readable tables, and ANALYZE needs the owner', async () => {
  const db = await Database.open({ dataDir: join(root, 'users'), slices: 2 });
  const admin = db.connect();
  await admin.execute(`CREATE TABLE secret (salary INTEGER); INSERT INTO secret VALUES (100), (900000);
    CREATE TABLE open_t (x INTEGER); INSERT INTO open_t VALUES (1);
    CREATE USER eve PASSWORD 'Secret123'; GRANT SELECT ON open_t TO eve`);
  const eve = db.connect({ user: 'eve' });
  const seen = (await eve.execute('SELECT DISTINCT table_name FROM svv_table_stats'))[0].rows;
  expect(seen).toEqual([['open_t']]);
  await expect(eve.execute('ANALYZE secret')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  await expect(eve.execute('ANALYZE open_t')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  // without a table, ANALYZE covers only what eve owns: nothing here, so the figures stay as they were
  await eve.execute('ANALYZE');
  expect((await admin.execute("SELECT count(*) FROM svv_table_stats WHERE analyzed_at IS NOT NULL"))[0].rows).toEqual([[0]]);
  await admin.execute('ANALYZE secret');
  expect((await admin.execute("SELECT table_name FROM svv_table_stats WHERE analyzed_at IS NOT NULL"))[0].rows).toEqual([['secret']]);
  await db.close();
});
