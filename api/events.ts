// A small typed event bus for GraphQL subscriptions. ML and sharing publish on the database's
// EventEmitter (`db.events.emit('model' | 'share', payload)`) without importing the API; the
// bus bridges those events to subscribers, filtered by who may see them.
import type { Database } from '../engine/database.ts';

/** A model's training progress or state change (published by ml/ as `db.events` 'model'). */
export interface ModelEvent {
  model: string;
  /** TRAINING, READY, FAILED, ... */
  state: string;
  /** e.g. 'created', 'progress', 'ready', 'failed', 'dropped' */
  kind: string;
  message?: string;
  epoch?: number;
  loss?: number;
  validationScore?: number;
  /** ISO timestamp */
  at: string;
  /** owning account; only it sees the event (not exposed in GraphQL) */
  account?: string;
  /** extra accounts that may see it, e.g. consumers of a shared model (not exposed) */
  accounts?: string[];
}

/** A datashare or exchange change (published by sharing/ as `db.events` 'share'). */
export interface ShareEvent {
  /** e.g. 'created', 'updated', 'granted', 'revoked', 'dropped', 'subscribed', 'expired' */
  type: string;
  datashare: string;
  producer: string;
  version?: number;
  consumer?: string;
  at: string;
  /** the accounts allowed to see this event (not exposed in GraphQL) */
  accounts: string[];
}

/** A drift monitor's run finished or its state changed (published by ml/ as `db.events` 'monitor'). */
export interface MonitorEvent {
  monitor: string;
  model: string;
  /** run_finished, state_changed, retrained */
  kind: string;
  /** OK, DRIFTED or FAILED */
  state: string;
  previousState?: string;
  run?: number;
  message?: string;
  at: string;
  /** owning account and user: only that user and the account's superusers see it (not exposed) */
  account: string;
  owner: string;
  /** the owner's user id: who may see the event */
  ownerId?: string;
}

/** Running-query lifecycle, published by the API's workload manager. */
export interface QueryEvent {
  id: string;
  account: string;
  user: string;
  state: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELED';
  lane: string;
  at: string;
  elapsedMs?: number;
  code?: string;
}

/** Every event the bus carries, by name. */
export interface EventMap {
  model: ModelEvent;
  share: ShareEvent;
  query: QueryEvent;
  monitor: MonitorEvent;
}

export type EventName = keyof EventMap;
type Listener<K extends EventName> = (e: EventMap[K]) => void;

/** Whether `account` may see an event. */
export function visibleTo(e: { account?: string; accounts?: string[] }, account: string): boolean {
  if (e.account === undefined && e.accounts === undefined) return true;
  return e.account === account || (e.accounts?.includes(account) ?? false);
}

export class EventBus {
  private readonly listeners: { [K in EventName]: Set<Listener<K>> } = { model: new Set(), share: new Set(), query: new Set(), monitor: new Set() };
  private readonly detach: (() => void)[] = [];

  /** Bridges `db.events` 'model', 'share' and 'monitor' events onto the bus. */
  constructor(db?: Database) {
    if (!db) return;
    for (const name of ['model', 'share', 'monitor'] as const) {
      const f = (e: EventMap[typeof name]) => this.publish(name, e);
      db.events.on(name, f);
      this.detach.push(() => db.events.off(name, f));
    }
  }

  publish<K extends EventName>(name: K, event: EventMap[K]): void {
    for (const l of this.listeners[name]) {
      try { (l as Listener<K>)(event); } catch { /* a subscriber never breaks a publisher */ }
    }
  }

  on<K extends EventName>(name: K, l: Listener<K>): () => void {
    (this.listeners[name] as Set<Listener<K>>).add(l);
    return () => { (this.listeners[name] as Set<Listener<K>>).delete(l); };
  }

  /**
   * An async iterator of the events matching `filter`, ending when `signal` aborts or the
   * consumer stops. Buffers at most `maxBuffer` events for a slow consumer (oldest dropped).
   */
  subscribe<K extends EventName>(name: K, filter: (e: EventMap[K]) => boolean, signal?: AbortSignal, maxBuffer = 1000): AsyncIterableIterator<EventMap[K]> {
    const queue: EventMap[K][] = [];
    let wake: ((r: IteratorResult<EventMap[K]>) => void) | null = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      off();
      signal?.removeEventListener('abort', finish);
      wake?.({ value: undefined, done: true });
      wake = null;
    };
    const off = this.on(name, (e) => {
      if (done || !filter(e)) return;
      if (wake) { const w = wake; wake = null; w({ value: e, done: false }); return; }
      queue.push(e);
      if (queue.length > maxBuffer) queue.shift();
    });
    signal?.addEventListener('abort', finish);
    const it: AsyncIterableIterator<EventMap[K]> = {
      next: () => {
        if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { wake = resolve; });
      },
      return: () => { finish(); return Promise.resolve({ value: undefined, done: true }); },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Number of live listeners (for tests and metrics). */
  get size(): number {
    return this.listeners.model.size + this.listeners.share.size + this.listeners.query.size + this.listeners.monitor.size;
  }

  close(): void {
    for (const d of this.detach) d();
    this.detach.length = 0;
  }
}
