// The sharing extension: datashares, consumer databases, the data exchange, share events and the
// usage log, plugged into the engine through its Extension interface.
import type { Database, CommitEvent } from '../engine/database.ts';
import { type Extension, type HandlerOf, alsoRun, answerFirst, introduces } from '../engine/session/extension.ts';
import type { StatementContext } from '../engine/session/context.ts';
import type { Relation } from '../engine/plan/bind-query.ts';
import type * as A from '../engine/sql/ast.ts';
import type { Pos, StatementKind } from '../engine/sql/ast.ts';
import type { Result } from '../engine/result.ts';
import type { ExecStats } from '../engine/exec/executor.ts';
import * as producer from './producer.ts';
import * as exchange from './exchange.ts';
import * as show from './show.ts';
import { createDatabase, readOnlyGuard } from './consumer-ddl.ts';
import { consumerDatabase, openShare, resolveMarked, resolveShared } from './consumer.ts';
import { SYSTEM_VIEWS, systemView } from './system-views.ts';
import { ExpiryWatcher, onCommit } from './events.ts';
import { UsageLog, type UsageRecord } from './usage.ts';
import { resolveSharedModel } from './models.ts';
import { forgetPrincipal } from './state.ts';

/** The sharing extension, with handles tests and the API use (usage log, expiry sweep). */
export interface SharingExtension extends Extension {
  usage: UsageLog;
  watcher: ExpiryWatcher;
}

/** Reads through shares recorded per statement, for the usage log. */
type Reads = Map<string, { producer: string; datashare: string; schema: string; name: string }>;

/** DDL kinds that must not reach objects of a consumer database. */
const GUARDED = ['DropTable', 'DropView', 'AlterTable', 'Analyze', 'CreateTable', 'CreateTableAs', 'CreateView', 'CreateSchema', 'DropSchema'] as const;

export function extension(db: Database): SharingExtension {
  const usage = UsageLog.open(db.dataDir);
  const watcher = new ExpiryWatcher(db);
  const reads = new WeakMap<StatementContext, Reads>();
  const onCommitEvent = (e: CommitEvent) => onCommit(db, e);

  /** A statement of this extension; it first brings expiry events up to date with the clock. */
  const own = <K extends StatementKind>(f: HandlerOf<K>) => introduces<K>((stmt, ctx) => { watcher.sweep(); return f(stmt, ctx); });
  /** GRANT/REVOKE ... ON DATASHARE is ours; the rest goes on, guarded against consumer databases. */
  const grantOrRevoke = <S extends A.Grant | A.Revoke>(next: (s: S, ctx: StatementContext) => Promise<Result>) => {
    const guarded = readOnlyGuard(next);
    return (stmt: S, ctx: StatementContext) => (stmt.on?.type === 'DATASHARE' ? producer.grantOnDatashare(stmt, ctx) : guarded(stmt, ctx));
  };

  const statements: NonNullable<Extension['statements']> = {
    CreateDatashare: own(producer.createDatashare),
    AlterDatashare: own(producer.alterDatashare),
    DropDatashare: own(producer.dropDatashare),
    ShowDatashares: own(show.showDatashares),
    DescribeDatashare: own(show.describeDatashare),
    CreateProduct: own(exchange.createProduct),
    DropProduct: own((s, c) => exchange.dropProduct(s, c, watcher)),
    ShowProducts: own(show.showProducts),
    Subscribe: own(exchange.subscribe),
    CancelSubscription: own((s, c) => exchange.cancelSubscription(s, c, watcher)),
    ShowSubscriptions: own(show.showSubscriptions),
    ShowSubscribers: own(show.showSubscribers),
    CreateDatabase: (next) => (stmt, ctx) => { watcher.sweep(); return createDatabase(stmt, ctx, next); },
    Grant: grantOrRevoke,
    Revoke: grantOrRevoke,
    ShowTables: (next) => (stmt, ctx) => show.showTables(stmt, ctx, next),
    ShowSchemas: (next) => (stmt, ctx) => show.showSchemas(stmt, ctx, next),
  };
  for (const k of GUARDED) (statements as Record<string, unknown>)[k] = readOnlyGuard;

  function resolveRelation(ctx: StatementContext, name: string[], pos: Pos): Relation | null {
    const rel = resolveMarked(ctx, name, pos) ?? systemView(ctx, name, usage) ?? resolveConsumer(ctx, name, pos);
    if (rel?.kind === 'table' && rel.ref.share) {
      const r = rel.ref;
      let m = reads.get(ctx);
      if (!m) reads.set(ctx, (m = new Map()));
      m.set(`${r.account}.${r.database}.${r.schema}.${r.name}`, { producer: r.account, datashare: r.share!.datashare, schema: r.schema, name: r.name });
    }
    return rel;
  }

  /** `d.schema.t`, or `schema.t` / `t` while the session's database is a consumer database. */
  function resolveConsumer(ctx: StatementContext, name: string[], pos: Pos): Relation | null {
    const dbName = name.length === 3 ? name[0] : ctx.session.database;
    if (name.length > 3 || !consumerDatabase(ctx, dbName)) return null;
    watcher.sweep();
    const open = openShare(ctx, dbName, pos);
    if (name.length >= 2) return resolveShared(ctx, open, name[name.length - 2], name[name.length - 1], pos);
    let last: unknown;
    for (const schema of ctx.session.searchPath) {
      try { return resolveShared(ctx, open, schema, name[0], pos); } catch (e) { last = e; }
    }
    throw last;
  }

  function afterQuery(ctx: StatementContext, stats: ExecStats): void {
    const m = reads.get(ctx);
    if (!m) return;
    reads.delete(ctx);
    const recs: UsageRecord[] = [];
    const at = ctx.now().toISOString();
    let requestId = 0;
    for (const [key, rows] of stats.tables) {
      const r = m.get(key);
      if (!r) continue;
      requestId ||= usage.newRequestId();
      recs.push({ requestId, producer: r.producer, datashare: r.datashare, consumer: ctx.session.account, user: ctx.session.user, objectType: 'TABLE', object: `${r.schema}.${r.name}`, rows, at });
    }
    usage.append(recs);
  }

  return {
    name: 'sharing',
    // a consumer's call of a shared model is resolved through ML's resolution, as the producer
    after: ['ml'],
    usage,
    watcher,
    statements,
    hooks: {
      relation: answerFirst('relation', resolveRelation),
      modelFunction: (next) => (ctx, name, pos) => resolveSharedModel(ctx, name, pos, next) ?? next(ctx, name, pos),
      afterQuery: alsoRun('afterQuery', afterQuery),
      tableCreated: alsoRun('tableCreated', producer.onTableCreated),
      principalDropped: alsoRun('principalDropped', forgetPrincipal),
    },
    systemViews: SYSTEM_VIEWS,
    attach(d) {
      d.events.on('commit', onCommitEvent);
      watcher.start();
    },
    async close() {
      watcher.stop();
      db.events.off('commit', onCommitEvent);
      await usage.flush();
    },
  };
}
