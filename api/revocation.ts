// Long-lived requests (SSE subscriptions) outlive the authentication of their first request:
// after every commit, each one's principal is checked again and its stream ends as soon as the
// token is revoked or its user or account dropped.
import type { CommitEvent, Database } from '../engine/database.ts';
import { stillValid, type Principal } from './tokens.ts';

export class RevocationWatch {
  private readonly live = new Map<AbortController, Principal>();
  private readonly detach: () => void;

  constructor(db: Database) {
    const onCommit = (e: CommitEvent) => {
      for (const [c, p] of this.live) {
        if (!stillValid(e.state, p)) { this.live.delete(c); c.abort(new Error('token revoked')); }
      }
    };
    db.events.on('commit', onCommit);
    this.detach = () => db.events.off('commit', onCommit);
  }

  /** A signal that aborts with `parent` or when `principal` stops being valid. */
  signal(principal: Principal, parent: AbortSignal): AbortSignal {
    const c = new AbortController();
    this.live.set(c, principal);
    parent.addEventListener('abort', () => this.live.delete(c), { once: true });
    return AbortSignal.any([parent, c.signal]);
  }

  /** Number of watched requests (tests check that ended streams are forgotten). */
  get size(): number {
    return this.live.size;
  }

  close(): void {
    this.detach();
    this.live.clear();
  }
}
