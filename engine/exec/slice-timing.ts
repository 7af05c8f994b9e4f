// When each slice request ran, for EXPLAIN ANALYZE's timeline: where a statement's wall time goes
// between the leader and the slices. A slice reports when its request began and ended (epoch
// milliseconds, comparable across threads), its thread's time on a CPU and waiting in the run
// queue for one meanwhile (Linux's per-thread schedstat; elsewhere unknown), and how long it
// waited for other slices' rows (exchanges). What is left of its span is idle: waiting for a
// peer, or for reads. On a busy machine the run queue shows which time the load took.
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
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
 * Counts this thread's collections as they happen (PerformanceObserver 'gc'). A request reads
 * the totals before and after; statements running at once in the same slice share its counts.
 */
export class GcMeter {
  private readonly total: GcCounts = { minor: 0, major: 0, incremental: 0, pauseMs: 0 };
  private readonly observer = new PerformanceObserver((list) => this.add(list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private add(entries: readonly PerformanceEntry[]): void {
    for (const e of entries) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.total.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.total.major++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) this.total.incremental++;
      this.total.pauseMs += e.duration;
    }
  }

  /** The totals so far, with the entries the observer holds and has not yet been handed. */
  now(): GcCounts {
    this.add(this.observer.takeRecords());
    return { ...this.total };
  }

  /**
   * The totals once the collections so far are in: Node makes a collection's entry in a
   * callback run on the event loop after it, so a reading taken synchronously misses the last ones.
   */
  async settled(): Promise<GcCounts> {
    await new Promise((done) => setImmediate(done));
    return this.now();
  }

  /** What happened between two readings of now(). */
  static since(before: GcCounts, after: GcCounts): GcCounts {
    return { minor: after.minor - before.minor, major: after.major - before.major, incremental: after.incremental - before.incremental, pauseMs: after.pauseMs - before.pauseMs };
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
      return `#${s} ${ms(t.began - start)}-${ms(t.ended - start)} ms (${cpu}${ms(t.peersMs)} ms waiting for other slices${gc}${code})`;
    });
    return `Slice request ${i + 1} (${r.what}), sent at ${ms(r.sentAt - start)} ms: ${per.join(', ')}`;
  });
}
