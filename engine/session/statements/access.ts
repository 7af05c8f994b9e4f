// Accounts, users and privileges.
import { scryptSync, randomBytes } from 'node:crypto';
import type * as A from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { done } from '../session.ts';
import { SqlError } from '../../errors.ts';
import { newAccount, newPrincipalId, DEFAULT_ACCOUNT, type CatalogState, type TableState, type UserState } from '../../catalog/catalog.ts';
import { checkOwner, grantOption, mayLookIn, tableKey } from '../privileges.ts';
import { COLUMN_PRIVILEGES, changeColumnGrants, revokeFromAllColumns, type ColumnGrants } from '../../catalog/column-grants.ts';
import { ownerIdOf, forgetLegacyUser, forgetLegacyAccount, type Owned } from '../../catalog/owners.ts';
import { databaseKey, describeGrantKey, grantObjectExists, modelKey, schemaKey, viewKey } from '../../catalog/object-grants.ts';
import { splitName } from '../../catalog/lookup.ts';
import { typeName, type SqlType } from '../../types/types.ts';
import { isScalarFunction } from '../../functions/registry.ts';

const TABLE_PRIVS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'REFERENCES', 'ALL']);

function requireSuperuser(ctx: StatementContext, what: string, pos: A.Pos): void {
  if (!ctx.isSuperuser) throw new SqlError('PERMISSION_DENIED', `permission denied: only a superuser can ${what}`, pos);
}

/** Accounts are tenants; only the deployment's admin account may create or drop them. */
export async function createAccount(stmt: A.CreateAccount, ctx: StatementContext): Promise<Result> {
  if (ctx.session.account !== DEFAULT_ACCOUNT) throw new SqlError('PERMISSION_DENIED', 'only the admin account can create accounts', stmt.pos);
  requireSuperuser(ctx, 'create accounts', stmt.pos);
  if (!/^[a-z0-9_][a-z0-9_-]{0,62}$/i.test(stmt.name)) throw new SqlError('INVALID_PARAMETER', `invalid account name "${stmt.name}"`, stmt.pos);
  if (ctx.state.accounts[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `account "${stmt.name}" already exists`, stmt.pos);
  const acct = newAccount(stmt.name, ctx.now());
  ctx.txn.apply((s) => {
    if (s.accounts[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `account "${stmt.name}" already exists`);
    s.accounts[stmt.name] = structuredClone(acct);
  }, { ddl: true });
  return done('CREATE ACCOUNT');
}

export async function dropAccount(stmt: A.DropAccount, ctx: StatementContext): Promise<Result> {
  if (ctx.session.account !== DEFAULT_ACCOUNT) throw new SqlError('PERMISSION_DENIED', 'only the admin account can drop accounts', stmt.pos);
  requireSuperuser(ctx, 'drop accounts', stmt.pos);
  if (stmt.name === DEFAULT_ACCOUNT) throw new SqlError('INVALID_PARAMETER', 'the admin account cannot be dropped', stmt.pos);
  if (!ctx.state.accounts[stmt.name]) { if (stmt.ifExists) return done('DROP ACCOUNT'); throw new SqlError('UNDEFINED_OBJECT', `account "${stmt.name}" does not exist`, stmt.pos); }
  ctx.txn.apply((s) => {
    ctx.db.hooks.principalDropped(s, stmt.name);
    delete s.accounts[stmt.name];
    forgetLegacyAccount(s, stmt.name);
  }, { ddl: true });
  return done('DROP ACCOUNT');
}

/** The objects of an account a user owns (databases, schemas, tables, views, models), by the user's id. */
function ownedBy(state: CatalogState, account: string, userId: string): string[] {
  const out: string[] = [];
  const mine = (o: Owned) => ownerIdOf(state, account, o) === userId;
  for (const db of Object.values(state.accounts[account].databases)) {
    if (mine(db)) out.push(`database ${db.name}`);
    for (const sc of Object.values(db.schemas)) {
      const at = `${db.name}.${sc.name}`;
      if (mine(sc)) out.push(`schema ${at}`);
      for (const t of Object.values(sc.tables)) if (mine(t)) out.push(`table ${at}.${t.name}`);
      for (const v of Object.values(sc.views)) if (mine(v)) out.push(`view ${at}.${v.name}`);
      for (const [k, m] of Object.entries(sc.models)) if (mine(m as Owned)) out.push(`model ${at}.${k}`);
    }
  }
  return out;
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

export async function createUser(stmt: A.CreateUser, ctx: StatementContext): Promise<Result> {
  requireSuperuser(ctx, 'create users', stmt.pos);
  const account = ctx.session.account;
  if (ctx.account.users[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `user "${stmt.name}" already exists`, stmt.pos);
  const passwordHash = stmt.password ? hashPassword(stmt.password) : undefined;
  const id = newPrincipalId();
  ctx.txn.apply((s) => {
    const a = s.accounts[account];
    if (a.users[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `user "${stmt.name}" already exists`);
    a.users[stmt.name] = { id, name: stmt.name, superuser: false, passwordHash, grants: {}, system: [] };
  }, { ddl: true });
  return done('CREATE USER');
}

export async function dropUser(stmt: A.DropUser, ctx: StatementContext): Promise<Result> {
  requireSuperuser(ctx, 'drop users', stmt.pos);
  const account = ctx.session.account;
  for (const name of stmt.names) {
    if (!ctx.account.users[name]) { if (stmt.ifExists) continue; throw new SqlError('UNDEFINED_OBJECT', `user "${name}" does not exist`, stmt.pos); }
    if (name === ctx.session.user) throw new SqlError('INVALID_PARAMETER', 'you cannot drop the current user', stmt.pos);
    // as in Redshift, an owner cannot be dropped; checked again in the commit's state, so an object
    // created concurrently is not left to nobody
    const id = ctx.account.users[name].id;
    ctx.txn.apply((s) => {
      const owned = id === undefined ? [] : ownedBy(s, account, id);
      if (owned.length) throw new SqlError('DEPENDENT_OBJECTS_STILL_EXIST', `user "${name}" cannot be dropped because it owns ${owned.slice(0, 5).join(', ')}${owned.length > 5 ? ` and ${owned.length - 5} more` : ''}; drop those objects first`, stmt.pos);
      ctx.db.hooks.principalDropped(s, account, name);
      delete s.accounts[account].users[name];
      forgetLegacyUser(s, account, name);
    }, { ddl: true });
  }
  return done('DROP USER');
}

type Grants = Record<string, string[]>;

/** The grantee as the statement saw it: a user dropped (and perhaps re-created) since gets nothing. */
function sameUser(s: CatalogState, account: string, name: string, id: string | undefined): UserState {
  const u = s.accounts[account]?.users[name];
  if (!u || u.id !== id) throw new SqlError('UNDEFINED_OBJECT', `user "${name}" no longer exists`);
  return u;
}

/** Applies a GRANT or REVOKE of table/view/schema/database/model privileges to users or PUBLIC. */
async function changeGrants(stmt: A.Grant | A.Revoke, ctx: StatementContext, add: boolean): Promise<Result> {
  const command = add ? 'GRANT' : 'REVOKE';
  const account = ctx.session.account;
  const all = stmt.privileges.map((p) => p.toUpperCase());
  // `SELECT (a, b)`: column-level, kept apart from the table-level privileges of the statement
  const columnPrivs = all.flatMap((p, i) => (stmt.columns?.[i] ? [{ privilege: p, columns: stmt.columns[i]!, }] : []));
  const privs = all.filter((_, i) => !stmt.columns?.[i]);
  const keys: string[] = [];
  const tables: TableState[] = [];
  if (columnPrivs.length) checkColumnGrant(stmt, columnPrivs);
  if (!stmt.on) {
    // GRANT CREATE MODEL TO u: an account-level privilege
    requireSuperuser(ctx, `${command} ${privs.join(', ')}`, stmt.pos);
    for (const g of stmt.grantees) {
      if (g.type !== 'USER' || !g.name || !ctx.account.users[g.name]) throw new SqlError('UNDEFINED_OBJECT', `user "${g.name ?? 'PUBLIC'}" does not exist`, stmt.pos);
      const name = g.name;
      const id = ctx.account.users[name].id;
      ctx.txn.apply((s) => {
        const u = sameUser(s, account, name, id);
        u.system = add ? [...new Set([...u.system, ...privs])] : u.system.filter((p) => !privs.includes(p));
      }, { ddl: true });
    }
    return done(command);
  }
  const on = stmt.on;
  // WITH GRANT OPTION is kept as its own entry ("SELECT WITH GRANT OPTION"): sharing a table in a
  // datashare needs it when the user does not own the table
  const withOption = add && stmt.kind === 'Grant' && stmt.withGrantOption;
  if (withOption && on.type !== 'TABLE' && on.type !== 'ALL TABLES IN SCHEMA') throw new SqlError('FEATURE_NOT_SUPPORTED', `WITH GRANT OPTION is supported on tables only, not on a ${on.type.toLowerCase()}`, stmt.pos);
  if (withOption && stmt.grantees.some((g) => g.type === 'PUBLIC')) throw new SqlError('INVALID_PARAMETER', 'grant options cannot be granted to PUBLIC', stmt.pos);
  switch (on.type) {
    case 'TABLE':
      for (const p of privs) if (!TABLE_PRIVS.has(p)) throw new SqlError('INVALID_PARAMETER', `invalid privilege type ${p} for table`, stmt.pos);
      for (const n of on.names) {
        const loc = ctx.findTable(n, stmt.pos);
        if (loc.kind === 'view') {
          // a view's grants are SELECT (and ALL) on the whole view: its query reads as its owner (views.ts)
          if (columnPrivs.length) throw new SqlError('FEATURE_NOT_SUPPORTED', `column privileges on view ${loc.schema}.${loc.view.name} are not supported; ${command.toLowerCase()} on the whole view, or make a view of those columns`, stmt.pos);
          checkOwner(ctx, loc.view, `relation ${loc.view.name} to ${command}`, stmt.pos);
          keys.push(viewKey(loc.view));
          continue;
        }
        if (!ctx.isSuperuser && !ctx.owns(loc.table)) throw new SqlError('PERMISSION_DENIED', `must be owner of relation ${loc.table.name} to ${command}`, stmt.pos);
        for (const { columns } of columnPrivs) {
          for (const c of columns) if (!loc.table.columns.some((x) => x.name === c)) throw new SqlError('UNDEFINED_COLUMN', `column "${c}" of relation "${loc.table.name}" does not exist`, stmt.pos);
        }
        keys.push(tableKey(loc.table));
        tables.push(loc.table);
      }
      break;
    case 'ALL TABLES IN SCHEMA':
      for (const n of on.names) {
        const sc = ctx.currentDatabase().schemas[n[n.length - 1]];
        if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${n.join('.')}" does not exist`, stmt.pos);
        for (const t of Object.values(sc.tables)) {
          if (!ctx.isSuperuser && !ctx.owns(t)) throw new SqlError('PERMISSION_DENIED', `must be owner of relation ${t.name} to ${command}`, stmt.pos);
          keys.push(tableKey(t));
          tables.push(t);
        }
        // as PostgreSQL: ALL TABLES takes in the schema's views
        for (const v of Object.values(sc.views)) {
          checkOwner(ctx, v, `relation ${v.name} to ${command}`, stmt.pos);
          keys.push(viewKey(v));
        }
      }
      break;
    case 'SCHEMA': case 'DATABASE': case 'MODEL':
      // as PostgreSQL: the object's owner (or a superuser) grants on it
      for (const n of on.names) {
        const { key, owned } = namedObject(ctx, on.type, n, stmt.pos);
        checkOwner(ctx, owned, `${on.type.toLowerCase()} ${n.join('.')} to ${command} on it`, stmt.pos);
        keys.push(key);
      }
      break;
    case 'FUNCTION': case 'ALL FUNCTIONS IN SCHEMA':
      // the engine's functions are built in (everyone's) or a model's prediction functions, whose
      // EXECUTE is the model's: GRANT ... ON FUNCTION fn is GRANT ... ON MODEL of fn's model
      for (const p of privs) if (p !== 'EXECUTE' && p !== 'ALL') throw new SqlError('INVALID_PARAMETER', `invalid privilege type ${p} for function`, stmt.pos);
      for (const [i, n] of on.names.entries()) {
        const models = on.type === 'FUNCTION' ? [functionModel(ctx, n, on.argTypes?.[i] ?? null, stmt.pos)] : schemaModels(ctx, n, stmt.pos);
        for (const { key, owned, what } of models) {
          checkOwner(ctx, owned, `${what} to ${command} on it`, stmt.pos);
          keys.push(key);
        }
      }
      break;
    default:
      throw new SqlError('FEATURE_NOT_SUPPORTED', `${command} on ${on.type} is not supported here`, stmt.pos);
  }
  for (const g of stmt.grantees) {
    if (g.type === 'USER' && (!g.name || !ctx.account.users[g.name])) throw new SqlError('UNDEFINED_OBJECT', `user "${g.name}" does not exist`, stmt.pos);
    if (g.type !== 'USER' && g.type !== 'PUBLIC') throw new SqlError('FEATURE_NOT_SUPPORTED', `${command} to ${g.type} is not supported; grant to users or PUBLIC`, stmt.pos);
  }
  const updateColumns = (grants: ColumnGrants) => {
    for (const k of keys) {
      for (const { privilege, columns } of columnPrivs) changeColumnGrants(grants, k, columns, [privilege], add);
      // a table-level REVOKE also takes the privilege off every column (as PostgreSQL)
      if (!add && privs.length) revokeFromAllColumns(grants, k, privs);
    }
  };
  const update = (grants: Grants) => {
    for (const k of keys) {
      const cur = new Set(grants[k] ?? []);
      for (const p of privs) {
        if (add) { cur.add(p); if (withOption) cur.add(grantOption(p)); }
        else if (p === 'ALL') cur.clear();
        else { cur.delete(p); cur.delete(grantOption(p)); }
      }
      if (cur.size) grants[k] = [...cur]; else delete grants[k];
    }
  };
  const ids = new Map(stmt.grantees.filter((g) => g.type === 'USER').map((g) => [g.name!, ctx.account.users[g.name!].id]));
  ctx.txn.apply((s: CatalogState) => {
    const a = s.accounts[account] as typeof s.accounts[string] & { publicGrants?: Grants };
    // a database, schema or model dropped since the statement looked it up gets no grant
    for (const k of keys) if (!k.startsWith('table:') && !grantObjectExists(s.accounts[account], k)) throw new SqlError('UNDEFINED_OBJECT', `${describeGrantKey(ctx.account, k).replace(' (dropped)', '')} was dropped (or dropped and created again) while the statement ran; it gets no grant`);
    for (const g of stmt.grantees) {
      const u = g.type === 'PUBLIC' ? null : sameUser(s, account, g.name!, ids.get(g.name!));
      if (privs.length) update(u ? u.grants : (a.publicGrants ??= {}));
      if (tables.length && (columnPrivs.length || !add)) {
        updateColumns(u ? (u.columnGrants ??= {}) : (a.publicColumnGrants ??= {}));
        if (u && !Object.keys(u.columnGrants!).length) delete u.columnGrants;
        if (!u && !Object.keys(a.publicColumnGrants!).length) delete a.publicColumnGrants;
      }
    }
  }, { ddl: true });
  return done(command);
}

/**
 * The database, schema or model a GRANT/REVOKE names and its grant key, resolved as the session
 * sees it (a 1-part model name through the search path); the object must exist.
 */
function namedObject(ctx: StatementContext, type: 'SCHEMA' | 'DATABASE' | 'MODEL', n: string[], pos: A.Pos): { key: string; owned: Owned } {
  const missing = () => new SqlError('UNDEFINED_OBJECT', `${type.toLowerCase()} "${n.join('.')}" does not exist`, pos);
  const dbs = ctx.account.databases;
  if (type === 'DATABASE') {
    if (n.length !== 1) throw new SqlError('SYNTAX_ERROR', `improper database name (too many dotted names): ${n.join('.')}`, pos);
    if (!dbs[n[0]]) throw missing();
    return { key: databaseKey(dbs[n[0]]), owned: dbs[n[0]] };
  }
  if (type === 'SCHEMA') {
    if (n.length > 2) throw new SqlError('SYNTAX_ERROR', `improper schema name (too many dotted names): ${n.join('.')}`, pos);
    const [database, schema] = n.length === 2 ? n : [ctx.session.database, n[0]];
    const sc = dbs[database]?.schemas[schema];
    if (!sc) throw missing();
    return { key: schemaKey(dbs[database], sc), owned: sc };
  }
  for (const path of n.length === 1 ? ctx.session.searchPath : [undefined]) {
    const at = splitName(n, ctx.session.database, path ?? 'public', pos);
    const db = dbs[at.database];
    const sc = db?.schemas[at.schema];
    // the model is named like any object in its schema: USAGE on the schema first
    if (!sc || !mayLookIn(ctx, db, sc, n.length > 1, pos)) continue;
    const m = sc.models[at.name] as Owned | undefined;
    if (m) return { key: modelKey(m), owned: m };
  }
  throw missing();
}

/** What the engine reads of a model (ml/sql/catalog.ts's ModelEntry) to find it by its functions. */
type ModelFunctions = Owned & { function: string; args?: { type: SqlType }[] };

/** The functions a model adds: fn, fn_prob and fn_explain. */
const functionsOf = (m: ModelFunctions) => [m.function, `${m.function}_prob`, `${m.function}_explain`];

/**
 * The model whose prediction function `n` names (through the search path, or `s.fn`), as
 * GRANT ... ON FUNCTION fn[(types)] resolves it; written argument types must be the model's.
 */
function functionModel(ctx: StatementContext, n: string[], argTypes: A.TypeRef[] | null, pos: A.Pos): { key: string; owned: Owned; what: string } {
  const fn = n[n.length - 1];
  const wanted = argTypes?.map((t) => ctx.binder().exprs.type(t));
  const shown = `${n.join('.')}${wanted ? `(${wanted.map(typeName).join(', ')})` : ''}`;
  for (const path of n.length === 1 ? ctx.session.searchPath : [undefined]) {
    const at = splitName(n, ctx.session.database, path ?? 'public', pos);
    const db = ctx.account.databases[at.database];
    const sc = db?.schemas[at.schema];
    if (!sc || !mayLookIn(ctx, db, sc, n.length > 1, pos)) continue;
    for (const [name, m] of Object.entries(sc.models as Record<string, ModelFunctions>)) {
      if (!functionsOf(m).includes(at.name)) continue;
      const args = (m.args ?? []).map((a) => a.type);
      if (wanted && (wanted.length !== args.length || wanted.some((t, k) => t.id !== args[k].id))) {
        throw new SqlError('UNDEFINED_FUNCTION', `function ${shown} does not exist: model ${at.schema}.${name}'s function is ${at.name}(${args.map(typeName).join(', ')})`, pos);
      }
      return { key: modelKey(m), owned: m, what: `function ${at.schema}.${at.name} (model ${name})` };
    }
  }
  if (n.length === 1 && isScalarFunction(fn)) throw new SqlError('FEATURE_NOT_SUPPORTED', `function ${fn} is built in: everyone may call it, so EXECUTE on it is neither granted nor revoked`, pos);
  throw new SqlError('UNDEFINED_FUNCTION', `function ${shown} does not exist`, pos);
}

/** Every model of a schema, for GRANT ... ON ALL FUNCTIONS IN SCHEMA s. */
function schemaModels(ctx: StatementContext, n: string[], pos: A.Pos): { key: string; owned: Owned; what: string }[] {
  if (n.length > 2) throw new SqlError('SYNTAX_ERROR', `improper schema name (too many dotted names): ${n.join('.')}`, pos);
  const [database, schema] = n.length === 2 ? n : [ctx.session.database, n[0]];
  const db = ctx.account.databases[database];
  const sc = db?.schemas[schema];
  if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${n.join('.')}" does not exist`, pos);
  mayLookIn(ctx, db, sc, true, pos);
  return Object.entries(sc.models as Record<string, ModelFunctions>).map(([name, m]) => ({ key: modelKey(m), owned: m, what: `model ${schema}.${name}` }));
}

/** Column lists go with SELECT, UPDATE or ALL on tables (Redshift's column-level privileges). */
function checkColumnGrant(stmt: A.Grant | A.Revoke, columnPrivs: { privilege: string }[]): void {
  if (stmt.on?.type !== 'TABLE') throw new SqlError('INVALID_PARAMETER', `column lists are for privileges on tables, not on ${stmt.on ? `a ${stmt.on.type.toLowerCase()}` : 'the account'}`, stmt.pos);
  const bad = columnPrivs.find((c) => c.privilege !== 'ALL' && !(COLUMN_PRIVILEGES as readonly string[]).includes(c.privilege));
  if (bad) throw new SqlError('INVALID_PARAMETER', `invalid privilege type ${bad.privilege} for a column: column privileges are SELECT and UPDATE (or ALL)`, stmt.pos);
  if (stmt.kind === 'Grant' && stmt.withGrantOption) throw new SqlError('FEATURE_NOT_SUPPORTED', 'WITH GRANT OPTION is not supported with column privileges; grant on the table', stmt.pos);
}

export const grant = (stmt: A.Grant, ctx: StatementContext) => changeGrants(stmt, ctx, true);
export const revoke = (stmt: A.Revoke, ctx: StatementContext) => changeGrants(stmt, ctx, false);
