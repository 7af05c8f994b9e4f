// A slice's warm-up (slice-warmup.ts): as it starts, each slice runs TPC-H-shaped requests over
// synthetic segments served from memory, so V8 optimizes its shared code before queries need it.
// It runs every request in both rounds, leaves nothing behind (no cached column, no spill
// file), a query that comes while it runs is answered, queries over real segments answer as
// the rows say, and a lazy pool (the one-shot CLI) does not warm.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../engine/database.ts';
import { cacheTotalBytes } from '../../../engine/exec/column-cache.ts';
import { spillRoot } from '../../../engine/exec/spill/spill-area.ts';
import { WARMUP_ROUNDS, warmup } from '../../../engine/exec/slice-warmup.ts';

const saved = process.env.STRATA_SLICE_WARMUP;
let root: string;
const open: Database[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-slice-warmup-'));
  // the suite turns the warm-up off (test/support/compiled-workers.ts)
  process.env.STRATA_SLICE_WARMUP = '1';
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
});
afterAll(async () => {
  if (saved === undefined) delete process.env.STRATA_SLICE_WARMUP;
  else process.env.STRATA_SLICE_WARMUP = saved;
  await rm(root, { recursive: true, force: true });
});

async function openDb(name: string, lazySlices = false): Promise<Database> {
  const db = await Database.open({ dataDir: join(root, name), slices: 2, lazySlices });
  open.push(db);
  return db;
}

/** f: 30,000 rows (k, v) joined with dim: 3,000 keys labelled l0..l6; and each label's sum of v by the rows' formula. */
const SETUP = [
  'CREATE TABLE d (n INTEGER)',
  'INSERT INTO d VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)',
  'CREATE TABLE f (k INTEGER, v INTEGER)',
  'INSERT INTO f SELECT x % 3000, x % 100 FROM (SELECT a.n * 10000 + b.n * 1000 + c.n * 100 + e.n * 10 + h.n AS x FROM d a, d b, d c, d e, d h) t WHERE x < 30000',
  'CREATE TABLE dim (k INTEGER, label VARCHAR(8))',
  `INSERT INTO dim SELECT x, 'l' || CAST(x % 7 AS VARCHAR(4)) FROM (SELECT b.n * 1000 + c.n * 100 + e.n * 10 + h.n AS x FROM d b, d c, d e, d h) t WHERE x < 3000`,
];
const QUERY = 'SELECT dim.label, sum(f.v) AS total FROM f JOIN dim ON f.k = dim.k GROUP BY dim.label ORDER BY dim.label';
function expected(): [string, number][] {
  const sums = new Map<string, number>();
  for (let x = 0; x < 30000; x++) sums.set(`l${(x % 3000) % 7}`, (sums.get(`l${(x % 3000) % 7}`) ?? 0) + (x % 100));
  return [...sums].sort(([a], [b]) => a.localeCompare(b));
}
const rowsOf = (rows: unknown[][]) => rows.map(([label, total]) => [label, Number(total)]);

describe('slice warm-up', () => {
  it('runs every request in both rounds in each slice and leaves no cached column or spill file', async () => {
    const db = await openDb('idle');
    const requests = (await warmup()).requests.length;
    expect(await db.pool.warmed()).toEqual([requests * WARMUP_ROUNDS, requests * WARMUP_ROUNDS]);
    expect(cacheTotalBytes(db.pool.cache)).toBe(0);
    const spill = spillRoot(join(root, 'idle'));
    expect(existsSync(spill) ? readdirSync(spill) : []).toEqual([]);
  });

  it('answers statements that come while it runs, and queries over real segments as the rows say', async () => {
    const db = await openDb('busy');
    const s = db.connect();
    // at once: the slices are still warming
    for (const q of SETUP) await s.execute(q);
    const [during] = await s.execute(QUERY);
    expect(rowsOf(during.rows)).toEqual(expected());
    expect((await db.pool.warmed()).every((n) => n > 0)).toBe(true);
    const [after] = await s.execute(QUERY);
    expect(rowsOf(after.rows)).toEqual(expected());
    await s.close();
  });

  it('a lazy pool (the one-shot CLI) does not warm', async () => {
    const db = await openDb('lazy', true);
    const s = db.connect();
    for (const q of SETUP) await s.execute(q);
    expect(await db.pool.warmed()).toEqual([0, 0]);
    await s.close();
  });
});
