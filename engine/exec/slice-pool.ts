// The leader's handle on the slice workers: one worker thread per slice, request/response by id.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { SqlError, asSqlError } from '../errors.ts';

interface Pending { resolve: (v: unknown) => void; reject: (e: unknown) => void }

/** N slice workers over one data directory. */
export class SlicePool {
  private workers: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(readonly dataDir: string, readonly size: number = availableParallelism()) {
    const cacheBytes = Number(process.env.STRATA_CACHE_BYTES ?? 4 * 1024 ** 3) / size;
    for (let slice = 0; slice < size; slice++) {
      const w = new Worker(new URL('./slice-worker-entry.mjs', import.meta.url), { workerData: { dataDir, slice, cacheBytes } });
      w.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: { code: never; message: string } }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(asSqlError({ name: 'SqlError', ...m.error }));
      });
      w.on('error', (e) => this.failAll(e));
      w.unref();
      this.workers.push(w);
    }
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(new SqlError('INTERNAL_ERROR', `slice worker failed: ${e instanceof Error ? e.message : e}`));
    this.pending.clear();
  }

  /** Sends one request to one slice and resolves with its result. */
  call<T>(slice: number, msg: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new SqlError('INTERNAL_ERROR', 'database is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[slice].ref();
      this.workers[slice].postMessage({ id, msg }, transfer);
    }).finally(() => { if (![...this.pending.keys()].length) for (const w of this.workers) w.unref(); });
  }

  /** The same request to every slice. */
  all<T>(msg: (slice: number) => unknown): Promise<T[]> {
    return Promise.all(this.workers.map((_, s) => this.call<T>(s, msg(s))));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
