// The leader's handle on the slice workers: one worker thread per slice, request/response by id.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { SqlError, asSqlError } from '../errors.ts';

/** The compiled worker in a dist/ build; from TypeScript sources, an entry that registers tsx first. */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.js') ? './slice-worker.js' : './slice-worker-entry.mjs', import.meta.url);

interface Pending { resolve: (v: unknown) => void; reject: (e: unknown) => void }

/**
 * N slice workers over one data directory. They start at once, or with `lazy` each with its
 * first request, so a short-lived process (the one-shot CLI) whose statements touch no table
 * data (`SELECT 1`, DDL) never pays for starting threads.
 */
export class SlicePool {
  private workers: (Worker | undefined)[];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly cacheBytes: number;

  constructor(readonly dataDir: string, readonly size: number = availableParallelism(), lazy = false) {
    this.cacheBytes = Number(process.env.STRATA_CACHE_BYTES ?? 4 * 1024 ** 3) / size;
    this.workers = new Array(size).fill(undefined);
    if (!lazy) for (let s = 0; s < size; s++) this.worker(s);
  }

  private worker(slice: number): Worker {
    const running = this.workers[slice];
    if (running) return running;
    const w = new Worker(WORKER_ENTRY, { workerData: { dataDir: this.dataDir, slice, cacheBytes: this.cacheBytes } });
    w.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: { code: never; message: string; reason?: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(asSqlError({ name: 'SqlError', ...m.error }), m.error?.reason ? { reason: m.error.reason } : {}));
    });
    w.on('error', (e) => this.failAll(e));
    w.unref();
    this.workers[slice] = w;
    return w;
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
      const w = this.worker(slice);
      w.ref();
      w.postMessage({ id, msg }, transfer);
    }).finally(() => { if (![...this.pending.keys()].length) for (const w of this.workers) w?.unref(); });
  }

  /** The same request to every slice. */
  all<T>(msg: (slice: number) => unknown): Promise<T[]> {
    return Promise.all(this.workers.map((_, s) => this.call<T>(s, msg(s))));
  }

  /** A request for the slices whose worker is running (cache upkeep: a worker not started has no cache). */
  started<T>(msg: (slice: number) => unknown): Promise<T[]> {
    return Promise.all(this.workers.flatMap((w, s) => (w ? [this.call<T>(s, msg(s))] : [])));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w?.terminate()));
  }
}
