// GcWatch counts the collections of the thread it runs in (EXPLAIN ANALYZE's per-slice GC figures).
import { describe, expect, it } from 'vitest';
import { GcWatch } from '../../../engine/exec/slice-timing.ts';

describe('GcWatch', () => {
  it('counts the scavenges an allocation set off the moment it stops, with no turn of the event loop; none where nothing was allocated', () => {
    const watch = new GcWatch();
    // short-lived objects until the young generation filled a few times (held in a list for a
    // while, so no optimization can leave them unallocated)
    let keep = 0;
    let held: unknown[] = [];
    for (let i = 0; i < 400_000; i++) {
      held.push([i, { i }]);
      if (held.length === 10_000) { keep += held.length; held = []; }
    }
    const d = watch.stop();
    expect(keep).toBeGreaterThan(0);
    expect(d.minor).toBeGreaterThanOrEqual(1);
    expect(d.pauseMs).toBeGreaterThan(0);
    expect(d.major).toBeGreaterThanOrEqual(0);
    // a stopped watch counts nothing more
    expect(watch.stop()).toEqual({ minor: 0, major: 0, incremental: 0, pauseMs: 0 });
    // no allocation while a watch runs: no collection either
    expect(new GcWatch().stop()).toEqual({ minor: 0, major: 0, incremental: 0, pauseMs: 0 });
  });

  it('two watches at once (two requests in one slice) each count the collections meanwhile', () => {
    const a = new GcWatch(), b = new GcWatch();
    let held: unknown[] = [];
    for (let i = 0; i < 400_000; i++) { held.push({ i }); if (held.length === 10_000) held = []; }
    const fromB = b.stop();
    for (let i = 0; i < 400_000; i++) { held.push({ i }); if (held.length === 10_000) held = []; }
    const fromA = a.stop();
    expect(fromB.minor).toBeGreaterThanOrEqual(1);
    expect(fromA.minor).toBeGreaterThan(fromB.minor);
  });
});
