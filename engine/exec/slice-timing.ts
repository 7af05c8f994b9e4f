// When each slice request ran, for EXPLAIN ANALYZE's timeline: where a statement's wall time goes
// between the leader and the slices. A slice reports when its request began and ended (epoch
// milliseconds, comparable across threads), its thread's time on a CPU and waiting in the run
// queue for one meanwhile (Linux's per-thread schedstat; elsewhere unknown), and how long it
// waited for other slices' rows (exchanges). What is left of its span is idle: waiting for a
// peer, or for reads. On a busy machine the run queue shows which time the load took.
import { readFileSync } from 'node:fs';

export interface SliceTiming {
  began: number;
  ended: number;
  /** the thread's time on a CPU and waiting for one during the request (null: not known here) */
  cpuMs: number | null;
  runqMs: number | null;
  /** waiting for other slices' rows or filters */
  peersMs: number;
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
      return `#${s} ${ms(t.began - start)}-${ms(t.ended - start)} ms (${cpu}${ms(t.peersMs)} ms waiting for other slices)`;
    });
    return `Slice request ${i + 1} (${r.what}), sent at ${ms(r.sentAt - start)} ms: ${per.join(', ')}`;
  });
}
