// Lowering the calling thread's CPU priority. On Linux the nice value belongs to each thread,
// and a thread's id (from /proc/thread-self) is what setpriority(2) takes, so a worker thread
// can step back behind the leader of its own process: a slice busy with one account's runaway
// join then waits for the leader, rather than the leader (which answers every other client)
// waiting for a core behind it. Elsewhere there is no per-thread nice and this does nothing.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Nice values run from -20 (first) to 19 (last). */
const LOWEST = 19;

/**
 * Makes the calling thread `levels` nice levels lower in priority than it is now (at most to
 * 19). Returns the thread's nice value afterwards, or null where threads have no priority of
 * their own (not Linux) or the system refused.
 */
export function lowerThisThread(levels: number): number | null {
  if (process.platform !== 'linux' || !(levels > 0)) return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    const nice = Math.min(LOWEST, getPriority(tid) + Math.floor(levels));
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return null;
  }
}
