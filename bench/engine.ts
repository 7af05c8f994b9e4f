// `npm run bench -- engine [--rows N] [--slices N] [--runs N] [--sortkey COLUMN]`: loads TPC-H
// LINEITEM into Strata and DuckDB (threads=2) from the same CSV, runs Q1 and Q6, checks the
// answers agree and prints load time, query times, peak RSS during the load and bytes on disk.
// Strata's table has no sort key unless --sortkey names one (DuckDB never has one), so Q6's date
// range is a scan, not a zone-map skip.
// Each engine runs in its own child process so its peak RSS (VmHWM) is its own, and its CPU time
// (user + system, every thread of the process) is its own. The two children load one after the
// other, then both stay alive and the parent asks them in turn for one run at a time: after one
// warm-up run of each query, each of --runs rounds (default 9) runs Q1 on both engines, then Q6 on
// both, the engine that goes first alternating round by round. So both engines' runs of a round
// share the same minute of a busy machine, and the per-round ratio (its median and range are
// printed beside each engine's best and median) does not depend on which engine got the quieter
// minute; the per-round ratio of CPU times is printed too (steadier still on a busy machine,
// where either engine's threads may wait for a core). Strata's slices start from workers
// compiled once with esbuild, as the `strata` command's dist/ build does; through tsx each
// worker would spend ~1 s compiling TypeScript inside the timed COPY.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINEITEM_COLUMNS, lineitemCsv } from './lineitem.ts';
import { ServedChild, peakRss, serveRequests, textTable } from './child.ts';
import { forDuckDB, tpchQuery } from './tpch/queries.ts';
import { compareRows, type Row } from './tpch/compare.ts';
import { compile } from '../test/support/compile.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/** TPC-H Q1 and Q6 in their standard text (bench/tpch/queries); DuckDB's Q1 drops the interval precision. */
export const Q1 = tpchQuery(1).statements[0];
export const Q6 = tpchQuery(6).statements[0];

/** What a child reports once its load is done (its first line). */
interface LoadReport {
  engine: string;
  loadMs: number;
  /** CPU milliseconds of the load (every thread of the engine's process) */
  loadCpuMs: number;
  rowsLoaded: number;
  peakRssBytes: number;
  baseRssBytes: number;
  diskBytes: number;
}

/** One query run's answer to the parent: wall and CPU milliseconds, and the rows. */
interface RunReport { ms: number; cpuMs: number; rows: Row[] }

/** A loaded engine inside a child: runs one query at a time until closed. */
interface LoadedEngine { load: LoadReport; run(sql: string): Promise<Row[]>; close(): Promise<void> }

interface Options { rows: number; slices?: number; runs: number; sortkey?: string }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 6_000_000, runs: 9 };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === '--rows') { o.rows = Number(v); i++; }
    else if (args[i] === '--slices') { o.slices = Number(v); i++; }
    else if (args[i] === '--runs') { o.runs = Number(v); i++; }
    else if (args[i] === '--sortkey') { o.sortkey = v; i++; }
    else throw new Error(`unknown argument ${args[i]} (usage: engine [--rows N] [--slices N] [--runs N] [--sortkey COLUMN])`);
  }
  if (!Number.isInteger(o.rows) || o.rows <= 0) throw new Error('--rows must be a positive integer');
  if (!Number.isInteger(o.runs) || o.runs <= 0) throw new Error('--runs must be a positive integer');
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

const createSql = (extra: string): string =>
  `CREATE TABLE lineitem (\n  ${LINEITEM_COLUMNS.map(([n, t]) => `${n} ${t}`).join(',\n  ')}\n)${extra}`;

// ---- the two halves (each runs in a child process) ----

async function loadDuckDB(csv: string, dir: string): Promise<LoadedEngine> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const baseRssBytes = process.memoryUsage().rss;
  const inst = await DuckDBInstance.create(join(dir, 'bench.duckdb'), { threads: '2' });
  const con = await inst.connect();
  const t = performance.now(), c = cpuMs();
  await con.run(createSql(''));
  await con.run(`COPY lineitem FROM '${csv.replace(/'/g, "''")}' (FORMAT CSV, HEADER false, DELIMITER ',')`);
  await con.run('CHECKPOINT');
  const loadMs = performance.now() - t, loadCpuMs = cpuMs() - c;
  const peakRssBytes = peakRss();
  const run = async (sql: string): Promise<Row[]> => {
    const r = await con.runAndReadAll(forDuckDB(sql));
    return r.getRows().map((row) => row.map((v) => (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : typeof v === 'bigint' ? Number(v) : String(v))));
  };
  const rowsLoaded = Number((await run('SELECT count(*) FROM lineitem'))[0][0]);
  return {
    load: { engine: 'DuckDB', loadMs, loadCpuMs, rowsLoaded, peakRssBytes, baseRssBytes, diskBytes: dirBytes(dir) },
    run,
    close: async () => con.disconnectSync(),
  };
}

async function loadStrata(csv: string, dir: string, o: Options): Promise<LoadedEngine> {
  const { Database } = await import(join(root, 'engine', 'database.ts'));
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
  const rowsLoaded = Number((await run('SELECT count(*) FROM lineitem'))[0][0]);
  return {
    load: { engine: 'Strata', loadMs, loadCpuMs, rowsLoaded, peakRssBytes, baseRssBytes, diskBytes: dirBytes(dir) },
    run,
    close: async () => { await session.close(); await db.close(); },
  };
}

/** What the parent asks a child: its load (once, first), then one timed run of a query at a time. */
type Request = { load: true } | { query: string };

/** The child: loads its engine when asked, then answers each query request with one timed run. */
async function serveEngine(engine: string, csv: string, o: Options): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${engine}-`));
  let loaded: LoadedEngine | undefined;
  try {
    await serveRequests<Request>(async (req): Promise<LoadReport | RunReport> => {
      if ('load' in req) {
        loaded = engine === 'duckdb' ? await loadDuckDB(csv, dir) : await loadStrata(csv, dir, o);
        return loaded.load;
      }
      const t = performance.now(), c = cpuMs();
      const rows = await loaded!.run(req.query);
      return { ms: performance.now() - t, cpuMs: cpuMs() - c, rows };
    });
  } finally {
    await loaded?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- driver ----

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const best = (xs: number[]): number => Math.min(...xs);
const fmtMs = (ms: number): string => (Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`) : '-');
const fmtBytes = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(1)} MiB` : '-');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');

/** Each engine's runs of one query, round by round, and the rows of its last run. */
interface QueryRuns { ms: number[]; cpuMs: number[]; rows: Row[] }
const noRuns = (): QueryRuns => ({ ms: [], cpuMs: [], rows: [] });

/** Entry point for `npm run bench -- engine ...`. */
export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const csv = lineitemCsv(o.rows, console.log);
  const csvBytes = statSync(csv).size;
  console.log(`lineitem: ${o.rows} rows, CSV ${fmtBytes(csvBytes)}; ${o.runs} rounds after 1 warm-up, engines asked in turn; slices ${o.slices ?? 'default'}; Strata sort key ${o.sortkey ?? 'none'}; DuckDB threads 2`);
  const script = fileURLToPath(import.meta.url);
  type Child = ServedChild<Request, LoadReport | RunReport>;
  const duckChild: Child = await ServedChild.start(script, ['duckdb', csv, JSON.stringify(o)]);
  let strataChild: Child | undefined;
  const workers = await compile();
  process.env.STRATA_WORKER_DIR = workers.dir; // the Strata child inherits it (engine/exec/worker-entry.ts)
  const queries = { Q1, Q6 };
  const runs = { strata: { Q1: noRuns(), Q6: noRuns() }, duck: { Q1: noRuns(), Q6: noRuns() } };
  let duck: LoadReport, strata: LoadReport;
  try {
    duck = await duckChild.request({ load: true }) as LoadReport; // the loads one after the other: each has the machine
    strataChild = await ServedChild.start(script, ['strata', csv, JSON.stringify(o)]);
    strata = await strataChild.request({ load: true }) as LoadReport;
    const children = { strata: strataChild, duck: duckChild };
    for (let round = -1; round < o.runs; round++) { // round -1 is the warm-up
      const order = round % 2 === 0 ? ['strata', 'duck'] as const : ['duck', 'strata'] as const;
      for (const [name, sql] of Object.entries(queries) as ['Q1' | 'Q6', string][]) {
        for (const engine of order) {
          const r = await children[engine].request({ query: sql }) as RunReport;
          const into = runs[engine][name];
          into.rows = r.rows;
          if (round >= 0) { into.ms.push(r.ms); into.cpuMs.push(r.cpuMs); }
        }
      }
    }
  } finally {
    await Promise.all([strataChild?.close(), duckChild.close()]);
    workers.remove();
    delete process.env.STRATA_WORKER_DIR;
  }
  const s = strata, d = duck;
  const rows: string[][] = [['', 'Strata', 'DuckDB', 'Strata/DuckDB']];
  rows.push(['load (COPY)', fmtMs(s.loadMs), fmtMs(d.loadMs), ratio(s.loadMs, d.loadMs)]);
  rows.push(['load CPU', fmtMs(s.loadCpuMs), fmtMs(d.loadCpuMs), ratio(s.loadCpuMs, d.loadCpuMs)]);
  const q = (label: string, sx: number[], dx: number[], f: (x: number[]) => number): void => {
    const a = sx.length ? f(sx) : NaN, b = dx.length ? f(dx) : NaN;
    rows.push([label, fmtMs(a), fmtMs(b), ratio(a, b)]);
  };
  for (const name of ['Q1', 'Q6'] as const) {
    const sr = runs.strata[name], dr = runs.duck[name];
    q(`${name} best`, sr.ms, dr.ms, best);
    q(`${name} median`, sr.ms, dr.ms, median);
    q(`${name} CPU, least`, sr.cpuMs, dr.cpuMs, best);
    const perRound = (s: number[], d: number[]): string => {
      const r = s.map((x, i) => x / d[i]);
      return r.length ? `${median(r).toFixed(2)}x (${best(r).toFixed(2)}-${Math.max(...r).toFixed(2)})` : '-';
    };
    rows.push([`${name} ratio of a round: median (range)`, '', '', perRound(sr.ms, dr.ms)]);
    rows.push([`${name} CPU ratio of a round: median (range)`, '', '', perRound(sr.cpuMs, dr.cpuMs)]);
  }
  rows.push(['peak RSS during load', fmtBytes(s.peakRssBytes), fmtBytes(d.peakRssBytes), ratio(s.peakRssBytes, d.peakRssBytes)]);
  rows.push(['bytes on disk', fmtBytes(s.diskBytes), fmtBytes(d.diskBytes), ratio(s.diskBytes, d.diskBytes)]);
  rows.push(['disk / CSV size', ratio(s.diskBytes, csvBytes), ratio(d.diskBytes, csvBytes), '']);
  console.log('\n' + textTable(rows) + '\n');
  const diffs = [
    ...(s.rowsLoaded !== d.rowsLoaded ? [`row count: Strata ${s.rowsLoaded}, DuckDB ${d.rowsLoaded}`] : []),
    ...compareRows('Q1', runs.strata.Q1.rows, runs.duck.Q1.rows),
    ...compareRows('Q6', runs.strata.Q6.rows, runs.duck.Q6.rows),
  ];
  if (diffs.length) {
    console.log(`ANSWERS DIFFER:\n  ${diffs.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('answers match: Q1 and Q6 sums exact to the last digit, averages within 1e-9 relative');
  }
  console.log('Q1 (DuckDB):');
  for (const r of runs.duck.Q1.rows) console.log('  ' + r.join(' | '));
  console.log(`Q6 (DuckDB): ${runs.duck.Q6.rows[0]?.[0]}`);
}

// Child mode: `bench/engine.ts --child duckdb|strata <csv> <options json>` answers the parent's requests (serveRequests).
if (process.argv[2] === '--child' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const [, , , engine, csv, opts] = process.argv;
  await serveEngine(engine, csv, JSON.parse(opts) as Options);
  process.exit(0);
}
