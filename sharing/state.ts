// The sharing area of the catalog (`state.ext.sharing`): datashares, their objects and consumers,
// exchange products and subscriptions. It is versioned with the catalog like everything else, so a
// grant, a removal or a subscription commits atomically and every reader sees one version of it.
import { ownerIdOf } from '../engine/catalog/owners.ts';
import type { CatalogState } from '../engine/catalog/catalog.ts';
import { SqlError } from '../engine/errors.ts';

export type ShareObjectType = 'SCHEMA' | 'TABLE' | 'VIEW' | 'FUNCTION' | 'MODEL';

/** One object in a datashare. Tables are held by id, so a rename keeps them shared. */
export interface ShareObject {
  type: ShareObjectType;
  schema: string;
  /** the object's name (for SCHEMA, the schema again); for tables, the name when added */
  name: string;
  id?: string;
  /**
   * MODEL only: a version number or alias (`m@2`, `m@challenger`). The share then exposes calls
   * `fn@2(...)` / `fn@challenger(...)`; without it, the model's current version (`fn(...)`).
   */
  version?: string;
  addedAt: string;
}

/** A removed object, kept so a consumer gets "no longer shared" instead of "does not exist". */
export interface RemovedObject { type: ShareObjectType; schema: string; name: string; id?: string; version?: string; removedAt: string }

export interface DatashareState {
  name: string;
  producer: string;
  /** the user who created it: the name shown; ownerId is who owns it (engine/catalog/owners.ts) */
  owner: string;
  ownerId?: string;
  /** the producer database its objects come from */
  database: string;
  createdAt: string;
  publicAccessible: boolean;
  /** grants come from exchange subscriptions only */
  managedByExchange: boolean;
  objects: ShareObject[];
  removed: RemovedObject[];
  /** schemas whose new tables join the share */
  includeNew: string[];
  /** consumer accounts granted USAGE directly */
  consumers: Record<string, { grantedAt: string; grantedBy: string }>;
  /** producer users allowed to ALTER or SHARE it besides its owner, by user id (by name in old catalogs) */
  userGrants: Record<string, string[]>;
}

export interface ProductState {
  name: string;
  producer: string;
  datashare: string;
  title: string;
  description?: string;
  termMonths: number;
  /** display only */
  price?: string;
  createdAt: string;
}

export interface SubscriptionState {
  id: number;
  producer: string;
  product: string;
  datashare: string;
  consumer: string;
  startedAt: string;
  endsAt: string;
  cancelledAt?: string;
}

export interface SharingState {
  /** producer account -> datashare name -> datashare */
  shares: Record<string, Record<string, DatashareState>>;
  /** producer account -> product name -> product */
  products: Record<string, Record<string, ProductState>>;
  subscriptions: SubscriptionState[];
  nextSubscription: number;
}

const KEY = 'sharing';
const MAX_REMOVED = 200;

const empty = (): SharingState => ({ shares: {}, products: {}, subscriptions: [], nextSubscription: 1 });

/** The sharing area of a catalog version, read-only (an empty one if nothing was ever shared). */
export function sharing(state: CatalogState): SharingState {
  return (state.ext[KEY] as SharingState | undefined) ?? empty();
}

/** The sharing area inside a state being mutated (created on first use). */
export function mutableSharing(state: CatalogState): SharingState {
  return ((state.ext[KEY] as SharingState | undefined) ??= empty());
}

export function findShare(state: CatalogState, producer: string, name: string): DatashareState | undefined {
  return sharing(state).shares[producer]?.[name];
}

/** A datashare inside a state being mutated; throws when a concurrent commit dropped it. */
export function shareIn(state: CatalogState, producer: string, name: string): DatashareState {
  const s = mutableSharing(state).shares[producer]?.[name];
  if (!s) throw new SqlError('UNDEFINED_OBJECT', `datashare "${name}" no longer exists`);
  return s;
}

export function allShares(state: CatalogState): DatashareState[] {
  return Object.values(sharing(state).shares).flatMap((m) => Object.values(m));
}

/** Records a removal so later lookups can say "no longer shared"; keeps the newest few. */
export function rememberRemoved(share: DatashareState, o: ShareObject, at: string): void {
  share.removed = share.removed.filter((r) => !(r.type === o.type && r.schema === o.schema && r.name === o.name && r.version === o.version));
  share.removed.push({ type: o.type, schema: o.schema, name: o.name, ...(o.id ? { id: o.id } : {}), ...(o.version ? { version: o.version } : {}), removedAt: at });
  if (share.removed.length > MAX_REMOVED) share.removed.splice(0, share.removed.length - MAX_REMOVED);
}

/** Whether a subscription still grants access at `now`. */
export function subscriptionActive(sub: SubscriptionState, now: Date): boolean {
  return !sub.cancelledAt && now.getTime() < Date.parse(sub.endsAt);
}

/** When a subscription ended or ends: its cancellation or its term. */
export function subscriptionEnd(sub: SubscriptionState): Date {
  return new Date(Math.min(Date.parse(sub.endsAt), sub.cancelledAt ? Date.parse(sub.cancelledAt) : Infinity));
}

/** `d` plus `months` calendar months (UTC), clamped to the month's last day (Jan 31 + 1 = Feb 28/29). */
export function addMonths(d: Date, months: number): Date {
  const r = new Date(d.getTime());
  const day = r.getUTCDate();
  r.setUTCDate(1);
  r.setUTCMonth(r.getUTCMonth() + months);
  const last = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
  r.setUTCDate(Math.min(day, last));
  return r;
}

/** How an account may use a datashare right now: a direct grant, an active subscription, or not. */
export function accessOf(state: CatalogState, share: DatashareState, account: string, now: Date): 'grant' | 'subscription' | null {
  if (share.producer === account) return 'grant';
  if (!share.managedByExchange && share.consumers[account]) return 'grant';
  for (const sub of sharing(state).subscriptions) {
    if (sub.producer === share.producer && sub.datashare === share.name && sub.consumer === account && subscriptionActive(sub, now)) return 'subscription';
  }
  return null;
}

/** Accounts currently allowed to use the share (for event audiences and listings). */
export function consumersOf(state: CatalogState, share: DatashareState, now: Date): string[] {
  const out = new Set<string>(share.managedByExchange ? [] : Object.keys(share.consumers));
  for (const sub of sharing(state).subscriptions) {
    if (sub.producer === share.producer && sub.datashare === share.name && subscriptionActive(sub, now)) out.add(sub.consumer);
  }
  return [...out].sort();
}

/** Display name of a share object: `schema` or `schema.name`. */
export function objectName(o: { type: ShareObjectType; schema: string; name: string; version?: string }): string {
  return o.type === 'SCHEMA' ? o.schema : `${o.schema}.${o.name}${o.version ? `@${o.version}` : ''}`;
}

/**
 * A dropped account or user takes its sharing rights with it, in the dropping transaction, so a
 * later namesake starts with none: a user's ALTER/SHARE grants go; an account's shares, products,
 * grants of USAGE to it and its subscriptions go. A user who still owns a datashare cannot be
 * dropped (as in Redshift).
 */
export function forgetPrincipal(state: CatalogState, account: string, user?: string): void {
  const sh = state.ext[KEY] as SharingState | undefined;
  if (!sh) return;
  if (user !== undefined) {
    const id = state.accounts[account]?.users[user]?.id;
    for (const share of Object.values(sh.shares[account] ?? {})) {
      if (id !== undefined && ownerIdOf(state, account, share) === id) throw new SqlError('DEPENDENT_OBJECTS_STILL_EXIST', `user "${user}" cannot be dropped because it owns datashare ${share.name}; drop it first`);
      delete share.userGrants[user];
      if (id !== undefined) delete share.userGrants[id];
    }
    return;
  }
  delete sh.shares[account];
  delete sh.products[account];
  for (const shares of Object.values(sh.shares)) for (const share of Object.values(shares)) delete share.consumers[account];
  sh.subscriptions = sh.subscriptions.filter((s) => s.consumer !== account && s.producer !== account);
}
