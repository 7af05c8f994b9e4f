// Cancelling a statement mid-work on any machine: on an event it causes (a temp file appearing),
// never after a fixed delay, which a faster machine outlives.
import { expect } from 'vitest';
import type { Session } from '../../engine/database.ts';

/** Runs `sql` and aborts it once `ready()` says so (checked every millisecond); it must fail with QUERY_CANCELED. */
export async function canceledWhen(s: Session, sql: string, ready: () => boolean, stream = false): Promise<void> {
  const ac = new AbortController();
  const watch = setInterval(() => { if (ready()) { clearInterval(watch); ac.abort(); } }, 1);
  try {
    await expect(s.execute(sql, { stream, signal: ac.signal })).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
  } finally {
    clearInterval(watch);
  }
}
