// `npm run bench -- engine [--rows N] [--slices N] [--runs N] [--sortkey COLUMN]`: loads TPC-H
// LINEITEM into Strata and DuckDB (threads=2) from the same CSV, runs Q1 and Q6, checks the
// answers agree and prints load time, best/median query times, peak RSS during the load and bytes
// on disk. Strata's table has no sort key unless --sortkey names one (DuckDB never has one), so
// Q6's date range is a scan, not a zone-map skip.
// Each engine runs in its own child process so its peak RSS (VmHWM) is its own, and its CPU time
// (user + system, every thread of the process) is its own: on a busy machine the CPU ratio is
// the steadier one. Strata's slices start from workers compiled once with esbuild, as the
// `strata` command's dist/ build does; through tsx each worker would spend ~1 s compiling
// TypeScript inside the timed COPY.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINEITEM_COLUMNS, lineitemCsv } from './lineitem.ts';
import { peakRss, runChild, textTable } from './child.ts';
import { forDuckDB, tpchQuery } from './tpch/queries.ts';
import { compareRows, type Row } from './tpch/compare.ts';
import { compile } from '../test/support/compile.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** TPC-H Q1 and Q6 in their standard text (bench/tpch/queries); DuckDB's Q1 drops the interval precision. */
export const Q1 = tpchQuery(1).statements[0];
export const Q6 = tpchQuery(6).statements[0];

/** What a child process reports back (one JSON line on stdout). */
interface EngineReport {
  engine: string;
  skipped?: string;
  loadMs: number;
  rowsLoaded: number;
  q1Ms: number[];
  q6Ms: number[];
  /** CPU milliseconds of the load and of each timed run (every thread of the engine's process) */
  loadCpuMs: number;
  q1CpuMs: number[];
  q6CpuMs: number[];
  q1: Row[];
  q6: Row[];
  peakRssBytes: number;
  baseRssBytes: number;
  diskBytes: number;
}

interface Options { rows: number; slices?: number; runs: number; sortkey?: string }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 6_000_000, runs: 5 };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === '--rows') { o.rows = Number(v); i++; }
    else if (args[i] === '--slices') { o.slices = Number(v); i++; }
    else if (args[i] === '--runs') { o.runs = Number(v); i++; }
    else if (args[i] === '--sortkey') { o.sortkey = v; i++; }
    else throw new Error(`unknown argument ${args[i]} (usage: engine [--rows N] [--slices N] [--runs N] [--sortkey COLUMN])`);
  }
  if (!Number.isInteger(o.rows) || o.rows <= 0) throw new Error('--rows must be a positive integer');
  if (o.sortkey !== undefined && !LINEITEM_COLUMNS.some(([n]) => n === o.sortkey)) throw new Error(`--sortkey takes a lineitem column, got ${o.sortkey}`);
  return o;
}

function dirBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of readdirSync(path)) total += dirBytes(join(path, e));
  return total;
}

/** CPU time of this whole process (every thread), in milliseconds. */
const cpuMs = (): number => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

async function timeRuns(runs: number, fn: () => Promise<Row[]>): Promise<{ ms: number[]; cpu: number[]; rows: Row[] }> {
  let rows = await fn(); // warm-up
  const ms: number[] = [], cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now(), c = cpuMs();
    rows = await fn();
    ms.push(performance.now() - t);
    cpu.push(cpuMs() - c);
  }
  return { ms, cpu, rows };
}

const createSql = (extra: string): string =>
  `CREATE TABLE lineitem (\n  ${LINEITEM_COLUMNS.map(([n, t]) => `${n} ${t}`).join(',\n  ')}\n)${extra}`;

// ---- the two halves (each runs in a child process) ----

async function runDuckDB(csv: string, o: Options): Promise<EngineReport> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const dir = mkdtempSync(join(tmpdir(), 'bench-duckdb-'));
  try {
    const baseRssBytes = process.memoryUsage().rss;
    const inst = await DuckDBInstance.create(join(dir, 'bench.duckdb'), { threads: '2' });
    const con = await inst.connect();
    const t = performance.now(), c = cpuMs();
    await con.run(createSql(''));
    await con.run(`COPY lineitem FROM '${csv.replace(/'/g, "''")}' (FORMAT CSV, HEADER false, DELIMITER ',')`);
    await con.run('CHECKPOINT');
    const loadMs = performance.now() - t, loadCpuMs = cpuMs() - c;
    const peakRssBytes = peakRss();
    const count = Number((await con.runAndReadAll('SELECT count(*) FROM lineitem')).getRows()[0][0]);
    const query = async (sql: string): Promise<Row[]> => {
      const r = await con.runAndReadAll(sql);
      return r.getRows().map((row) => row.map((v) => (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : typeof v === 'bigint' ? Number(v) : String(v))));
    };
    const q1 = await timeRuns(o.runs, () => query(forDuckDB(Q1)));
    const q6 = await timeRuns(o.runs, () => query(Q6));
    con.disconnectSync();
    return {
      engine: 'DuckDB', loadMs, rowsLoaded: count, q1Ms: q1.ms, q6Ms: q6.ms, q1: q1.rows, q6: q6.rows,
      loadCpuMs, q1CpuMs: q1.cpu, q6CpuMs: q6.cpu,
      peakRssBytes, baseRssBytes, diskBytes: dirBytes(dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runStrata(csv: string, o: Options): Promise<EngineReport> {
  const entry = join(root, 'engine', 'database.ts');
  const empty = { engine: 'Strata', loadMs: NaN, rowsLoaded: 0, q1Ms: [], q6Ms: [], q1: [], q6: [], peakRssBytes: NaN, baseRssBytes: NaN, diskBytes: NaN, loadCpuMs: NaN, q1CpuMs: [], q6CpuMs: [] };
  if (!existsSync(entry)) return { ...empty, skipped: 'engine/database.ts does not exist yet' };
  const { Database } = await import(entry);
  const dir = mkdtempSync(join(tmpdir(), 'bench-strata-'));
  try {
    const baseRssBytes = process.memoryUsage().rss;
    const db = await Database.open({ dataDir: dir, ...(o.slices ? { slices: o.slices } : {}) });
    await db.pool.warmed(); // the slices' warm-up (slice-warmup.ts) is timed as neither the load nor the queries: the steady state after it is
    const session = db.connect();
    const run = async (sql: string): Promise<Row[]> => {
      const results = await session.execute(sql);
      return results[results.length - 1].rows as Row[];
    };
    const t = performance.now(), c = cpuMs();
    await run(createSql(o.sortkey ? ` SORTKEY(${o.sortkey})` : ''));
    await run(`COPY lineitem FROM '${csv.replace(/'/g, "''")}' FORMAT CSV DELIMITER ','`);
    const loadMs = performance.now() - t, loadCpuMs = cpuMs() - c;
    const peakRssBytes = peakRss();
    const count = Number((await run('SELECT count(*) FROM lineitem'))[0][0]);
    const q1 = await timeRuns(o.runs, () => run(Q1));
    const q6 = await timeRuns(o.runs, () => run(Q6));
    await session.close();
    await db.close();
    return {
      engine: 'Strata', loadMs, rowsLoaded: count, q1Ms: q1.ms, q6Ms: q6.ms, q1: q1.rows, q6: q6.rows,
      loadCpuMs, q1CpuMs: q1.cpu, q6CpuMs: q6.cpu,
      peakRssBytes, baseRssBytes, diskBytes: dirBytes(dir),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- driver ----

const runEngine = (engine: string, csv: string, o: Options): Promise<EngineReport> =>
  runChild<EngineReport>(fileURLToPath(import.meta.url), [engine, csv, JSON.stringify(o)]);

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const best = (xs: number[]): number => Math.min(...xs);
const fmtMs = (ms: number): string => (Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`) : '-');
const fmtBytes = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(1)} MiB` : '-');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');

/** Entry point for `npm run bench -- engine ...`. */
export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const csv = lineitemCsv(o.rows, console.log);
  const csvBytes = statSync(csv).size;
  console.log(`lineitem: ${o.rows} rows, CSV ${fmtBytes(csvBytes)}; ${o.runs} timed runs after 1 warm-up; slices ${o.slices ?? 'default'}; Strata sort key ${o.sortkey ?? 'none'}; DuckDB threads 2`);
  const duck = await runEngine('duckdb', csv, o);
  let strata: EngineReport;
  const workers = await compile();
  process.env.STRATA_WORKER_DIR = workers.dir; // the Strata child inherits it (engine/exec/worker-entry.ts)
  try {
    strata = await runEngine('strata', csv, o);
  } catch (e) {
    console.log(`Strata failed: ${(e as Error).message}`);
    strata = { engine: 'Strata', skipped: 'failed', loadMs: NaN, rowsLoaded: 0, q1Ms: [], q6Ms: [], q1: [], q6: [], peakRssBytes: NaN, baseRssBytes: NaN, diskBytes: NaN, loadCpuMs: NaN, q1CpuMs: [], q6CpuMs: [] };
  } finally {
    workers.remove();
    delete process.env.STRATA_WORKER_DIR;
  }
  const s = strata, d = duck;
  const rows: string[][] = [['', 'Strata', 'DuckDB', 'Strata/DuckDB']];
  rows.push(['load (COPY)', fmtMs(s.loadMs), fmtMs(d.loadMs), ratio(s.loadMs, d.loadMs)]);
  rows.push(['load CPU', fmtMs(s.loadCpuMs), fmtMs(d.loadCpuMs), ratio(s.loadCpuMs, d.loadCpuMs)]);
  const q = (label: string, sx: number[], dx: number[], f: (x: number[]) => number): void => {
    const a = sx.length ? f(sx) : NaN, b = f(dx);
    rows.push([label, fmtMs(a), fmtMs(b), ratio(a, b)]);
  };
  q('Q1 best', s.q1Ms, d.q1Ms, best);
  q('Q1 median', s.q1Ms, d.q1Ms, median);
  q('Q1 CPU, least', s.q1CpuMs, d.q1CpuMs, best);
  q('Q6 best', s.q6Ms, d.q6Ms, best);
  q('Q6 median', s.q6Ms, d.q6Ms, median);
  q('Q6 CPU, least', s.q6CpuMs, d.q6CpuMs, best);
  rows.push(['peak RSS during load', fmtBytes(s.peakRssBytes), fmtBytes(d.peakRssBytes), ratio(s.peakRssBytes, d.peakRssBytes)]);
  rows.push(['bytes on disk', fmtBytes(s.diskBytes), fmtBytes(d.diskBytes), ratio(s.diskBytes, d.diskBytes)]);
  rows.push(['disk / CSV size', ratio(s.diskBytes, csvBytes), ratio(d.diskBytes, csvBytes), '']);
  console.log('\n' + textTable(rows) + '\n');
  if (s.skipped) {
    console.log(`Strata: skipped (${s.skipped}).`);
  } else {
    const diffs = [
      ...(s.rowsLoaded !== d.rowsLoaded ? [`row count: Strata ${s.rowsLoaded}, DuckDB ${d.rowsLoaded}`] : []),
      ...compareRows('Q1', s.q1, d.q1),
      ...compareRows('Q6', s.q6, d.q6),
    ];
    if (diffs.length) {
      console.log(`ANSWERS DIFFER:\n  ${diffs.join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log('answers match: Q1 and Q6 sums exact to the last digit, averages within 1e-9 relative');
    }
  }
  if (!s.skipped || process.env.BENCH_VERBOSE) {
    console.log('Q1 (DuckDB):');
    for (const r of d.q1) console.log('  ' + r.join(' | '));
    console.log(`Q6 (DuckDB): ${d.q6[0]?.[0]}`);
  }
}

// Child mode: `bench/engine.ts --child duckdb|strata <csv> <options json>` prints one JSON line.
if (process.argv[2] === '--child' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const [, , , engine, csv, opts] = process.argv;
  const o = JSON.parse(opts) as Options;
  const report = engine === 'duckdb' ? await runDuckDB(csv, o) : await runStrata(csv, o);
  process.stdout.write(JSON.stringify(report) + '\n');
  process.exit(0);
}
