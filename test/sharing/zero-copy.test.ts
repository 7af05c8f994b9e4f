// Zero copy: sharing and consuming a table write metadata only (no segment files, a few hundred
// bytes of manifest), and the consumer's scan uses the producer's segments with zone maps.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { world, rows, dirBytes, dirFiles, type World } from './helpers.ts';
import { LINEITEM_COLUMNS, lineitemCsv } from '../../bench/lineitem.ts';

let w: World;

beforeAll(async () => {
  w = await world();
  const csv = lineitemCsv(100_000);
  await w.prod.execute(`create table lineitem (${LINEITEM_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')}) sortkey (l_shipdate);
    COPY lineitem FROM '${csv}' FORMAT CSV DELIMITER ','`);
}, 60_000);

afterAll(() => w?.close());

it('sharing a table adds no segment files and under 64 KB on disk', async () => {
  const segs = join(w.dir, 'segments');
  const filesBefore = dirFiles(segs).sort();
  const bytesBefore = dirBytes(w.dir);
  await w.prod.execute(`BEGIN; CREATE DATASHARE li; ALTER DATASHARE li ADD TABLE lineitem; GRANT USAGE ON DATASHARE li TO ACCOUNT 'acme'; COMMIT`);
  await w.acme.execute(`CREATE DATABASE tpch FROM DATASHARE li OF ACCOUNT 'prod'`);
  expect(dirFiles(segs).sort()).toEqual(filesBefore);
  expect(dirBytes(w.dir) - bytesBefore).toBeLessThan(64 * 1024);
  // the consumer reads the same data the producer does
  const q = `select l_returnflag, count(*), sum(l_quantity) from %s where l_shipdate >= date '1998-01-01' group by 1 order by 1`;
  expect(await rows(w.acme, q.replace('%s', 'tpch.public.lineitem'))).toEqual(await rows(w.prod, q.replace('%s', 'lineitem')));
  expect(dirFiles(segs).sort()).toEqual(filesBefore);
});

it('consumer scans prune with the producer zone maps', async () => {
  const plan = async (s: typeof w.acme, t: string) => JSON.stringify(await rows(s, `EXPLAIN ANALYZE select count(*) from ${t} where l_shipdate < date '1992-03-01'`));
  const local = await plan(w.prod, 'lineitem');
  const shared = await plan(w.acme, 'tpch.public.lineitem');
  const segments = (p: string) => /segments scanned \d+, pruned by zone maps \d+/.exec(p)?.[0];
  expect(segments(local)).toBeTruthy();
  expect(segments(shared)).toBe(segments(local));
  expect(shared).toMatch(/zone maps prune segments/);
});
