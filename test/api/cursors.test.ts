import { describe, it, expect, afterEach } from 'vitest';
import { CursorStore } from '../../api/cursors.ts';
import type { Result } from '../../engine/database.ts';

const result = (n: number, width = 10): Result => ({
  command: 'SELECT', rowCount: n, columns: [{ name: 's', type: 'VARCHAR' }],
  rows: Array.from({ length: n }, (_, i) => [String(i).padStart(width, '0')]),
});

let store: CursorStore | null = null;
afterEach(() => { store?.dispose(); store = null; });

describe('CursorStore', () => {
  it('pages through a result and closes at the end', () => {
    store = new CursorStore();
    const p1 = store.page('a', result(5), 2);
    expect(p1.rows).toEqual([['0000000000'], ['0000000001']]);
    expect(p1.hasMore).toBe(true);
    const p2 = store.fetch('a', p1.cursor!, 2)!;
    expect(p2.offset).toBe(2);
    expect(store.fetch('b', p1.cursor!, 2)).toBeNull(); // someone else's
    const p3 = store.fetch('a', p1.cursor!, 2)!;
    expect(p3.rows).toEqual([['0000000004']]);
    expect(p3.cursor).toBeNull();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('expires cursors after the TTL and frees their bytes', async () => {
    store = new CursorStore({ ttlMs: 30 });
    const p = store.page('a', result(100), 1);
    expect(store.bytes).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 60));
    store.sweep();
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
    expect(store.fetch('a', p.cursor!, 1)).toBeNull();
  });

  it('keeps the open cursors within the byte budget: the owner\'s oldest go first', () => {
    const probe = new CursorStore();
    probe.page('x', result(10_000), 1);
    const size = probe.bytes;
    probe.dispose();
    store = new CursorStore({ budgetBytes: size * 4 + 1, ownerShare: 0.5 });
    const b1 = store.page('b', result(10_000), 1);
    const mine = Array.from({ length: 5 }, () => store!.page('a', result(10_000), 1));
    expect(store.bytes).toBeLessThanOrEqual(size * 4 + 1);
    // a may hold two (half the budget); its older ones were dropped, b's was not
    expect(mine.map((p) => store!.fetch('a', p.cursor!, 0) !== null)).toEqual([false, false, false, true, true]);
    expect(store.fetch('b', b1.cursor!, 0)).not.toBeNull();
  });

  it('refuses a result too large to keep, with a clear error', () => {
    store = new CursorStore({ budgetBytes: 100_000 });
    try {
      store.page('a', result(100_000), 1);
      expect.unreachable();
    } catch (e) {
      expect((e as { extensions: { code: string } }).extensions.code).toBe('LIMIT_EXCEEDED');
      expect((e as Error).message).toMatch(/100000 rows.*too large to keep open as a cursor.*\/arrow/);
    }
    expect(store.size).toBe(0);
    // a result that fits in one page needs no cursor at all
    expect(store.page('a', result(100_000), 100_000).cursor).toBeNull();
  });

  it('bounds the number of cursors', () => {
    store = new CursorStore({ maxCursors: 3 });
    for (let i = 0; i < 10; i++) store.page(`o${i}`, result(3), 1);
    expect(store.size).toBe(3);
  });
});
