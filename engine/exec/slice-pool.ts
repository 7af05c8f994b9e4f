// The leader's handle on the slice workers: one worker thread per slice, request/response by id.
import { MessageChannel, Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { SqlError, asSqlError } from '../errors.ts';
import { newSharedCache, type SharedCache } from './column-cache.ts';
import { workerEntry } from './worker-entry.ts';
import './detach-once.ts';

interface Pending { slice: number; resolve: (v: unknown) => void; reject: (e: unknown) => void }

const MB = 1024 * 1024;

/** How far (%) V8 lets a heap grow past its live size before the next full collection. */
const HEAP_GROWING_PERCENT = 50;

/**
 * The old generation (MB) a slice worker's V8 heap starts out allowed before its first full
 * collection. V8 sizes a new heap's limits for a small program: a slice holds ~15 MB of objects,
 * so its limit sat near 40 MB, and the typed arrays a query keeps across batches (join outputs,
 * build tables, rows on their way through an exchange: 15-120 MB per slice per TPC-H query at
 * SF 1) count towards it once they outlive a scavenge. Each query then set off one to four full
 * mark-compacts per slice, whose marking runs on V8's helper threads: with two slices on two
 * cores they take CPU from the slices (Q9 at SF 1: ~175 ms of helper threads a run). From 128 MB
 * a full collection comes every few queries (Q3, Q5) or once a query (Q9), and the helper threads
 * take about half as much. Under a memory limit it is a quarter of the worker's heap cap, so
 * garbage waiting for a collection stays a small part of the limit.
 */
export function sliceHeapStartMb(heapMb: number | undefined): number {
  return heapMb ? Math.min(128, Math.floor(heapMb / 4)) : 128;
}

/**
 * N slice workers over one data directory. They start at once, or with `lazy` each with its
 * first request, so a short-lived process (the one-shot CLI) whose statements touch no table
 * data (`SELECT 1`, DDL) never pays for starting threads. Under a process memory limit each
 * worker's heap is capped (a worker past it dies and is started again at the next request,
 * failing only the statements it was running) and the buffer caches together take at most a
 * quarter of the limit. With `niceness` each worker lowers its own CPU priority that many nice
 * levels below the leader's (Linux), so on a busy machine the leader's event loop, which answers
 * every client, gets a core before a slice computing one statement does.
 */
export class SlicePool {
  private workers: (Worker | undefined)[];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** the slices' column caches: one process-wide budget and counter (column-cache.ts) */
  readonly cache: SharedCache;
  /** whether each worker warms its shared code as it starts (slice-warmup.ts); STRATA_SLICE_WARMUP=0 turns it off */
  private readonly warm: boolean;
  /** each worker's V8 heap limit (MB), from the process memory limit */
  private readonly heapMb: number | undefined;

  constructor(readonly dataDir: string, readonly size: number = availableParallelism(), lazy = false, memoryLimitBytes?: number, private readonly niceness = 0) {
    // 1 GiB by default: TPC-H SF 1's 22 queries touch ~1.5 GiB of decoded columns, which cached
    // whole pushed the process past 2 GB; every query's own columns still fit, so a repeat stays warm
    const set = process.env.STRATA_CACHE_BYTES ? Number(process.env.STRATA_CACHE_BYTES) : NaN;
    const cache = Number.isFinite(set) && set >= 0 ? set : 1024 ** 3;
    // one budget for every slice's cache together; past 3/4 of the memory limit the caches give columns back
    this.cache = newSharedCache(size, memoryLimitBytes ? Math.min(cache, memoryLimitBytes / 4) : cache, memoryLimitBytes ? memoryLimitBytes * 0.75 : 0);
    this.heapMb = memoryLimitBytes ? Math.max(256, Math.floor(memoryLimitBytes / 2 / size / MB)) : undefined;
    this.workers = new Array(size).fill(undefined);
    // a lazy pool's process is short-lived (the one-shot CLI): warming would outlast its statements
    this.warm = !lazy && process.env.STRATA_SLICE_WARMUP !== '0';
    if (!lazy) for (let s = 0; s < size; s++) this.worker(s);
  }

  private worker(slice: number): Worker {
    const running = this.workers[slice];
    if (running) return running;
    Atomics.store(this.cache.counters, slice, 0); // a restarted worker starts with an empty cache
    // V8 reads this flag once, as it makes an isolate's heap: it sets the new worker's start and
    // no running heap's (there is no Worker option for it; `resourceLimits` only caps the sizes)
    setFlagsFromString(`--initial-old-space-size=${sliceHeapStartMb(this.heapMb)}`);
    // After each full collection V8 sets the next limit at the live heap times a factor it picks
    // from how fast it collects; fast collections give ~1.1, so a slice holding its cached
    // columns' objects (~120 MB at SF 1) ran a full collection on every query's few MB of
    // garbage, marking on helper threads the other slice needed (Q3 at SF 1, 2 slices: median
    // CPU 227 -> 88 ms a run). 1.5 (every isolate's, read at each collection) lets garbage reach
    // half the live heap first; the heap cap under a memory limit still bounds it.
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    const w = new Worker(workerEntry(import.meta.url, 'slice-worker.js', 'slice-worker-entry.mjs'), {
      workerData: { dataDir: this.dataDir, slice, cache: this.cache, niceness: this.niceness, warm: this.warm },
      ...(this.heapMb ? { resourceLimits: { maxOldGenerationSizeMb: this.heapMb } } : {}),
    });
    w.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: { code: never; message: string; reason?: string } }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(asSqlError({ name: 'SqlError', ...m.error }), m.error?.reason ? { reason: m.error.reason } : {}));
    });
    w.on('error', (e) => this.fail(slice, e));
    // a worker that died (out of memory, a crash) is started afresh by the next request
    w.on('exit', () => {
      if (this.workers[slice] === w) this.workers[slice] = undefined;
      this.fail(slice, new Error('the worker exited'));
    });
    w.unref();
    this.workers[slice] = w;
    this.connectPeers(slice, w);
    return w;
  }

  /**
   * A direct line (MessageChannel) between a new worker and every running one, over which
   * slices redistribute rows to each other (slice-peers.ts); a restarted worker's lines
   * replace its old ones.
   */
  private connectPeers(slice: number, w: Worker): void {
    this.workers.forEach((other, s) => {
      if (!other || s === slice) return;
      const { port1, port2 } = new MessageChannel();
      w.postMessage({ peer: s, port: port1 }, [port1]);
      other.postMessage({ peer: slice, port: port2 }, [port2]);
    });
  }

  /** Requests sent to the slices and not yet answered. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** Starts every worker (before a request whose slices talk to each other). */
  startAll(): void {
    for (let s = 0; s < this.size; s++) this.worker(s);
  }

  /** Waits for the running workers' warm-up (slice-warmup.ts); per worker, how many of its requests ran (0 without one). */
  warmed(): Promise<number[]> {
    return this.started(() => ({ op: 'warmed' }));
  }

  /** A fresh id for the exchanges of one request to every slice. */
  exchangeId(): number {
    return this.nextExchange++;
  }

  private nextExchange = 1;

  /** Fails exchange `id` in every slice: one of them failed, so the others stop waiting for it. */
  abortExchange(id: number): void {
    for (const w of this.workers) w?.postMessage({ abort: id });
  }

  /** Fails the requests a slice's worker was running when it died. */
  private fail(slice: number, e: unknown): void {
    const oom = (e as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    const err = oom
      ? new SqlError('OUT_OF_MEMORY', `slice ${slice} ran out of memory (its heap limit is ${this.heapMb} MB, from the server's memory limit); the statement was stopped: add filters or a LIMIT`)
      : new SqlError('INTERNAL_ERROR', `slice worker failed: ${e instanceof Error ? e.message : e}`);
    for (const [id, p] of this.pending) {
      if (p.slice !== slice) continue;
      this.pending.delete(id);
      p.reject(err);
    }
  }

  /** Sends one request to one slice and resolves with its result. */
  call<T>(slice: number, msg: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new SqlError('INTERNAL_ERROR', 'database is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { slice, resolve: resolve as (v: unknown) => void, reject });
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
    // wait for each worker's exit with a timer running: terminate()'s promise alone does not keep
    // the event loop alive, and a CLI process awaiting close() could end with it unsettled (exit 13)
    await Promise.all(this.workers.map((w) => w && new Promise<void>((done) => {
      const timer = setTimeout(done, 10_000);
      w.once('exit', () => { clearTimeout(timer); done(); });
      void w.terminate();
    })));
  }
}
