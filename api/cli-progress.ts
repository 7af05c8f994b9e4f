// Training progress for the one-shot CLI: 'model' events drawn as a progress bar on a terminal,
// or as plain lines (one per candidate and state change) when stderr is a file or a pipe.
import type { EventEmitter } from 'node:events';
import type { ModelEvent } from './events.ts';

/** The session setting that makes CREATE MODEL wait for its training (ml/sql/create.ts). */
export const WAIT_FOR_TRAINING = 'ml_wait_for_training';

/** Starts showing model progress on `out`; returns the function that stops it. */
export function showModelProgress(db: { events: EventEmitter }, out: NodeJS.WriteStream): () => void {
  const tty = out.isTTY === true;
  let drawn = false;
  const on = (e: ModelEvent & { progress?: number }) => {
    const text = `model ${e.model}: ${e.state}${e.message ? ` ${e.message}` : ''}`;
    if (!tty) {
      if (e.epoch === undefined) out.write(`${text}\n`);
      return;
    }
    if (e.state === 'TRAINING') {
      const width = 24, p = Math.max(0, Math.min(1, e.progress ?? 0)), fill = Math.round(p * width);
      const line = `${e.model} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.round(p * 100)).padStart(3)}% ${e.message ?? ''}`;
      out.write(`\r\x1b[K${line.slice(0, (out.columns ?? 100) - 1)}`);
      drawn = true;
      return;
    }
    out.write(`${drawn ? '\r\x1b[K' : ''}${text}\n`);
    drawn = false;
  };
  db.events.on('model', on);
  return () => {
    db.events.off('model', on);
    if (drawn) out.write('\n');
  };
}
