// `npm run bench -- sharing [--rows N] [--slices N] [--runs N]`: loads TPC-H LINEITEM into a
// producer account, shares it with a consumer, and reports
//   - the time and disk bytes of sharing it (CREATE DATASHARE, ADD TABLE, GRANT, CREATE DATABASE
//     FROM DATASHARE, each its own transaction, and again with the producer's three statements in
//     one transaction), and that no segment file was written;
//   - TPC-H Q1 run locally by the producer vs through the share by the consumer (runs interleaved,
//     best and median), with the answers checked equal. Targets: ratio <= 1.05, < 50 ms, < 64 KB.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../engine/database.ts';
import { extension } from '../sharing/extension.ts';
import { LINEITEM_COLUMNS, lineitemCsv } from './lineitem.ts';
import { Q1 } from './engine.ts';

interface Options { rows: number; slices?: number; runs: number }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 6_000_000, runs: 7 };
  for (let i = 0; i < args.length; i++) {
    const v = Number(args[i + 1]);
    if (args[i] === '--rows') o.rows = v;
    else if (args[i] === '--slices') o.slices = v;
    else if (args[i] === '--runs') o.runs = v;
    else throw new Error(`unknown argument ${args[i]} (usage: sharing [--rows N] [--slices N] [--runs N])`);
    i++;
  }
  if (!Number.isInteger(o.rows) || o.rows <= 0) throw new Error('--rows must be a positive integer');
  return o;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const csv = lineitemCsv(o.rows, (s) => console.log(s));
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-sharing-'));
  const db = await Database.open({ dataDir: dir, ...(o.slices ? { slices: o.slices } : {}) });
  try {
    db.use(extension(db));
    await db.connect({ account: 'admin' }).execute('CREATE ACCOUNT producer; CREATE ACCOUNT consumer');
    const prod = db.connect({ account: 'producer' });
    const cons = db.connect({ account: 'consumer' });
    let t = performance.now();
    await prod.execute(`create table lineitem (${LINEITEM_COLUMNS.map(([n, ty]) => `${n} ${ty}`).join(', ')});
      COPY lineitem FROM '${csv.replace(/'/g, "''")}' FORMAT CSV DELIMITER ','`);
    console.log(`loaded ${o.rows} rows in ${ms(performance.now() - t)} (${db.slices} slices)`);
    await db.collectGarbage();

    // sharing: metadata only
    const segs = () => readdirSync(join(dir, 'segments')).length;
    const bytes0 = dirBytes(dir), segs0 = segs();
    const steps: [string, string, typeof prod][] = [
      ['CREATE DATASHARE', 'CREATE DATASHARE tpch', prod],
      ['ALTER DATASHARE ADD TABLE', 'ALTER DATASHARE tpch ADD TABLE lineitem', prod],
      ['GRANT USAGE', `GRANT USAGE ON DATASHARE tpch TO ACCOUNT 'consumer'`, prod],
      ['CREATE DATABASE FROM DATASHARE', `CREATE DATABASE tpch FROM DATASHARE tpch OF ACCOUNT 'producer'`, cons],
    ];
    let shareMs = 0;
    for (const [label, sql, s] of steps) {
      t = performance.now();
      await s.execute(sql);
      const dt = performance.now() - t;
      shareMs += dt;
      console.log(`  ${label.padEnd(32)} ${ms(dt)}`);
    }
    const added = dirBytes(dir) - bytes0;
    console.log(`sharing a ${o.rows}-row table: ${ms(shareMs)} (target < 50 ms), +${added} bytes on disk (target < 65536; ${segs() - segs0} new segment files; each commit writes a manifest)`);
    // the producer's three statements as one transaction: one commit instead of three
    t = performance.now();
    await prod.execute(`BEGIN; CREATE DATASHARE tpch2; ALTER DATASHARE tpch2 ADD TABLE lineitem; GRANT USAGE ON DATASHARE tpch2 TO ACCOUNT 'consumer'; COMMIT`);
    const t1 = performance.now() - t;
    t = performance.now();
    await cons.execute(`CREATE DATABASE tpch2 FROM DATASHARE tpch2 OF ACCOUNT 'producer'`);
    const t2 = performance.now() - t;
    console.log(`  producer statements in one transaction: ${ms(t1)} + CREATE DATABASE ${ms(t2)} = ${ms(t1 + t2)}`);
    await db.collectGarbage();
    console.log(`  after GC (keeps the last 3 manifests): ${dirBytes(dir) - bytes0 >= 0 ? '+' : ''}${dirBytes(dir) - bytes0} bytes`);

    // Q1 local vs through the share, interleaved
    const local = Q1, shared = Q1.replace('from lineitem', 'from tpch.public.lineitem');
    const a = await prod.execute(local), b = await cons.execute(shared);
    if (JSON.stringify(a[0].rows) !== JSON.stringify(b[0].rows)) throw new Error('Q1 through the share differs from the local answer');
    const tl: number[] = [], ts: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      for (const [sql, s, out] of (i % 2 ? [[shared, cons, ts], [local, prod, tl]] : [[local, prod, tl], [shared, cons, ts]]) as [string, typeof prod, number[]][]) {
        t = performance.now();
        await s.execute(sql);
        out.push(performance.now() - t);
      }
    }
    console.log(`Q1 local (producer):   best ${ms(Math.min(...tl))}, median ${ms(median(tl))}`);
    console.log(`Q1 via share (consumer): best ${ms(Math.min(...ts))}, median ${ms(median(ts))}`);
    console.log(`ratio shared/local: best ${(Math.min(...ts) / Math.min(...tl)).toFixed(3)}, median ${(median(ts) / median(tl)).toFixed(3)} (target <= 1.05)`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
