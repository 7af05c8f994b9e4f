// The data exchange: a producer publishes a datashare as a product (title, description, a term in
// months, a display price); any account may subscribe, which grants usage until the term ends or
// the subscription is cancelled. Access is computed from subscriptions and the (injectable) clock
// at every check, so it ends exactly at the term whether or not a timer has fired.
import type * as A from '../engine/sql/ast.ts';
import type { Result } from '../engine/result.ts';
import type { StatementContext } from '../engine/session/context.ts';
import { done } from '../engine/session/session.ts';
import { SqlError } from '../engine/errors.ts';
import { emitShareEvent, type ExpiryWatcher } from './events.ts';
import { checkSharePrivilege, ownShare } from './producer.ts';
import { addMonths, mutableSharing, sharing, subscriptionActive, type ProductState, type SubscriptionState } from './state.ts';

export async function createProduct(stmt: A.CreateProduct, ctx: StatementContext): Promise<Result> {
  const account = ctx.session.account;
  const share = ownShare(ctx, stmt.datashare, stmt.pos);
  checkSharePrivilege(ctx, share, 'SHARE', stmt.pos);
  if (!Number.isInteger(stmt.termMonths) || stmt.termMonths < 1 || stmt.termMonths > 120) throw new SqlError('INVALID_PARAMETER', `TERM must be 1 to 120 months, got ${stmt.termMonths}`, stmt.pos);
  if (sharing(ctx.state).products[account]?.[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `product "${stmt.name}" already exists`, stmt.pos);
  const product: ProductState = {
    name: stmt.name, producer: account, datashare: share.name, title: stmt.title,
    ...(stmt.description !== undefined ? { description: stmt.description } : {}),
    termMonths: stmt.termMonths, ...(stmt.price !== undefined ? { price: stmt.price } : {}),
    createdAt: ctx.now().toISOString(),
  };
  ctx.txn.apply((s) => {
    const mine = (mutableSharing(s).products[account] ??= {});
    if (mine[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `product "${stmt.name}" already exists`);
    mine[stmt.name] = structuredClone(product);
  }, { ddl: true });
  return done('CREATE PRODUCT');
}

/** DROP PRODUCT: withdraws it from the catalog and ends its active subscriptions now. */
export async function dropProduct(stmt: A.DropProduct, ctx: StatementContext, watcher: ExpiryWatcher): Promise<Result> {
  const account = ctx.session.account;
  const product = sharing(ctx.state).products[account]?.[stmt.name];
  if (!product) {
    if (stmt.ifExists) return done('DROP PRODUCT');
    throw new SqlError('UNDEFINED_OBJECT', `product "${stmt.name}" does not exist`, stmt.pos);
  }
  checkSharePrivilege(ctx, ownShare(ctx, product.datashare, stmt.pos), 'SHARE', stmt.pos);
  const now = ctx.now();
  const ending = sharing(ctx.state).subscriptions.filter((s) => s.producer === account && s.product === stmt.name && subscriptionActive(s, now));
  ctx.txn.apply((s) => {
    const sh = mutableSharing(s);
    delete sh.products[account]?.[stmt.name];
    for (const sub of sh.subscriptions) if (sub.producer === account && sub.product === stmt.name && subscriptionActive(sub, now)) sub.cancelledAt = now.toISOString();
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => { for (const sub of ending) ended(ctx, watcher, sub); });
  return done('DROP PRODUCT');
}

function ended(ctx: StatementContext, watcher: ExpiryWatcher, sub: SubscriptionState): void {
  watcher.markSent(sub, 'SUBSCRIPTION_ENDED');
  emitShareEvent(ctx.db, { type: 'SUBSCRIPTION_ENDED', datashare: sub.datashare, producer: sub.producer, consumer: sub.consumer, product: sub.product, endsAt: sub.endsAt, accounts: [sub.producer, sub.consumer] });
}

/** SUBSCRIBE TO PRODUCT p OF ACCOUNT 'producer': starts a term; usage is granted at once. */
export async function subscribe(stmt: A.Subscribe, ctx: StatementContext): Promise<Result> {
  const consumer = ctx.session.account;
  if (!ctx.isSuperuser) throw new SqlError('PERMISSION_DENIED', 'only a superuser of the account can subscribe to products', stmt.pos);
  const product = sharing(ctx.state).products[stmt.account]?.[stmt.product];
  if (!product) throw new SqlError('UNDEFINED_OBJECT', `product "${stmt.product}" of account "${stmt.account}" does not exist`, stmt.pos);
  if (stmt.account === consumer) throw new SqlError('INVALID_PARAMETER', 'an account cannot subscribe to its own product', stmt.pos);
  const now = ctx.now();
  const active = (s: SubscriptionState) => s.producer === stmt.account && s.product === stmt.product && s.consumer === consumer && subscriptionActive(s, now);
  if (sharing(ctx.state).subscriptions.some(active)) throw new SqlError('DUPLICATE_OBJECT', `account "${consumer}" already subscribes to product "${stmt.product}" of account "${stmt.account}"`, stmt.pos);
  let sub: SubscriptionState | undefined;
  ctx.txn.apply((s) => {
    const sh = mutableSharing(s);
    const p = sh.products[stmt.account]?.[stmt.product];
    if (!p) throw new SqlError('UNDEFINED_OBJECT', `product "${stmt.product}" was withdrawn`);
    if (sh.subscriptions.some(active)) throw new SqlError('DUPLICATE_OBJECT', `already subscribed to product "${stmt.product}"`);
    sub = {
      id: sh.nextSubscription++, producer: p.producer, product: p.name, datashare: p.datashare, consumer,
      startedAt: now.toISOString(), endsAt: addMonths(now, p.termMonths).toISOString(),
    };
    sh.subscriptions.push({ ...sub });
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => {
    const s = sub!;
    emitShareEvent(ctx.db, { type: 'SUBSCRIPTION_STARTED', datashare: s.datashare, producer: s.producer, consumer, product: s.product, endsAt: s.endsAt, accounts: [s.producer, consumer] });
    emitShareEvent(ctx.db, { type: 'ACCESS_GRANTED', datashare: s.datashare, producer: s.producer, consumer, product: s.product, accounts: [s.producer, consumer] });
  });
  return done('SUBSCRIBE');
}

/** CANCEL SUBSCRIPTION: access ends now (the consumer's next statement is denied). */
export async function cancelSubscription(stmt: A.CancelSubscription, ctx: StatementContext, watcher: ExpiryWatcher): Promise<Result> {
  const consumer = ctx.session.account;
  if (!ctx.isSuperuser) throw new SqlError('PERMISSION_DENIED', 'only a superuser of the account can cancel subscriptions', stmt.pos);
  const now = ctx.now();
  const match = (s: SubscriptionState) => s.producer === stmt.account && s.product === stmt.product && s.consumer === consumer && subscriptionActive(s, now);
  const sub = sharing(ctx.state).subscriptions.find(match);
  if (!sub) throw new SqlError('UNDEFINED_OBJECT', `account "${consumer}" has no active subscription to product "${stmt.product}" of account "${stmt.account}"`, stmt.pos);
  ctx.txn.apply((s) => {
    const live = mutableSharing(s).subscriptions.find((x) => x.id === sub.id);
    if (live && !live.cancelledAt) live.cancelledAt = now.toISOString();
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => {
    ended(ctx, watcher, sub);
    emitShareEvent(ctx.db, { type: 'ACCESS_REVOKED', datashare: sub.datashare, producer: sub.producer, consumer, product: sub.product, accounts: [sub.producer, consumer] });
  });
  return done('CANCEL SUBSCRIPTION');
}
