// Server-side cursors for results larger than one page: the rest of a result is kept in memory
// for a while, owned by the caller, and fetched page by page. Bounded in count (oldest dropped).
import { randomBytes } from 'node:crypto';
import type { Result } from '../engine/database.ts';

interface Cursor { owner: string; result: Result; offset: number; expires: number }

/** One page of a result, with the cursor for the next page when rows remain. */
export interface Page extends Result {
  /** rows in the whole result (rowCount is the statement's count) */
  totalRows: number;
  offset: number;
  hasMore: boolean;
  cursor: string | null;
}

export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();

  constructor(private readonly maxCursors = 1000, private readonly ttlMs = 10 * 60_000) {}

  /** The page of `result` from `offset` with up to `limit` rows; opens a cursor if more remain. */
  page(owner: string, result: Result, limit: number, offset = 0, id?: string): Page {
    const rows = result.rows.slice(offset, offset + limit);
    const next = offset + rows.length;
    const hasMore = next < result.rows.length;
    let cursor: string | null = null;
    if (id) this.cursors.delete(id);
    if (hasMore) {
      cursor = id ?? randomBytes(18).toString('base64url');
      this.cursors.set(cursor, { owner, result, offset: next, expires: Date.now() + this.ttlMs });
      this.evict();
    }
    return { command: result.command, rowCount: result.rowCount, columns: result.columns, rows, totalRows: result.rows.length, offset, hasMore, cursor };
  }

  /** The next page of an open cursor, or null if it is unknown, expired or someone else's. */
  fetch(owner: string, id: string, limit: number): Page | null {
    const c = this.take(owner, id);
    return c ? this.page(owner, c.result, limit, c.offset, id) : null;
  }

  /** The whole remaining result of a cursor (for the Arrow download); closes it. */
  rest(owner: string, id: string): Result | null {
    const c = this.take(owner, id);
    if (!c) return null;
    this.cursors.delete(id);
    return { ...c.result, rows: c.result.rows.slice(c.offset) };
  }

  close(owner: string, id: string): boolean {
    return !!this.take(owner, id) && this.cursors.delete(id);
  }

  get size(): number {
    return this.cursors.size;
  }

  private take(owner: string, id: string): Cursor | null {
    const c = this.cursors.get(id);
    if (!c || c.owner !== owner) return null;
    if (c.expires < Date.now()) { this.cursors.delete(id); return null; }
    return c;
  }

  private evict(): void {
    const now = Date.now();
    for (const [k, c] of this.cursors) if (c.expires < now) this.cursors.delete(k);
    while (this.cursors.size > this.maxCursors) this.cursors.delete(this.cursors.keys().next().value!);
  }
}
