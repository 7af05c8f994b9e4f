// Consumer DDL: CREATE DATABASE d FROM DATASHARE (metadata only), and a guard that turns any
// DDL aimed at an object of such a database into a clear READ_ONLY error.
import type * as A from '../engine/sql/ast.ts';
import type { Result } from '../engine/result.ts';
import type { StatementContext } from '../engine/session/context.ts';
import type { HandlerOf } from '../engine/session/extension.ts';
import { done } from '../engine/session/session.ts';
import { SqlError } from '../engine/errors.ts';
import { newObjectId } from '../engine/catalog/catalog.ts';
import { checkShareAccess, consumerDatabase } from './consumer.ts';

/** CREATE DATABASE d FROM DATASHARE s OF ACCOUNT 'p': a pointer to the producer's share; `next` creates the others. */
export async function createDatabase(stmt: A.CreateDatabase, ctx: StatementContext, next: HandlerOf<'CreateDatabase'>): Promise<Result> {
  const from = stmt.fromDatashare;
  if (!from) return next(stmt, ctx);
  const { account } = ctx.session;
  const producer = from.account ?? from.namespace;
  if (!producer) throw new SqlError('SYNTAX_ERROR', `CREATE DATABASE ... FROM DATASHARE ${from.datashare} needs OF ACCOUNT 'producer'`, stmt.pos);
  if (!ctx.isSuperuser) throw new SqlError('PERMISSION_DENIED', 'permission denied to create database', stmt.pos);
  if (producer === account) throw new SqlError('INVALID_PARAMETER', `datashare ${from.datashare} belongs to this account; query its tables directly`, stmt.pos);
  if (ctx.account.databases[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `database "${stmt.name}" already exists`, stmt.pos);
  checkShareAccess(ctx, ctx.db.catalog, producer, from.datashare, account, `datashare "${from.datashare}"`, stmt.pos);
  const owner = ctx.ownerRef;
  ctx.txn.apply((s) => {
    const a = s.accounts[account];
    if (a.databases[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `database "${stmt.name}" already exists`);
    a.databases[stmt.name] = { id: newObjectId(), name: stmt.name, ...owner, schemas: {}, fromShare: { producer, datashare: from.datashare } };
  }, { ddl: true });
  return done('CREATE DATABASE');
}

/** The object names a DDL statement targets (for the read-only guard). */
function targets(stmt: A.Statement): A.Name[] {
  switch (stmt.kind) {
    case 'DropTable': case 'DropView': return stmt.names;
    case 'AlterTable': case 'Analyze': return stmt.kind === 'Analyze' ? (stmt.table ? [stmt.table] : []) : [stmt.name];
    case 'CreateTable': case 'CreateTableAs': case 'CreateView': return [stmt.name];
    case 'Grant': case 'Revoke': return stmt.on && (stmt.on.type === 'TABLE' || stmt.on.type === 'FUNCTION' || stmt.on.type === 'MODEL') ? stmt.on.names : [];
    default: return [];
  }
}

/** Wraps a handler so DDL on a shared database's objects fails with READ_ONLY. */
export function readOnlyGuard<S extends A.Statement>(next: (stmt: S, ctx: StatementContext) => Promise<Result>): (stmt: S, ctx: StatementContext) => Promise<Result> {
  return async (stmt, ctx) => {
    for (const n of targets(stmt)) {
      const dbName = n.length === 3 ? n[0] : ctx.session.database;
      if (consumerDatabase(ctx, dbName)) {
        throw new SqlError('READ_ONLY', `cannot ${stmt.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase()} "${n.join('.')}": database "${dbName}" was created from a datashare and its objects are read-only`, stmt.pos);
      }
    }
    if ((stmt.kind === 'CreateSchema' || stmt.kind === 'DropSchema') && consumerDatabase(ctx, ctx.session.database)) {
      throw new SqlError('READ_ONLY', `database "${ctx.session.database}" was created from a datashare and is read-only`, stmt.pos);
    }
    return next(stmt, ctx);
  };
}
