// Statements' long loops on the leader take turns: one turn per round of the event loop in
// total (not one per statement), least-served first, and a stopped statement leaves the queue.
import { describe, it, expect } from 'vitest';
import { LeaderTurns } from '../../../engine/exec/leader-turns.ts';
import { QueryGuard, LEADER_TURN_MS } from '../../../engine/exec/query-guard.ts';

/** Keeps the thread busy for `ms` (a statement's chunk of work). */
const spin = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end); };

describe('leader turns', () => {
  it('with three busy statements, a timer waits for at most one turn between its runs', async () => {
    const guards = [0, 1, 2].map(() => new QueryGuard());
    let chunks = 0, most = 0, sinceTimer = 0, fired = 0;
    let done = false;
    const busy = guards.map(async (g) => {
      for (let i = 0; i < 15; i++) { spin(LEADER_TURN_MS + 1); chunks++; sinceTimer++; await g.pause(); }
    });
    // a client's request: a timer that notes how many statement turns ran since it last ran
    const probe = () => { if (done) return; if (fired++) most = Math.max(most, sinceTimer); sinceTimer = 0; setTimeout(probe, 0); };
    setTimeout(probe, 0);
    await Promise.all(busy);
    done = true;
    guards.forEach((g) => g.dispose());
    expect(chunks).toBe(45);
    expect(fired).toBeGreaterThan(20);
    // each statement yielding on its own ran all three between two timer runs; now it is one
    // (counted from the timer's first run: the three first chunks ran before any statement paused)
    expect(most).toBe(1);
  });

  it('gives the turn to the statement served least so far, first come among equals', async () => {
    const turns = new LeaderTurns();
    const order: string[] = [];
    const a = {}, b = {}, c = {};
    await Promise.all([
      turns.next(a, 100).then(() => order.push('a')),
      turns.next(b, 5).then(() => order.push('b')),
      turns.next(c, 5).then(() => order.push('c')),
    ]);
    expect(order).toEqual(['b', 'c', 'a']);
    expect(turns.queued).toBe(0);
  });

  it('a statement stopped while it waits for its turn fails at once', async () => {
    const hog = new QueryGuard(), victim = new QueryGuard();
    let hogTurns = 0, stopHog = false;
    // a hog that keeps the queue busy, served less than the victim: the victim's turn would not come soon
    const hogLoop = (async () => { while (!stopHog) { spin(LEADER_TURN_MS + 1); hogTurns++; await hog.pause(); } })();
    spin(LEADER_TURN_MS + 300); // the victim has been served more than the hog will be for a while
    const waiting = victim.pause().then(() => 'ran', (e: { code: string }) => e.code);
    setTimeout(() => victim.stop(), 20);
    expect(await waiting).toBe('QUERY_CANCELED');
    stopHog = true;
    await hogLoop;
    expect(hogTurns).toBeGreaterThan(0);
    hog.dispose(); victim.dispose();
  });
});
