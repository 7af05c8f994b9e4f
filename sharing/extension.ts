// The sharing extension: datashares, consumer databases, the data exchange, share events and the
// usage log, plugged into the engine through its Extension interface.
import type { Database, CommitEvent } from '../engine/database.ts';
import type { Extension, StatementHandler } from '../engine/session/extension.ts';
import type { StatementContext } from '../engine/session/context.ts';
import type { Relation } from '../engine/plan/bind-query.ts';
import type { Pos, StatementKind } from '../engine/sql/ast.ts';
import type { ExecStats } from '../engine/exec/executor.ts';
import { HANDLERS } from '../engine/session/statements/index.ts';
import * as producer from './producer.ts';
import * as exchange from './exchange.ts';
import * as show from './show.ts';
import { createDatabase, readOnlyGuard } from './consumer-ddl.ts';
import { consumerDatabase, openShare, resolveMarked, resolveShared } from './consumer.ts';
import { SYSTEM_VIEWS, systemView } from './system-views.ts';
import { ExpiryWatcher, onCommit } from './events.ts';
import { UsageLog, type UsageRecord } from './usage.ts';
import { SharedModels } from './models.ts';
import { forgetPrincipal } from './state.ts';

const h = <T>(f: (s: T, ctx: StatementContext) => ReturnType<StatementHandler>) => f as unknown as StatementHandler;

/** The sharing extension, with handles tests and the API use (usage log, expiry sweep). */
export interface SharingExtension extends Extension {
  usage: UsageLog;
  watcher: ExpiryWatcher;
  onTableCreated(ctx: StatementContext, database: string, schema: string, name: string): void;
}

/** Reads through shares recorded per statement, for the usage log. */
type Reads = Map<string, { producer: string; datashare: string; schema: string; name: string }>;

export function extension(db: Database): SharingExtension {
  const usage = UsageLog.open(db.dataDir);
  const watcher = new ExpiryWatcher(db);
  const reads = new WeakMap<StatementContext, Reads>();
  const onCommitEvent = (e: CommitEvent) => onCommit(db, e);

  /** Sharing statements first bring expiry events up to date with the clock. */
  const swept = (f: StatementHandler): StatementHandler => (stmt, ctx) => { watcher.sweep(); return f(stmt, ctx); };
  const guard = (k: StatementKind) => readOnlyGuard(k);

  const grantOrRevoke = (kind: 'Grant' | 'Revoke'): StatementHandler => {
    const engine = readOnlyGuard(kind, HANDLERS[kind]);
    return (stmt, ctx) => {
      const s = stmt as { on?: { type: string } };
      return s.on?.type === 'DATASHARE' ? producer.grantOnDatashare(stmt as never, ctx) : engine(stmt, ctx);
    };
  };

  const statements: Extension['statements'] = {
    CreateDatashare: swept(h(producer.createDatashare)),
    AlterDatashare: swept(h(producer.alterDatashare)),
    DropDatashare: swept(h(producer.dropDatashare)),
    ShowDatashares: swept(h(show.showDatashares)),
    DescribeDatashare: swept(h(show.describeDatashare)),
    CreateProduct: swept(h(exchange.createProduct)),
    DropProduct: swept((s, c) => exchange.dropProduct(s as never, c, watcher)),
    ShowProducts: swept(h(show.showProducts)),
    Subscribe: swept(h(exchange.subscribe)),
    CancelSubscription: swept((s, c) => exchange.cancelSubscription(s as never, c, watcher)),
    ShowSubscriptions: swept(h(show.showSubscriptions)),
    ShowSubscribers: swept(h(show.showSubscribers)),
    CreateDatabase: swept(h(createDatabase)),
    Grant: grantOrRevoke('Grant'),
    Revoke: grantOrRevoke('Revoke'),
    ShowTables: h(show.showTables),
    ShowSchemas: h(show.showSchemas),
  };
  for (const k of ['DropTable', 'DropView', 'AlterTable', 'Analyze', 'CreateTable', 'CreateTableAs', 'CreateView', 'CreateSchema', 'DropSchema'] as const) statements[k] = guard(k);

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

  const ext: SharingExtension = {
    name: 'sharing',
    usage,
    watcher,
    statements,
    attach(d) {
      d.events.on('commit', onCommitEvent);
      watcher.start();
    },
    resolveRelation,
    systemViews: SYSTEM_VIEWS,
    resolveModelFunction: (ctx, name, pos) => models.resolve(ctx, name, pos),
    afterQuery,
    onTableCreated: producer.onTableCreated,
    principalDropped: forgetPrincipal,
    async close() {
      watcher.stop();
      db.events.off('commit', onCommitEvent);
      await usage.flush();
    },
  };
  const models = new SharedModels(ext);
  return ext;
}
