// `npm run bench -- spread [--sf N] [--slices N] [--queries 3,5] [--warm N] [--runs N] [--dir DIR]`:
// where each run of a TPC-H query spends its wall time, run after run in one process (issue 11:
// why a 2-slice run takes longer than its slices' CPU). Loads TPC-H at scale factor N (default 1)
// into a temporary directory, or reads DIR (loaded before at the same slice count, left as is),
// runs each query --warm times (default 3), then --runs times (default 12) under EXPLAIN ANALYZE,
// whose timeline gives per slice request and slice: its span, CPU, run-queue wait, idle time, the
// wait for the other slices, garbage collections, and when the leader had the result. Per run it
// prints the wall time, the leader's time before the first slice began and after the last result
// came, each slice's figures, and the CPU of the leader's thread and of everything else in the
// process (V8's helper threads: compiles, concurrent marking), then min/median/max over the runs,
// with the load average: on a busy machine the run queue, not the work, sets the wall time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataFor } from './tpch.ts';
import { TPCH_QUERIES } from './tpch/queries.ts';
import { loadStrata } from './tpch/engines.ts';
import { textTable } from './child.ts';

interface Options { sf: number; slices: number; queries: number[]; warm: number; runs: number; dir?: string }

function parseArgs(args: string[]): Options {
  const o: Options = { sf: 1, slices: 2, queries: [3, 5], warm: 3, runs: 12 };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    if (args[i] === '--sf') { o.sf = Number(v); i++; }
    else if (args[i] === '--slices') { o.slices = Number(v); i++; }
    else if (args[i] === '--queries') { o.queries = v.split(',').map(Number); i++; }
    else if (args[i] === '--warm') { o.warm = Number(v); i++; }
    else if (args[i] === '--runs') { o.runs = Number(v); i++; }
    else if (args[i] === '--dir') { o.dir = v; i++; }
    else throw new Error(`unknown argument ${args[i]} (usage: spread [--sf N] [--slices N] [--queries 3,5] [--warm N] [--runs N] [--dir DIR])`);
  }
  if (!(o.sf > 0) || !(o.slices >= 1) || !(o.warm >= 0) || !(o.runs >= 1)) throw new Error('--sf, --slices and --runs must be positive, --warm at least 0');
  if (o.queries.some((n) => !(n >= 1 && n <= 22))) throw new Error('--queries takes numbers 1..22');
  return o;
}

/** One slice's part of a slice request, as EXPLAIN ANALYZE's timeline prints it (ms after the statement began). */
interface SlicePart { began: number; ended: number; seen: number; cpu: number; runq: number; idle: number; peers: number; minor: number; major: number; gcMs: number }
interface RunFigures { wall: number; lead: number; tail: number; slices: SlicePart[]; leaderCpu: number; otherCpu: number }

const SLICE = /#\d+ ([\d.]+)-([\d.]+) ms, at the leader ([\d.]+) ms \((?:on CPU ([\d.]+), waiting for a core ([\d.]+), idle ([\d.]+) ms; )?([\d.]+) ms waiting for other slices; GC (\d+) minor, (\d+) major, ([\d.]+) ms paused/g;

/** The slice parts of every slice request in an EXPLAIN ANALYZE output, and the statement's time. */
export function parseTimeline(lines: string[]): { total: number; requests: SlicePart[][] } {
  const total = Number(/Execution: .* in ([\d.]+) ms/.exec(lines.at(-1) ?? '')?.[1] ?? NaN);
  const requests = lines.filter((l) => l.startsWith('Slice request')).map((l) => [...l.matchAll(SLICE)].map((m) => ({
    began: Number(m[1]), ended: Number(m[2]), seen: Number(m[3]), cpu: Number(m[4] ?? NaN), runq: Number(m[5] ?? NaN), idle: Number(m[6] ?? NaN),
    peers: Number(m[7]), minor: Number(m[8]), major: Number(m[9]), gcMs: Number(m[10]),
  })));
  return { total, requests };
}

/** This thread's CPU time so far (ms; Linux), or NaN. */
function threadCpuMs(): number {
  try { return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; } catch { return NaN; }
}

const stats = (xs: number[]): string => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? `${s[0].toFixed(1)} / ${s[(s.length - 1) >> 1].toFixed(1)} / ${s[s.length - 1].toFixed(1)}` : '-';
};
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

/** Entry point for `npm run bench -- spread ...`. */
export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const { Database } = await import('../engine/database.ts');
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'bench-spread-'));
  try {
    const db = await Database.open({ dataDir: o.dir ?? join(dir, 'db'), slices: o.slices });
    await db.pool.warmed(); // its timeline is the steady state, after the slices' warm-up
    const session = db.connect();
    if (!o.dir) {
      const t = performance.now();
      await loadStrata(session, dataFor(o.sf));
      console.log(`loaded TPC-H SF ${o.sf} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    console.log(`TPC-H SF ${o.sf}, ${o.slices} slice(s): ${o.warm} warm-up run(s), then ${o.runs} run(s) of each query in this process; load average ${load()}`);
    for (const q of TPCH_QUERIES.filter((x) => o.queries.includes(x.n))) {
      // statements before the answer (Q15's view) run once; the answer is what is timed
      for (let i = 0; i < q.answer; i++) await session.execute(q.statements[i]);
      const sql = q.statements[q.answer];
      for (let i = 0; i < o.warm; i++) await session.execute(sql);
      const runs: RunFigures[] = [];
      for (let i = 0; i < o.runs; i++) {
        const cpu0 = process.cpuUsage(), lead0 = threadCpuMs();
        const result = await session.execute(`EXPLAIN ANALYZE ${sql}`);
        const cpu = process.cpuUsage(cpu0), leaderCpu = threadCpuMs() - lead0;
        const { total, requests } = parseTimeline(result[result.length - 1].rows.map((r) => String(r[0])));
        const parts = requests.flat();
        const sliceCpu = parts.reduce((s, p) => s + (Number.isNaN(p.cpu) ? 0 : p.cpu), 0);
        runs.push({
          wall: total,
          lead: parts.length ? Math.min(...parts.map((p) => p.began)) : NaN,
          tail: parts.length ? total - Math.max(...parts.map((p) => p.seen)) : NaN,
          // a statement with several slice requests shows each slice once per request
          slices: requests.length === 1 ? requests[0] : [],
          leaderCpu,
          otherCpu: (cpu.user + cpu.system) / 1000 - leaderCpu - sliceCpu,
        });
      }
      for (let i = q.answer + 1; i < q.statements.length; i++) await session.execute(q.statements[i]);
      const rows = runs.map((r, i) => [
        String(i + 1), r.wall.toFixed(1), r.lead.toFixed(1), r.tail.toFixed(1),
        r.slices.map((p) => `${(p.ended - p.began).toFixed(0)}`).join('/'),
        r.slices.map((p) => p.cpu.toFixed(0)).join('/'),
        r.slices.map((p) => p.runq.toFixed(0)).join('/'),
        r.slices.map((p) => p.peers.toFixed(0)).join('/'),
        r.slices.map((p) => (p.seen - p.ended).toFixed(1)).join('/'),
        r.slices.map((p) => `${p.minor}/${p.major}`).join(' '),
        r.leaderCpu.toFixed(1), r.otherCpu.toFixed(1),
      ]);
      // per slice only for a query that runs as one slice request (else each slice has several parts)
      console.log(`\nQ${q.n} (load average ${load()}); per slice: span, CPU, run queue, waiting for other slices, end to the leader having the result; GCs minor/major`);
      console.log(textTable([['run', 'wall ms', 'lead', 'tail', 'span', 'CPU', 'run queue', 'peers', 'to leader', 'GC', 'leader CPU', 'helpers CPU'], ...rows]));
      const per = (f: (p: SlicePart) => number) => runs.flatMap((r) => r.slices.map(f));
      console.log(`Q${q.n} min / median / max over ${o.runs} runs: wall ${stats(runs.map((r) => r.wall))} ms; lead ${stats(runs.map((r) => r.lead))}; slice CPU ${stats(per((p) => p.cpu))}; run queue ${stats(per((p) => p.runq))}; peers ${stats(per((p) => p.peers))}; helpers CPU ${stats(runs.map((r) => r.otherCpu))}`);
    }
    await session.close();
    await db.close();
  } finally {
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  }
}
