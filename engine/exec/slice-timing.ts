// When each slice request ran, for EXPLAIN ANALYZE's timeline: where a statement's wall time goes
// between the leader and the slices. A slice reports when its request began and ended (epoch
// milliseconds, comparable across threads), its thread's time on a CPU and waiting in the run
// queue for one meanwhile (Linux's per-thread schedstat; elsewhere unknown), and how long it
// waited for other slices' rows (exchanges). What is left of its span is idle: waiting for a
// peer, or for reads. On a busy machine the run queue shows which time the load took.
import { readFileSync } from 'node:fs';
import { GCProfiler } from 'node:v8';
import type { CodeCacheCounts } from './code-cache.ts';

export interface SliceTiming {
  began: number;
  ended: number;
  /** the thread's time on a CPU and waiting for one during the request (null: not known here) */
  cpuMs: number | null;
  runqMs: number | null;
  /** waiting for other slices' rows or filters */
  peersMs: number;
  /** this thread's garbage collections during the request (absent: not counted) */
  gc?: GcCounts;
  /** generated functions this thread compiled during the request: none when every kernel was cached (code-cache.ts) */
  code?: CodeCounts;
  /** when the leader had the result (epoch ms; set by the leader): after `ended`, the time the result took to reach it */
  seen?: number;
}

/** Generated functions compiled (not in the isolate's code cache) and reused (found there). */
export interface CodeCounts { compiled: number; reused: number }

/** The code cache's work between two readings of its counts (statements running at once in a slice share them). */
export function codeSince(before: CodeCacheCounts, after: CodeCacheCounts): CodeCounts {
  return { compiled: after.compiled - before.compiled, reused: after.reused - before.reused };
}

/**
 * Collections of one isolate: scavenges of the young generation, full mark-compacts (their
 * incremental marking steps counted apart), and the time they stopped the thread. Marking and
 * sweeping done on V8's helper threads is not in `pauseMs`: it shows as CPU time of the
 * process beside the slices'.
 */
export interface GcCounts { minor: number; major: number; incremental: number; pauseMs: number }

/**
 * Counts this thread's collections from its start to `stop()` (one slice request; requests
 * running at once in a slice each count every collection meanwhile). V8 reports each collection
 * to the watch as it ends (v8.GCProfiler), so the counts are whole the moment the request ends:
 * a PerformanceObserver's entries arrive a turn of the event loop later, and waiting for that
 * turn before sending the result let a garbage collection task V8 had queued run first (up to
 * 8 ms at SF 1) while the leader waited for the slice.
 */
export class GcWatch {
  private readonly profiler = new GCProfiler();
  private stopped = false;

  constructor() {
    this.profiler.start();
  }

  /** The collections since the watch started; it records nothing after this (call it once, also on failure). */
  stop(): GcCounts {
    const counts: GcCounts = { minor: 0, major: 0, incremental: 0, pauseMs: 0 };
    if (this.stopped) return counts;
    this.stopped = true;
    for (const e of this.profiler.stop()?.statistics ?? []) {
      if (e.gcType === 'Scavenge' || e.gcType.startsWith('Minor')) counts.minor++;
      else if (e.gcType === 'MarkSweepCompact') counts.major++;
      else if (e.gcType === 'IncrementalMarking') counts.incremental++;
      counts.pauseMs += e.cost / 1000; // microseconds
    }
    return counts;
  }
}

/** Milliseconds since the epoch, in a form every thread of the process agrees on. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** This thread's time on a CPU and in the run queue so far (ms), or null off Linux. */
export function threadTimes(): { cpu: number; runq: number } | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { cpu: Number(run) / 1e6, runq: Number(wait) / 1e6 };
  } catch {
    return null;
  }
}

/** One slice request of a statement: what it ran, when the leader sent it, and each slice's timing. */
export interface SliceRequestTiming { what: string; sentAt: number; slices: (SliceTiming | undefined)[] }

const ms = (x: number) => x.toFixed(1);

/** EXPLAIN ANALYZE's lines for the slice requests of a run that started at `start` (epoch ms). */
export function timelineLines(requests: SliceRequestTiming[], start: number): string[] {
  return requests.map((r, i) => {
    const per = r.slices.map((t, s) => {
      if (!t) return `#${s} ?`;
      const span = t.ended - t.began;
      const cpu = t.cpuMs === null || t.runqMs === null ? ''
        : `on CPU ${ms(t.cpuMs)}, waiting for a core ${ms(t.runqMs)}, idle ${ms(Math.max(0, span - t.cpuMs - t.runqMs))} ms; `;
      // waiting for a peer is idle time, or run-queue time once its rows came and the thread waits for a core
      const gc = t.gc ? `; GC ${t.gc.minor} minor, ${t.gc.major} major, ${ms(t.gc.pauseMs)} ms paused` : '';
      const code = t.code ? `; ${t.code.compiled} kernels compiled` : '';
      // what came after the slice ended: the result on its way, and the leader's thread waking up (a busy machine's run queue)
      const seen = t.seen === undefined ? '' : `, at the leader ${ms(t.seen - start)} ms`;
      return `#${s} ${ms(t.began - start)}-${ms(t.ended - start)} ms${seen} (${cpu}${ms(t.peersMs)} ms waiting for other slices${gc}${code})`;
    });
    return `Slice request ${i + 1} (${r.what}), sent at ${ms(r.sentAt - start)} ms: ${per.join(', ')}`;
  });
}
