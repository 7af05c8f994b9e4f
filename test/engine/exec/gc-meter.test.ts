// GcMeter counts the collections of the thread it runs in (EXPLAIN ANALYZE's per-slice GC figures).
import { describe, expect, it } from 'vitest';
import { GcMeter } from '../../../engine/exec/slice-timing.ts';

describe('GcMeter', () => {
  it('counts the scavenges an allocation set off, once they are in; none where nothing was allocated', async () => {
    const meter = new GcMeter();
    const before = await meter.settled();
    // short-lived objects until the young generation filled a few times (held in a list for a
    // while, so no optimization can leave them unallocated)
    let keep = 0;
    let held: unknown[] = [];
    for (let i = 0; i < 400_000; i++) {
      held.push([i, { i }]);
      if (held.length === 10_000) { keep += held.length; held = []; }
    }
    const d = GcMeter.since(before, await meter.settled());
    expect(keep).toBeGreaterThan(0);
    expect(d.minor).toBeGreaterThanOrEqual(1);
    expect(d.pauseMs).toBeGreaterThan(0);
    expect(d.major).toBeGreaterThanOrEqual(0);
    // no allocation between two readings: no collection either
    const again = meter.now();
    expect(GcMeter.since(again, meter.now())).toEqual({ minor: 0, major: 0, incremental: 0, pauseMs: 0 });
  });
});
