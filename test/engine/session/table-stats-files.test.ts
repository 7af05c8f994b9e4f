// Table statistics' column sketches live in their own immutable files under segments/, not in
// the manifest (which every commit rewrites): a commit writes a sketch file only for the tables
// whose statistics it changed, GC collects superseded ones, and a lost file only makes the
// distinct-value estimate unknown.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';
import type { CatalogState, TableState } from '../../../engine/catalog/catalog.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'strata-stats-files-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

const sketchFiles = async (dataDir: string) => (await readdir(join(dataDir, 'segments'))).filter((f) => f.startsWith('stats-')).sort();
const table = (db: Database, name: string): TableState => (db.catalog as CatalogState).accounts.admin.databases.dev.schemas.public.tables[name];
async function manifestBytes(dataDir: string): Promise<number> {
  const v = (await readFile(join(dataDir, 'CURRENT'), 'utf8')).trim();
  return (await stat(join(dataDir, 'manifests', `manifest-${v.padStart(12, '0')}.json`))).size;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const NDV = "SELECT column_name, distinct_values FROM svv_table_stats WHERE table_name = 'b' ORDER BY column_name";

it('a commit to one table writes no sketch file for another, and the manifest stays small', async () => {
  const dataDir = join(root, 'wide');
  const db = await Database.open({ dataDir, slices: 2 });
  const s = db.connect();
  const cols = Array.from({ length: 40 }, (_, i) => `c${i}`);
  await s.execute(`CREATE TABLE b (${cols.map((c) => `${c} INTEGER`).join(', ')})`);
  // 1200 distinct values per column: every sketch is past sparse (4096 registers each)
  await s.execute(`INSERT INTO b VALUES ${range(1, 1200).map((g) => `(${cols.map((_, i) => g + i).join(', ')})`).join(', ')}`);
  await s.execute('ANALYZE b');
  const bFile = table(db, 'b').stats!.sketchFile!;
  expect(bFile).toMatch(/^stats-/);
  const files = await sketchFiles(dataDir); // the INSERT's and ANALYZE's (GC takes the first later)
  expect(files).toHaveLength(2);
  expect(files).toContain(bFile);
  const sketchBytes = (await stat(join(dataDir, 'segments', bFile))).size;
  expect(sketchBytes).toBeGreaterThan(40 * 1000); // the sketches are big (4096 registers a column, deflated) ...
  const manifest = await manifestBytes(dataDir);
  expect(manifest).toBeLessThan(16 * 1024); // ... and not in the manifest (40 columns' min/max/nulls and one segment per slice)
  const before = (await s.execute(NDV))[0].rows;
  expect(before).toHaveLength(40);
  for (const [, ndv] of before) expect(Math.abs(Number(ndv) - 1200) / 1200).toBeLessThan(0.05);

  await s.execute('CREATE TABLE a (x INTEGER)');
  await s.execute('INSERT INTO a VALUES (1), (2), (3)');
  const aFile = table(db, 'a').stats!.sketchFile!;
  expect(table(db, 'b').stats!.sketchFile).toBe(bFile);
  expect(await sketchFiles(dataDir)).toEqual([...files, aFile].sort());
  expect(await manifestBytes(dataDir)).toBeLessThan(manifest + 1024);
  expect((await s.execute(NDV))[0].rows).toEqual(before);
  await db.close();
});

it('GC collects superseded sketch files; a restart reads the current one; a lost one makes NDV unknown', async () => {
  const dataDir = join(root, 'gc');
  let db = await Database.open({ dataDir, slices: 2 });
  let s = db.connect();
  await s.execute('CREATE TABLE b (k INTEGER, v VARCHAR(4))');
  await s.execute(`INSERT INTO b VALUES ${range(1, 500).map((g) => `(${g}, 'v${g % 7}')`).join(', ')}`);
  const first = table(db, 'b').stats!.sketchFile!;
  await s.execute(`INSERT INTO b VALUES ${range(501, 800).map((g) => `(${g}, 'w')`).join(', ')}`);
  const second = table(db, 'b').stats!.sketchFile!;
  expect(second).not.toBe(first);
  expect(await sketchFiles(dataDir)).toEqual([first, second].sort());
  // past the grace period that protects files of transactions in flight
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of [first, second]) await utimes(join(dataDir, 'segments', f), hourAgo, hourAgo);
  const removed = await db.collectGarbage();
  expect(removed).toContain(`segments/${first}`);
  expect(removed).not.toContain(`segments/${second}`);
  expect(await sketchFiles(dataDir)).toEqual([second]);
  const ndv = (await s.execute(NDV))[0].rows;
  expect(ndv[0][1]).toBeGreaterThan(760);
  expect(ndv[0][1]).toBeLessThan(840);
  expect(ndv[1][1]).toBe(8);
  await db.close();

  db = await Database.open({ dataDir, slices: 2 });
  s = db.connect();
  expect((await s.execute(NDV))[0].rows).toEqual(ndv);
  await db.close();

  // a crash (or a careless copy) lost the file: distinct values unknown, everything else works
  await unlink(join(dataDir, 'segments', second));
  db = await Database.open({ dataDir, slices: 2 });
  s = db.connect();
  expect((await s.execute(NDV))[0].rows).toEqual([['k', null], ['v', null]]);
  expect((await s.execute("SELECT stats_rows, min_value FROM svv_table_stats WHERE table_name = 'b' AND column_name = 'k'"))[0].rows).toEqual([[800, '1']]);
  expect((await s.execute('SELECT count(DISTINCT v) FROM b'))[0].rows).toEqual([[8]]);
  // a write merges into unknown and stays unknown; ANALYZE makes it known again
  await s.execute("INSERT INTO b VALUES (900, 'x')");
  expect((await s.execute(NDV))[0].rows).toEqual([['k', null], ['v', null]]);
  await s.execute('ANALYZE b');
  expect((await s.execute(NDV))[0].rows[1]).toEqual(['v', 9]);
  await db.close();
});
