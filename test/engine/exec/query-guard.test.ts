import { describe, it, expect } from 'vitest';
import { QueryGuard, SliceStop } from '../../../engine/exec/query-guard.ts';

const codeOf = (f: () => void) => { try { f(); return null; } catch (e) { return [(e as { code: string }).code, (e as Error).message]; } };

describe('QueryGuard', () => {
  it('a user cancel (signal) raises the shared flag a slice sees', () => {
    const ac = new AbortController();
    const g = new QueryGuard({ signal: ac.signal });
    const slice = new SliceStop(g.token);
    expect(codeOf(() => slice.check())).toBeNull();
    ac.abort('user');
    expect(codeOf(() => slice.check())).toEqual(['QUERY_CANCELED', 'canceling statement due to user request']);
    expect(codeOf(() => g.check())).toEqual(['QUERY_CANCELED', 'canceling statement due to user request']);
    g.dispose();
  });

  it('the deadline stops a synchronous loop without any timer firing', () => {
    const g = new QueryGuard({ deadline: Date.now() + 50 });
    const t0 = Date.now();
    let err: unknown = null;
    try { for (;;) g.tick(); } catch (e) { err = e; }
    expect((err as { code: string }).code).toBe('QUERY_CANCELED');
    expect((err as Error).message).toMatch(/statement timeout/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(49);
    // and the flag is up for the slices
    expect(codeOf(() => new SliceStop(g.token).check())?.[1]).toMatch(/statement timeout/);
    g.dispose();
  });

  it('dispose stops stragglers; a slice without a token never stops', () => {
    const g = new QueryGuard();
    const s = new SliceStop(g.token);
    g.dispose();
    expect(codeOf(() => s.check())?.[0]).toBe('QUERY_CANCELED');
    expect(codeOf(() => new SliceStop(undefined).check())).toBeNull();
  });

  it('the leader and the slices count into one memory budget', () => {
    const g = new QueryGuard({ memoryLimitBytes: 10 * 1024 * 1024 });
    const s = new SliceStop(g.token);
    s.memory.reserve(6 * 1024 * 1024, 'slice rows');
    expect(g.memory.usedBytes).toBe(6 * 1024 * 1024);
    expect(codeOf(() => g.memory.reserve(5 * 1024 * 1024, 'sort'))).toEqual(['OUT_OF_MEMORY', expect.stringMatching(/memory limit of 10 MB \(sort needed 5\.0 MB more, 11 MB in all\)/)]);
    expect(g.memory.usedBytes).toBe(6 * 1024 * 1024); // the refused reservation is not kept
    g.dispose();
  });
});
