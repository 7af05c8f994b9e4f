// `npm run bench -- tpch --scaling [--sf N] [--slices N] [--runs N] [--warmups N] [--queries 3,5]`:
// how much faster N slices (default 2) run each query than 1 slice, and DuckDB with N threads
// than with 1, timed alternately in one run. Strata's two slice counts each query a directory
// loaded at that count (a DISTKEY table is placed over the slices that load it) in a process of
// its own; DuckDB is one process whose thread count is set before each run. For each query, each
// of the four runs --warmups times untimed, then once per round for --runs rounds (default 11),
// the four in turn and the order reversed every other round, so a minute the machine is busy
// slows every one of them rather than one. Prints each one's median and the speed-ups: the ratio
// of the medians, the lowest and highest of the rounds' own ratios, and the ratio of the fastest
// runs. The fastest run is the query's time when nothing else took the cores it ran on; the
// median also counts the machine's other work, which costs a run on two cores more than a run on
// one (it needs both free at once), so on a shared machine the two ratios part.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild, serveRequests, ServedChild, textTable } from '../child.ts';
import { compareRows, type Row } from './compare.ts';
import { TPCH_QUERIES } from './queries.ts';

const tpchScript = fileURLToPath(new URL('../tpch.ts', import.meta.url));
const thisScript = fileURLToPath(import.meta.url);

export interface ScalingOptions { sf: number; slices: number; runs: number; warmups: number; timeoutS: number; queries: number[] }

/** One run of query `n`; DuckDB's child sets `threads` first. The first run of each returns the answer. */
interface RunRequest { n: number; threads?: number; wantRows: boolean }
interface RunAnswer { ms: number; rows?: Row[] }

type Runner = ServedChild<RunRequest, RunAnswer>;
interface Contender { name: string; child: Runner; threads?: number; ms: number[]; rows?: Row[]; error?: string }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmtMs = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** Runs every contender once on query `n`, in `order`; a contender that failed stays failed. */
async function round(n: number, order: Contender[], timed: boolean): Promise<void> {
  for (const c of order) {
    if (c.error) continue;
    try {
      const a = await c.child.request({ n, threads: c.threads, wantRows: c.rows === undefined });
      if (a.rows) c.rows = a.rows;
      if (timed) c.ms.push(a.ms);
    } catch (e) { c.error = (e as Error).message.slice(0, 160); }
  }
}

/**
 * "1.72x (1.51-1.94), best 1.88x": the medians' ratio, the lowest and highest ratio of one round's
 * two runs, then the ratio of the two fastest runs.
 */
function speedUp(one: Contender, many: Contender): string {
  if (one.error || many.error || !one.ms.length) return '-';
  const rounds = one.ms.map((ms, i) => ms / many.ms[i]).sort((a, b) => a - b);
  const best = Math.min(...one.ms) / Math.min(...many.ms);
  return `${(median(one.ms) / median(many.ms)).toFixed(2)}x (${rounds[0].toFixed(2)}-${rounds[rounds.length - 1].toFixed(2)}), best ${best.toFixed(2)}x`;
}

/** Entry point for `npm run bench -- tpch --scaling ...` (`data` is the generated TPC-H directory). */
export async function scaling(data: string, o: ScalingOptions): Promise<void> {
  if (o.slices < 2) throw new Error('--scaling compares 1 slice with --slices N, N at least 2');
  const n = o.slices;
  console.log(`TPC-H SF ${o.sf}: 1 against ${n} slices (Strata) and 1 against ${n} threads (DuckDB), alternately; median of ${o.runs} round(s) after ${o.warmups} warm-up(s)`);
  const dirs = [1, n].map(() => mkdtempSync(join(tmpdir(), 'bench-tpch-scaling-')));
  const children: Runner[] = [];
  try {
    for (const [i, slices] of [1, n].entries()) {
      const { loadMs } = await runChild<{ loadMs: number }>(tpchScript, ['strata-load', data, JSON.stringify({ ...o, slices }), dirs[i]]);
      console.log(`Strata loaded with ${slices} slice(s) in ${fmtMs(loadMs)}`);
    }
    const start = async (args: string[]): Promise<Runner> => { const c = await ServedChild.start<RunRequest, RunAnswer>(thisScript, args); children.push(c); return c; };
    const duck = await start(['duckdb', data, JSON.stringify(o)]);
    const strata1 = await start(['strata', dirs[0], JSON.stringify({ ...o, slices: 1 })]);
    const strataN = await start(['strata', dirs[1], JSON.stringify({ ...o, slices: n })]);
    const table = [['query', 'Strata 1', `Strata ${n}`, 'speed-up (rounds)', 'DuckDB 1', `DuckDB ${n}`, 'speed-up (rounds)', 'answer']];
    for (const q of TPCH_QUERIES.filter((x) => o.queries.includes(x.n))) {
      const all: Contender[] = [
        { name: 'Strata 1', child: strata1, ms: [] }, { name: `Strata ${n}`, child: strataN, ms: [] },
        { name: 'DuckDB 1', child: duck, threads: 1, ms: [] }, { name: `DuckDB ${n}`, child: duck, threads: n, ms: [] },
      ];
      for (let w = 0; w < o.warmups; w++) await round(q.n, all, false);
      for (let r = 0; r < o.runs; r++) await round(q.n, r % 2 ? [...all].reverse() : all, true);
      const [s1, sN, d1, dN] = all;
      const failed = all.find((c) => c.error);
      const answer = failed ? `${failed.name}: ${failed.error}` : [s1, sN].flatMap((s) => compareRows(`Q${q.n} ${s.name}`, s.rows!, dN.rows!))[0] ?? 'same';
      const cell = (c: Contender): string => (c.error || !c.ms.length ? '-' : fmtMs(median(c.ms)));
      table.push([`Q${q.n}`, cell(s1), cell(sN), speedUp(s1, sN), cell(d1), cell(dN), speedUp(d1, dN), answer]);
      process.stderr.write(`  Q${q.n}: Strata ${speedUp(s1, sN)}, DuckDB ${speedUp(d1, dN)}\n`);
    }
    console.log(textTable(table, new Set([0, 7])));
  } finally {
    await Promise.all(children.map((c) => c.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** DuckDB loading `data`, then answering runs at the thread count each asks for. */
async function serveDuckDB(data: string, o: ScalingOptions): Promise<void> {
  const { withLoadedDuckDB, runDuckDB } = await import('./engines.ts');
  await withLoadedDuckDB(data, o.slices, async (con) => {
    let threads = o.slices;
    await serveRequests<RunRequest>(async (req) => {
      if (req.threads !== undefined && req.threads !== threads) { await con.run(`SET threads = ${req.threads}`); threads = req.threads; }
      const q = TPCH_QUERIES.find((x) => x.n === req.n)!;
      const t = performance.now();
      const rows = await runDuckDB(con, q);
      return { ms: performance.now() - t, rows: req.wantRows ? rows : undefined } satisfies RunAnswer;
    });
  });
}

/** Strata over a loaded directory, answering runs. */
async function serveStrata(dir: string, o: ScalingOptions): Promise<void> {
  const { Database } = await import('../../engine/database.ts');
  const { runStrata } = await import('./engines.ts');
  const db = await Database.open({ dataDir: dir, slices: o.slices });
  await db.pool.warmed();
  const session = db.connect();
  await serveRequests<RunRequest>(async (req) => {
    const q = TPCH_QUERIES.find((x) => x.n === req.n)!;
    const t = performance.now();
    const rows = await runStrata(session, q, AbortSignal.timeout(o.timeoutS * 1000));
    return { ms: performance.now() - t, rows: req.wantRows ? rows : undefined } satisfies RunAnswer;
  });
  await session.close();
  await db.close();
}

// Child mode: `bench/tpch/scaling.ts --child duckdb|strata <data or loaded dir> <options json>`, served requests on stdin.
if (process.argv[2] === '--child' && resolve(process.argv[1] ?? '') === thisScript) {
  const [, , , engine, path, opts] = process.argv;
  const o = JSON.parse(opts) as ScalingOptions;
  await (engine === 'duckdb' ? serveDuckDB(path, o) : serveStrata(path, o));
  process.exit(0);
}
