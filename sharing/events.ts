// Share events: what sharing publishes on `db.events` 'share' (the API's event bus carries them to
// GraphQL `shareEvents`). Every event names its audience: the producer and the consumers that
// are parties to the share at that moment, so nobody else ever receives it.
import type { Database } from '../engine/database.ts';
import type { CatalogState } from '../engine/catalog/catalog.ts';
import { allShares, consumersOf, objectName, sharing, subscriptionActive, type DatashareState, type SubscriptionState } from './state.ts';

export type ShareEventType =
  | 'SHARE_UPDATED' | 'ACCESS_GRANTED' | 'ACCESS_REVOKED'
  | 'SUBSCRIPTION_STARTED' | 'SUBSCRIPTION_EXPIRING' | 'SUBSCRIPTION_ENDED';

/** The payload of a 'share' event (a superset of api/events.ts ShareEvent). */
export interface SharingEvent {
  type: ShareEventType;
  datashare: string;
  producer: string;
  /** catalog version of the producer commit (SHARE_UPDATED) */
  version?: number;
  /** the consumer concerned (grants, revocations, subscriptions) */
  consumer?: string;
  /** objects changed (SHARE_UPDATED), as schema.name */
  objects?: string[];
  product?: string;
  /** ISO end of the subscription's term */
  endsAt?: string;
  at: string;
  /** who may see it: producer and parties (not exposed over GraphQL) */
  accounts: string[];
}

/** Publishes a share event. */
export function emitShareEvent(db: Database, e: Omit<SharingEvent, 'at'> & { at?: string }): void {
  const event: SharingEvent = { ...e, at: e.at ?? db.now().toISOString(), accounts: [...new Set(e.accounts)] };
  db.events.emit('share', event);
}

/** The producer plus the share's current consumers (and any extra accounts). */
export function audience(state: CatalogState, share: DatashareState, now: Date, extra: string[] = []): string[] {
  return [share.producer, ...consumersOf(state, share, now), ...extra];
}

/** SHARE_UPDATED for every share holding a table a commit changed. */
export function onCommit(db: Database, e: { version: number; state: CatalogState; tables: string[] }): void {
  if (!e.tables.length) return;
  const changed = new Set(e.tables);
  for (const share of allShares(e.state)) {
    const objs = share.objects.filter((o) => o.type === 'TABLE' && o.id && changed.has(o.id));
    if (!objs.length) continue;
    const names = objs.map((o) => currentName(e.state, share, o.id!) ?? objectName(o));
    emitShareEvent(db, { type: 'SHARE_UPDATED', datashare: share.name, producer: share.producer, version: e.version, objects: names, accounts: audience(e.state, share, db.now()) });
  }
}

function currentName(state: CatalogState, share: DatashareState, id: string): string | undefined {
  const db = state.accounts[share.producer]?.databases[share.database];
  for (const sc of Object.values(db?.schemas ?? {})) for (const t of Object.values(sc.tables)) if (t.id === id) return `${sc.name}.${t.name}`;
  return undefined;
}

/** How long before its end a subscription announces SUBSCRIPTION_EXPIRING. */
export const EXPIRING_WINDOW_MS = 7 * 24 * 3600 * 1000;

/**
 * Turns the passage of (injectable) time into SUBSCRIPTION_EXPIRING / SUBSCRIPTION_ENDED events.
 * Access itself never depends on this: every check compares the term with `db.now()`. `sweep`
 * runs on a timer and before sharing statements, so a test that moves the clock sees the events
 * at its next statement.
 */
export class ExpiryWatcher {
  private readonly sent = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly db: Database) {
    // events for subscriptions that ended or entered the window before this process started
    // were sent by an earlier one
    this.sweep(true);
  }

  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => this.sweep(), intervalMs);
    this.timer.unref();
  }

  /** Marks an event as sent (e.g. CANCEL publishes SUBSCRIPTION_ENDED itself). */
  markSent(sub: SubscriptionState, type: 'SUBSCRIPTION_EXPIRING' | 'SUBSCRIPTION_ENDED'): void {
    this.sent.add(`${sub.id}:${type}`);
  }

  sweep(silent = false): void {
    const state = this.db.catalog;
    const now = this.db.now();
    for (const sub of sharing(state).subscriptions) {
      const accounts = [sub.producer, sub.consumer];
      const left = Date.parse(sub.endsAt) - now.getTime();
      if (subscriptionActive(sub, now)) {
        if (left <= EXPIRING_WINDOW_MS) this.send(sub, 'SUBSCRIPTION_EXPIRING', accounts, silent);
      } else {
        this.send(sub, 'SUBSCRIPTION_ENDED', accounts, silent);
      }
    }
  }

  private send(sub: SubscriptionState, type: 'SUBSCRIPTION_EXPIRING' | 'SUBSCRIPTION_ENDED', accounts: string[], silent: boolean): void {
    const key = `${sub.id}:${type}`;
    if (this.sent.has(key)) return;
    this.sent.add(key);
    if (!silent) emitShareEvent(this.db, { type, datashare: sub.datashare, producer: sub.producer, consumer: sub.consumer, product: sub.product, endsAt: sub.endsAt, accounts });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
