// Server-side cursors for results larger than one page: the rest of a result is kept for a
// while, owned by the caller, and fetched page by page. Bounded three ways: a TTL, a count,
// and a byte budget (estimated size of the kept rows). Over budget, the caller's own oldest
// cursors go first, then everyone's oldest; a result too large to keep at all is refused.
// A streamed result (Result.stream) keeps its rows unformatted, or in files where the slices
// wrote them past the statement's budget, and formats each page as it is read; its bytes in
// memory and on disk count into the budget, and it is closed (files deleted) with its cursor.
import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import type { Result } from '../engine/database.ts';
import { rowsBytes } from '../engine/exec/memory-budget.ts';
import { apiError } from './graphql/errors.ts';

interface Cursor { owner: string; result: Result; offset: number; expires: number; bytes: number }

/** One page of a result, with the cursor for the next page when rows remain. */
export interface Page extends Result {
  /** rows in the whole result (rowCount is the statement's count) */
  totalRows: number;
  offset: number;
  hasMore: boolean;
  cursor: string | null;
}

export interface CursorLimits {
  maxCursors: number;
  ttlMs: number;
  /** estimated bytes all open cursors may hold together */
  budgetBytes: number;
  /** share of the budget one owner (account and user) may hold */
  ownerShare: number;
}

export const DEFAULT_CURSOR_LIMITS: CursorLimits = {
  maxCursors: 1000,
  ttlMs: 10 * 60_000,
  budgetBytes: Math.min(1024 ** 3, Math.floor(totalmem() / 8)),
  ownerShare: 0.5,
};

const MB = 1024 * 1024;

export class CursorStore {
  private readonly cursors = new Map<string, Cursor>();
  private readonly limits: CursorLimits;
  private used = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(limits: Partial<CursorLimits> = {}) {
    this.limits = { ...DEFAULT_CURSOR_LIMITS, ...limits };
    // expired cursors free their memory even when nobody asks for them again
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.limits.ttlMs, 60_000)));
    this.sweeper.unref();
  }

  /** Drops every cursor and stops the expiry sweep (server shutdown). */
  dispose(): void {
    clearInterval(this.sweeper);
    for (const c of this.cursors.values()) c.result.stream?.close();
    this.cursors.clear();
    this.used = 0;
  }

  /** Removes expired cursors. */
  sweep(now = Date.now()): void {
    for (const [k, c] of this.cursors) if (c.expires < now) this.remove(k);
  }

  /** The page of `result` from `offset` with up to `limit` rows; opens a cursor if more remain. */
  page(owner: string, result: Result, limit: number, offset = 0, id?: string): Page {
    const stream = result.stream;
    // a stream is read in order: its next rows are those from `offset`
    const rows = stream ? stream.next(limit) : result.rows.slice(offset, offset + limit);
    const next = offset + rows.length;
    const total = stream ? stream.total : result.rows.length;
    const hasMore = next < total;
    let cursor: string | null = null;
    const old = id ? this.cursors.get(id) : undefined;
    if (id) this.remove(id, false);
    if (hasMore) {
      const bytes = old?.bytes ?? (stream ? stream.heldBytes : rowsBytes(result.rows));
      try {
        this.makeRoom(owner, bytes, total);
      } catch (e) {
        stream?.close();
        throw e;
      }
      cursor = id ?? randomBytes(18).toString('base64url');
      this.cursors.set(cursor, { owner, result, offset: next, expires: Date.now() + this.limits.ttlMs, bytes });
      this.used += bytes;
    }
    return { command: result.command, rowCount: result.rowCount, columns: result.columns, rows, totalRows: total, offset, hasMore, cursor };
  }

  /** The next page of an open cursor, or null if it is unknown, expired or someone else's. */
  fetch(owner: string, id: string, limit: number): Page | null {
    const c = this.take(owner, id);
    return c ? this.page(owner, c.result, limit, c.offset, id) : null;
  }

  /** The whole remaining result of a cursor (for the Arrow download), or its stream; closes the cursor. */
  rest(owner: string, id: string): Result | null {
    const c = this.take(owner, id);
    if (!c) return null;
    this.remove(id, false);
    // a stream goes on where the last page ended (its reader closes it)
    if (c.result.stream) return c.result;
    return { ...c.result, rows: c.result.rows.slice(c.offset) };
  }

  /** The whole result behind an open cursor (it stays open), or null. */
  peek(owner: string, id: string): Result | null {
    return this.take(owner, id)?.result ?? null;
  }

  close(owner: string, id: string): boolean {
    return !!this.take(owner, id) && this.remove(id);
  }

  get size(): number {
    return this.cursors.size;
  }

  /** Estimated bytes the open cursors hold. */
  get bytes(): number {
    return this.used;
  }

  private take(owner: string, id: string): Cursor | null {
    const c = this.cursors.get(id);
    if (!c || c.owner !== owner) return null;
    if (c.expires < Date.now()) { this.remove(id); return null; }
    return c;
  }

  /** Forgets a cursor; `close`: its result is done with (a stream's rest is dropped). */
  private remove(id: string, close = true): boolean {
    const c = this.cursors.get(id);
    if (!c) return false;
    if (close) c.result.stream?.close();
    this.used -= c.bytes;
    return this.cursors.delete(id);
  }

  /**
   * Frees room for a new cursor of `bytes`: expired cursors, then the owner's oldest beyond its
   * share, then the oldest overall. Refuses a result larger than one owner's share.
   */
  private makeRoom(owner: string, bytes: number, rows: number): void {
    const { budgetBytes, ownerShare, maxCursors } = this.limits;
    const ownerCap = Math.floor(budgetBytes * ownerShare);
    if (bytes > ownerCap) {
      throw apiError('LIMIT_EXCEEDED', `the result (${rows} rows, about ${Math.ceil(bytes / MB)} MB) is too large to keep open as a cursor (at most ${Math.floor(ownerCap / MB)} MB); page it in SQL (LIMIT/OFFSET) or download it whole from /arrow`, 413);
    }
    this.sweep();
    let mine = 0;
    for (const c of this.cursors.values()) if (c.owner === owner) mine += c.bytes;
    for (const [k, c] of this.cursors) {
      if (mine + bytes <= ownerCap) break;
      if (c.owner === owner) { mine -= c.bytes; this.remove(k); }
    }
    for (const k of this.cursors.keys()) {
      if (this.used + bytes <= budgetBytes && this.cursors.size < maxCursors) break;
      this.remove(k);
    }
  }
}
