// `npm run bench -- tpch [--sf N] [--slices N] [--runs N] [--warmups N] [--timeout S] [--queries 1,3,5] [--load-apart] [--memory-limit SIZE] [--scaling]`:
// generates TPC-H at scale factor N (cached in bench/data/), loads it into Strata and DuckDB
// (threads = slices, default 2) and runs the 22 queries in both, each engine in its own child
// process. Prints per-query times (best of --runs after --warmups untimed runs, default 1), the Strata/DuckDB ratio,
// each engine's user CPU time in that run, Strata's peak RSS during each query, whether the answers agree, and the geometric mean. With
// --load-apart Strata loads in a process of its own and the queries run in a fresh one, so the
// peak RSS is the queries' own, not what loading left in the heap (times then include a colder
// process: one warm-up run does not finish every query's compilation, at 2 slices least of all, as
// each slice's isolate compiles its own code while V8's compiler threads share the cores; --warmups 3
// times the steady state). --memory-limit runs Strata's
// queries with `SET query_memory_limit = SIZE` (e.g. 2MB: the operators over it spill to disk).
// --scaling times 1 slice against N instead, and DuckDB's 1 thread against N (tpch/scaling.ts).
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTpch } from './tpch/generate.ts';
import { TPCH_QUERIES, type TpchQuery } from './tpch/queries.ts';
import { compareRows, type Row } from './tpch/compare.ts';
import { peakRss, runChild, textTable } from './child.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Options { sf: number; slices: number; runs: number; warmups: number; timeoutS: number; queries: number[]; loadApart?: boolean; memoryLimit?: string; scaling?: boolean }

interface QueryReport { n: number; ms: number | null; error?: string; peakRssBytes: number; rows: Row[]; userMs?: number | null }
interface EngineReport { engine: string; loadMs: number; queries: QueryReport[]; warmupMs?: number }

function parseArgs(args: string[]): Options {
  const o: Options = { sf: 0.1, slices: 2, runs: 0, warmups: 1, timeoutS: 300, queries: TPCH_QUERIES.map((q) => q.n) };
  let runs: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === '--sf') { o.sf = Number(v); i++; }
    else if (args[i] === '--slices') { o.slices = Number(v); i++; }
    else if (args[i] === '--runs') { runs = Number(v); i++; }
    else if (args[i] === '--warmups') { o.warmups = Number(v); i++; }
    else if (args[i] === '--timeout') { o.timeoutS = Number(v); i++; }
    else if (args[i] === '--queries') { o.queries = v.split(',').map(Number); i++; }
    else if (args[i] === '--load-apart') o.loadApart = true;
    else if (args[i] === '--memory-limit') { o.memoryLimit = v; i++; }
    else if (args[i] === '--scaling') o.scaling = true;
    else throw new Error(`unknown argument ${args[i]} (usage: tpch [--sf N] [--slices N] [--runs N] [--warmups N] [--timeout S] [--queries 1,2] [--load-apart] [--memory-limit SIZE] [--scaling])`);
  }
  // a speed-up is a ratio of two noisy times: --scaling takes the median of 11 rounds unless told
  o.runs = runs ?? (o.scaling ? 11 : 1);
  if (o.scaling && (o.loadApart || o.memoryLimit)) throw new Error('--scaling loads apart already and takes no --memory-limit');
  if (!(o.sf > 0)) throw new Error('--sf must be positive');
  if (!(Number.isInteger(o.warmups) && o.warmups >= 0)) throw new Error('--warmups takes a whole number, 0 or more');
  if (o.queries.some((n) => !(n >= 1 && n <= 22))) throw new Error('--queries takes numbers 1..22');
  return o;
}

/** The data directory for a scale factor, generated once and reused. */
export function dataFor(sf: number): string {
  const dir = join(root, 'bench', 'data', `tpch-sf${sf}`);
  if (existsSync(join(dir, 'DONE'))) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  const t = performance.now();
  generateTpch(sf, tmp);
  writeFileSync(join(tmp, 'DONE'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  console.log(`generated TPC-H SF ${sf} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return dir;
}

/** Resets this process's peak RSS (Linux), so each query's peak is its own. */
function resetPeak(): void {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: peaks accumulate */ }
}
async function timeQueries(o: Options, run: (q: TpchQuery, signal: AbortSignal) => Promise<Row[]>): Promise<QueryReport[]> {
  const out: QueryReport[] = [];
  for (const q of TPCH_QUERIES.filter((x) => o.queries.includes(x.n))) {
    resetPeak();
    let ms: number | null = null, userMs: number | null = null, rows: Row[] = [], error: string | undefined;
    try {
      // the first --warmups runs warm caches and compile, untimed (with --runs 0, one run, timed)
      const timedFrom = o.runs === 0 ? 0 : o.warmups;
      for (let i = 0; i < timedFrom + Math.max(1, o.runs); i++) {
        const t = performance.now();
        // user CPU time of the whole process (every thread): a busy machine distorts it less than wall time
        const cpu = process.cpuUsage();
        rows = await run(q, AbortSignal.timeout(o.timeoutS * 1000));
        const took = performance.now() - t;
        const user = process.cpuUsage(cpu).user / 1000;
        if (i >= timedFrom && (ms === null || took < ms)) { ms = took; userMs = user; }
        if (took > o.timeoutS * 1000 / 2) { if (ms === null) { ms = took; userMs = user; } break; } // slow: one run is enough
      }
    } catch (e) { error = (e as Error).message.split('\n')[0].slice(0, 160); ms = null; }
    out.push({ n: q.n, ms, userMs, error, peakRssBytes: peakRss(), rows });
    // progress on stderr, so a long run shows where it is
    process.stderr.write(`  Q${q.n}: ${error ? `error: ${error}` : `${ms!.toFixed(0)} ms, ${rows.length} rows`}\n`);
  }
  return out;
}

async function runDuckDBChild(data: string, o: Options): Promise<EngineReport> {
  const { withLoadedDuckDB, runDuckDB } = await import('./tpch/engines.ts');
  return withLoadedDuckDB(data, o.slices, async (con, loadMs) =>
    ({ engine: 'DuckDB', loadMs, queries: await timeQueries(o, (q) => runDuckDB(con, q)) }));
}

/** Loads the data into a new Strata directory `dir` (its own process: what loading leaves in the heap is not the queries' RSS). */
async function loadStrataChild(data: string, dir: string, o: Options): Promise<{ loadMs: number }> {
  const { Database } = await import('../engine/database.ts');
  const { loadStrata } = await import('./tpch/engines.ts');
  const db = await Database.open({ dataDir: dir, slices: o.slices });
  await db.pool.warmed(); // the load is timed apart from the slices' warm-up, as the queries are
  const session = db.connect();
  const t = performance.now();
  await loadStrata(session, data);
  const loadMs = performance.now() - t;
  await session.close();
  await db.close();
  return { loadMs };
}

/** Loads `data` into a new directory and runs the queries, or with `loaded`, runs them over the directory `data`. */
async function runStrataChild(data: string, o: Options, loaded = false): Promise<EngineReport> {
  const { Database } = await import('../engine/database.ts');
  const { loadStrata, runStrata } = await import('./tpch/engines.ts');
  const dir = loaded ? data : mkdtempSync(join(tmpdir(), 'bench-tpch-strata-'));
  try {
    const opened = performance.now();
    const db = await Database.open({ dataDir: dir, slices: o.slices });
    // the slices warm their code once as they start (slice-warmup.ts): the steady state is timed
    // after that, not beside it, and what the warm-up took is reported on a line of its own
    await db.pool.warmed();
    const warmupMs = performance.now() - opened;
    const session = db.connect();
    const t = performance.now();
    if (!loaded) await loadStrata(session, data);
    const loadMs = performance.now() - t;
    if (o.memoryLimit) await session.execute(`SET query_memory_limit = '${o.memoryLimit.replace(/'/g, '')}'`);
    const queries = await timeQueries(o, (q, signal) => runStrata(session, q, signal));
    await session.close();
    await db.close();
    return { engine: 'Strata', loadMs, queries, warmupMs };
  } finally {
    if (!loaded) rmSync(dir, { recursive: true, force: true });
  }
}

const runEngine = (engine: string, data: string, o: Options): Promise<EngineReport> =>
  runChild<EngineReport>(fileURLToPath(import.meta.url), [engine, data, JSON.stringify(o)]);

/** Strata loading in one child and querying in another (--load-apart). */
async function loadApart(data: string, o: Options): Promise<EngineReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tpch-strata-'));
  try {
    const { loadMs } = await runChild<{ loadMs: number }>(fileURLToPath(import.meta.url), ['strata-load', data, JSON.stringify(o), dir]);
    return { ...await runEngine('strata-loaded', dir, o), loadMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmtMs = (ms: number | null): string => (ms === null ? '-' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const fmtMiB = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

/** Entry point for `npm run bench -- tpch ...`. */
export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const data = dataFor(o.sf);
  if (o.scaling) return (await import('./tpch/scaling.ts')).scaling(data, o);
  console.log(`TPC-H SF ${o.sf}: Strata with ${o.slices} slices, DuckDB with ${o.slices} threads; best of ${o.runs} run(s) after ${o.warmups} warm-up(s); timeout ${o.timeoutS} s${o.memoryLimit ? `; Strata's query_memory_limit ${o.memoryLimit}` : ''}`);
  console.log('DuckDB:');
  const duck = await runEngine('duckdb', data, o);
  console.log('Strata:');
  const strata = o.loadApart ? await loadApart(data, o) : await runEngine('strata', data, o);
  const rows: string[][] = [['query', 'Strata', 'DuckDB', 'ratio', 'Strata user CPU', 'DuckDB user CPU', 'Strata peak RSS', 'answer']];
  const logs: number[] = [];
  for (const d of duck.queries) {
    const s = strata.queries.find((x) => x.n === d.n)!;
    const same = s.error ? `error: ${s.error}` : d.error ? `DuckDB error: ${d.error}` : (compareRows(`Q${d.n}`, s.rows, d.rows)[0] ?? 'same');
    const ratio = s.ms !== null && d.ms !== null ? s.ms / d.ms : null;
    if (ratio !== null) logs.push(Math.log(ratio));
    rows.push([`Q${d.n}`, fmtMs(s.ms), fmtMs(d.ms), ratio === null ? '-' : `${ratio.toFixed(1)}x`, fmtMs(s.userMs ?? null), fmtMs(d.userMs ?? null), fmtMiB(s.peakRssBytes), same]);
  }
  rows.push(['load', fmtMs(strata.loadMs), fmtMs(duck.loadMs), `${(strata.loadMs / duck.loadMs).toFixed(1)}x`, '', '', '', '']);
  // opening the directory and the slices' warm-up, before the queries' first run (DuckDB has none)
  if (strata.warmupMs !== undefined) rows.push(['open+warm-up', fmtMs(strata.warmupMs), '', '', '', '', '', '']);
  console.log(textTable(rows, new Set([0, 7])));
  if (logs.length) console.log(`geometric mean of ratios over ${logs.length} queries: ${Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length).toFixed(2)}x`);
}

// Child mode: `bench/tpch.ts --child duckdb|strata|strata-load|strata-loaded <data> <options json> [strata dir]`
// prints one JSON line (strata-load loads <data> into [strata dir]; strata-loaded queries a loaded <data> dir).
if (process.argv[2] === '--child' && resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const [, , , engine, data, opts, dir] = process.argv;
  const o = JSON.parse(opts) as Options;
  const report = engine === 'duckdb' ? await runDuckDBChild(data, o) : engine === 'strata-load' ? await loadStrataChild(data, dir, o) : await runStrataChild(data, o, engine === 'strata-loaded');
  // exit once the report is flushed: a pipe writes asynchronously, and SF 1 answers run to megabytes
  process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(0));
}
