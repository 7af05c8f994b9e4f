// Producer statements: CREATE / ALTER / DROP DATASHARE and GRANT / REVOKE on a datashare. All of
// them change catalog metadata only; nothing is copied.
import { entryForUser, type Owned } from '../engine/catalog/owners.ts';
import type * as A from '../engine/sql/ast.ts';
import type { Result } from '../engine/result.ts';
import type { StatementContext } from '../engine/session/context.ts';
import type { CatalogState, SchemaState } from '../engine/catalog/catalog.ts';
import { done } from '../engine/session/session.ts';
import { SqlError } from '../engine/errors.ts';
import { grantOption, hasTablePrivilege, hasViewPrivilege, mayLookIn } from '../engine/session/privileges.ts';
import { audience, emitShareEvent } from './events.ts';
import {
  findShare, mutableSharing, objectName, rememberRemoved, shareIn, sharing,
  type DatashareState, type ShareObject, type ShareObjectType,
} from './state.ts';

const NAME_RE = /^[a-z_][a-z0-9_$]{0,126}$/i;

/** The session account's datashare `name`, or UNDEFINED_OBJECT. */
export function ownShare(ctx: StatementContext, name: string, pos?: A.Pos): DatashareState {
  const s = findShare(ctx.state, ctx.session.account, name);
  if (!s) throw new SqlError('UNDEFINED_OBJECT', `datashare "${name}" does not exist`, pos);
  return s;
}

/** Owner, superuser, or a user granted `privilege` (ALTER or SHARE) on the share. */
export function checkSharePrivilege(ctx: StatementContext, share: DatashareState, privilege: 'ALTER' | 'SHARE', pos?: A.Pos): void {
  if (ctx.isSuperuser || ctx.owns(share)) return;
  const held = entryForUser(ctx.state, ctx.session.account, share.userGrants, { name: ctx.session.user, id: ctx.userId }) ?? [];
  if (held.includes(privilege) || held.includes('ALL')) return;
  throw new SqlError('PERMISSION_DENIED', `permission denied for datashare ${share.name}: only its owner or a user granted ${privilege} can do this`, pos);
}

export async function createDatashare(stmt: A.CreateDatashare, ctx: StatementContext): Promise<Result> {
  const { account, database } = ctx.session;
  if (!NAME_RE.test(stmt.name)) throw new SqlError('INVALID_PARAMETER', `invalid datashare name "${stmt.name}"`, stmt.pos);
  const db = ctx.currentDatabase();
  if (db.fromShare) throw new SqlError('READ_ONLY', `database "${db.name}" was created from a datashare; datashares are created in local databases`, stmt.pos);
  if (!ctx.isSuperuser && !ctx.owns(db)) throw new SqlError('PERMISSION_DENIED', `permission denied to create datashare: must be a superuser or the owner of database ${db.name}`, stmt.pos);
  if (findShare(ctx.state, account, stmt.name)) throw new SqlError('DUPLICATE_OBJECT', `datashare "${stmt.name}" already exists`, stmt.pos);
  const share: DatashareState = {
    name: stmt.name, producer: account, ...ctx.ownerRef, database, createdAt: ctx.now().toISOString(),
    publicAccessible: stmt.publicAccessible ?? false, managedByExchange: stmt.managedByExchange,
    objects: [], removed: [], includeNew: [], consumers: {}, userGrants: {},
  };
  ctx.txn.apply((s) => {
    const mine = (mutableSharing(s).shares[account] ??= {});
    if (mine[stmt.name]) throw new SqlError('DUPLICATE_OBJECT', `datashare "${stmt.name}" already exists`);
    mine[stmt.name] = structuredClone(share);
  }, { ddl: true });
  return done('CREATE DATASHARE');
}

export async function dropDatashare(stmt: A.DropDatashare, ctx: StatementContext): Promise<Result> {
  const account = ctx.session.account;
  const share = findShare(ctx.state, account, stmt.name);
  if (!share) {
    if (stmt.ifExists) return done('DROP DATASHARE');
    throw new SqlError('UNDEFINED_OBJECT', `datashare "${stmt.name}" does not exist`, stmt.pos);
  }
  if (!ctx.isSuperuser && !ctx.owns(share)) throw new SqlError('PERMISSION_DENIED', `must be owner of datashare ${share.name}`, stmt.pos);
  const product = Object.values(sharing(ctx.state).products[account] ?? {}).find((p) => p.datashare === share.name);
  if (product) throw new SqlError('INVALID_PARAMETER', `datashare "${share.name}" is published as product "${product.name}"; DROP PRODUCT ${product.name} first`, stmt.pos);
  const before = audience(ctx.state, share, ctx.now());
  ctx.txn.apply((s) => { delete mutableSharing(s).shares[account]?.[stmt.name]; }, { ddl: true });
  ctx.txn.afterCommit.push(() => {
    for (const consumer of before.filter((a) => a !== account)) {
      emitShareEvent(ctx.db, { type: 'ACCESS_REVOKED', datashare: share.name, producer: account, consumer, accounts: [account, consumer] });
    }
  });
  return done('DROP DATASHARE');
}

/** A schema of the share's database, by name: the user must be able to use it (USAGE) to share from it. */
function schemaOf(ctx: StatementContext, share: DatashareState, name: string, pos: A.Pos): SchemaState {
  const db = ctx.account.databases[share.database];
  const sc = db?.schemas[name];
  if (!sc) throw new SqlError('UNDEFINED_OBJECT', `schema "${name}" does not exist in database ${share.database}`, pos);
  mayLookIn(ctx, db, sc, true, pos);
  return sc;
}

/** Splits an object name into (schema, name) inside the share's database. */
function objectPath(ctx: StatementContext, share: DatashareState, n: A.Name, pos: A.Pos): { schema: string; name: string } {
  if (n.length === 3 && n[0] !== share.database) throw new SqlError('INVALID_PARAMETER', `datashare ${share.name} holds objects of database ${share.database}, not ${n[0]}`, pos);
  if (n.length > 3) throw new SqlError('SYNTAX_ERROR', `improper qualified name: ${n.join('.')}`, pos);
  const name = n[n.length - 1];
  if (n.length >= 2) return { schema: n[n.length - 2], name };
  const db = ctx.account.databases[share.database];
  const schema = ctx.session.searchPath.find((s) => db?.schemas[s]?.tables[name] || db?.schemas[s]?.views[name] || db?.schemas[s]?.models[name]) ?? ctx.session.searchPath[0] ?? 'public';
  return { schema, name };
}

/** The share objects an ADD names (validated against the producer's catalog). */
function objectsToAdd(ctx: StatementContext, share: DatashareState, type: A.DatashareObjectType, names: A.Name[], versions: (string | null)[] | undefined, pos: A.Pos): ShareObject[] {
  const at = ctx.now().toISOString();
  const out: ShareObject[] = [];
  const checked: SchemaState[] = [];
  const schemaObj = (schema: string): ShareObject => ({ type: 'SCHEMA', schema, name: schema, addedAt: at });
  for (const [i, n] of names.entries()) {
    if (type === 'SCHEMA' || type === 'ALL TABLES IN SCHEMA' || type === 'ALL FUNCTIONS IN SCHEMA') {
      const sc = schemaOf(ctx, share, n[n.length - 1], pos);
      checked.push(sc);
      out.push(schemaObj(sc.name));
      if (type === 'ALL TABLES IN SCHEMA') for (const t of Object.values(sc.tables)) out.push({ type: 'TABLE', schema: sc.name, name: t.name, id: t.id, addedAt: at });
      if (type === 'ALL FUNCTIONS IN SCHEMA') for (const m of Object.keys(sc.models)) out.push({ type: 'MODEL', schema: sc.name, name: m, addedAt: at });
      continue;
    }
    const p = objectPath(ctx, share, n, pos);
    const sc = schemaOf(ctx, share, p.schema, pos);
    out.push(schemaObj(sc.name));
    const full = `${p.schema}.${p.name}`;
    checked.push(sc);
    if (type === 'TABLE') {
      const t = sc.tables[p.name];
      if (!t) throw new SqlError(sc.views[p.name] ? 'INVALID_PARAMETER' : 'UNDEFINED_TABLE', sc.views[p.name] ? `"${full}" is a view; use ADD VIEW` : `relation "${full}" does not exist`, pos);
      out.push({ type: 'TABLE', schema: p.schema, name: p.name, id: t.id, addedAt: at });
    } else if (type === 'VIEW') {
      if (!sc.views[p.name]) throw new SqlError('UNDEFINED_TABLE', `view "${full}" does not exist`, pos);
      out.push({ type: 'VIEW', schema: p.schema, name: p.name, addedAt: at });
    } else if (type === 'MODEL') {
      const entry = sc.models[p.name] as { function?: string } | undefined;
      if (!entry) throw new SqlError('UNDEFINED_OBJECT', `model "${full}" does not exist`, pos);
      const version = versions?.[i] ?? null;
      // a pinned version must exist and be READY now (the ML extension says so, naming what exists)
      if (version !== null && !ctx.db.hooks.modelFunction(ctx, [share.database, p.schema, `${entry.function}@${version}`], pos)) {
        throw new SqlError('UNDEFINED_OBJECT', `model "${full}" has no function to call version ${version} by`, pos);
      }
      out.push({ type: 'MODEL', schema: p.schema, name: p.name, ...(version !== null ? { version } : {}), addedAt: at });
    } else {
      out.push({ type: 'FUNCTION', schema: p.schema, name: p.name, addedAt: at });
    }
  }
  const schemas = new Map(checked.map((sc) => [sc.name, sc]));
  for (const o of out) checkMayShare(ctx, share, schemas.get(o.schema)!, o, pos);
  return out;
}

/**
 * Adding an object to a share publishes it to other accounts, so (as in Redshift and PostgreSQL)
 * only its owner may, or for a table or view a user holding SELECT WITH GRANT OPTION. A schema alone is
 * a namespace; its objects are checked one by one.
 */
function checkMayShare(ctx: StatementContext, share: DatashareState, sc: SchemaState, o: ShareObject, pos: A.Pos): void {
  if (ctx.isSuperuser || o.type === 'SCHEMA') return;
  const me = ctx.session.user;
  const models = Object.values(sc.models) as (Owned & { name?: string; function?: string })[];
  const owned = (x: Owned | undefined) => x !== undefined && ctx.owns(x);
  const allowed =
    o.type === 'TABLE' ? hasTablePrivilege(ctx, sc.tables[o.name], grantOption('SELECT'))
    : o.type === 'VIEW' ? hasViewPrivilege(ctx, sc.views[o.name], grantOption('SELECT'))
    : o.type === 'MODEL' ? owned(sc.models[o.name] as Owned | undefined)
    : models.some((m) => m.function === o.name && owned(m));
  if (!allowed) {
    throw new SqlError('PERMISSION_DENIED', `permission denied to add ${o.type.toLowerCase()} ${o.schema}.${o.name} to datashare ${share.name}: user "${me}" must own it${o.type === 'TABLE' || o.type === 'VIEW' ? ' or hold SELECT WITH GRANT OPTION on it' : ''}`, pos);
  }
}

const same = (a: { type: ShareObjectType; schema: string; name: string; id?: string; version?: string }, b: typeof a) =>
  a.type === b.type && a.schema === b.schema && (a.id !== undefined && b.id !== undefined ? a.id === b.id : a.name === b.name) && a.version === b.version;

/** Adds objects to a share inside a state (idempotent). */
function addObjects(share: DatashareState, objs: ShareObject[]): void {
  for (const o of objs) {
    if (share.objects.some((x) => same(x, o))) continue;
    share.objects.push(structuredClone(o));
    share.removed = share.removed.filter((r) => !(r.type === o.type && r.schema === o.schema && r.name === o.name && r.version === o.version));
  }
}

export async function alterDatashare(stmt: A.AlterDatashare, ctx: StatementContext): Promise<Result> {
  const account = ctx.session.account;
  const share = ownShare(ctx, stmt.name, stmt.pos);
  checkSharePrivilege(ctx, share, 'ALTER', stmt.pos);
  const a = stmt.action;
  const at = ctx.now().toISOString();
  let changed: string[] = [];
  const mutate = (f: (sh: DatashareState, s: CatalogState) => void) => ctx.txn.apply((s) => f(shareIn(s, account, share.name), s), { ddl: true });
  switch (a.kind) {
    case 'DatashareSetPublicAccessible':
      mutate((sh) => { sh.publicAccessible = a.value; });
      break;
    case 'DatashareSetIncludeNew': {
      const sc = schemaOf(ctx, share, a.schema, stmt.pos);
      // tables created in the schema later join the share: only the schema's owner may decide that
      if (a.value && !ctx.isSuperuser && !ctx.owns(sc)) throw new SqlError('PERMISSION_DENIED', `permission denied to set INCLUDENEW for schema ${sc.name} on datashare ${share.name}: user "${ctx.session.user}" must own the schema`, stmt.pos);
      changed = [sc.name];
      mutate((sh) => {
        if (a.value) addObjects(sh, [{ type: 'SCHEMA', schema: sc.name, name: sc.name, addedAt: at }]);
        sh.includeNew = a.value ? [...new Set([...sh.includeNew, sc.name])] : sh.includeNew.filter((x) => x !== sc.name);
      });
      break;
    }
    case 'DatashareObjects':
      if (a.op === 'ADD') {
        const objs = objectsToAdd(ctx, share, a.objectType, a.names, a.versions, stmt.pos);
        changed = objs.filter((o) => o.type !== 'SCHEMA' || a.objectType === 'SCHEMA').map(objectName);
        mutate((sh) => addObjects(sh, objs));
      } else {
        const drop = objectsToRemove(ctx, share, a.objectType, a.names, a.versions, stmt.pos);
        changed = drop.map(objectName);
        mutate((sh) => {
          for (const o of drop) {
            const i = sh.objects.findIndex((x) => same(x, o));
            if (i < 0) continue;
            rememberRemoved(sh, sh.objects[i], at);
            sh.objects.splice(i, 1);
            if (o.type === 'SCHEMA') sh.includeNew = sh.includeNew.filter((x) => x !== o.schema);
          }
        });
      }
      break;
  }
  ctx.txn.afterCommit.push((version, state) => {
    const sh = findShare(state, account, share.name);
    if (sh) emitShareEvent(ctx.db, { type: 'SHARE_UPDATED', datashare: sh.name, producer: account, version, objects: changed, accounts: audience(state, sh, ctx.now()) });
  });
  return done('ALTER DATASHARE');
}

/** The share objects a REMOVE names; removing a schema removes everything in it. */
function objectsToRemove(ctx: StatementContext, share: DatashareState, type: A.DatashareObjectType, names: A.Name[], versions: (string | null)[] | undefined, pos: A.Pos): ShareObject[] {
  const out: ShareObject[] = [];
  for (const [i, n] of names.entries()) {
    if (type === 'SCHEMA' || type === 'ALL TABLES IN SCHEMA' || type === 'ALL FUNCTIONS IN SCHEMA') {
      const schema = n[n.length - 1];
      const kinds: ShareObjectType[] = type === 'SCHEMA' ? ['SCHEMA', 'TABLE', 'VIEW', 'MODEL', 'FUNCTION'] : type === 'ALL TABLES IN SCHEMA' ? ['TABLE'] : ['MODEL', 'FUNCTION'];
      const hit = share.objects.filter((o) => o.schema === schema && kinds.includes(o.type));
      if (!hit.length) throw new SqlError('UNDEFINED_OBJECT', `schema "${schema}" is not in datashare ${share.name}`, pos);
      out.push(...hit);
      continue;
    }
    const p = objectPath(ctx, share, n, pos);
    const t = type === 'TABLE' ? ctx.account.databases[share.database]?.schemas[p.schema]?.tables[p.name] : undefined;
    const version = versions?.[i] ?? undefined;
    const hit = share.objects.find((o) => o.type === type && o.schema === p.schema && (t ? o.id === t.id : o.name === p.name) && o.version === version);
    if (!hit) throw new SqlError('UNDEFINED_OBJECT', `${type.toLowerCase()} "${objectName({ type, schema: p.schema, name: p.name, version })}" is not in datashare ${share.name}`, pos);
    out.push(hit);
  }
  return out;
}

/** GRANT/REVOKE on a datashare: USAGE to accounts, ALTER/SHARE to the producer's users. */
export async function grantOnDatashare(stmt: A.Grant | A.Revoke, ctx: StatementContext): Promise<Result> {
  const add = stmt.kind === 'Grant';
  const command = add ? 'GRANT' : 'REVOKE';
  const account = ctx.session.account;
  const privs = stmt.privileges.map((p) => p.toUpperCase());
  for (const n of stmt.on!.names) {
    const share = ownShare(ctx, n[n.length - 1], stmt.pos);
    for (const g of stmt.grantees) {
      if (g.type === 'ACCOUNT') {
        if (privs.some((p) => p !== 'USAGE')) throw new SqlError('INVALID_PARAMETER', `only USAGE on a datashare can be granted to an account`, stmt.pos);
        accountUsage(ctx, share, g.name ?? '', add, stmt.pos);
      } else if (g.type === 'USER') {
        if (!ctx.isSuperuser && !ctx.owns(share)) throw new SqlError('PERMISSION_DENIED', `must be owner of datashare ${share.name} to ${command} on it`, stmt.pos);
        const grantee = g.name ? ctx.account.users[g.name] : undefined;
        if (!grantee?.id) throw new SqlError('UNDEFINED_OBJECT', `user "${g.name}" does not exist`, stmt.pos);
        for (const p of privs) if (!['ALTER', 'SHARE', 'ALL'].includes(p)) throw new SqlError('INVALID_PARAMETER', `invalid privilege ${p} on a datashare for a user (ALTER, SHARE or ALL)`, stmt.pos);
        const { name: user, id } = grantee;
        // keyed by the grantee's id: a re-created namesake holds none of it
        ctx.txn.apply((s) => {
          if (s.accounts[account]?.users[user]?.id !== id) throw new SqlError('UNDEFINED_OBJECT', `user "${user}" no longer exists`);
          const sh = shareIn(s, account, share.name);
          const cur = new Set(entryForUser(s, account, sh.userGrants, grantee) ?? []);
          for (const p of privs) (add ? cur.add(p) : p === 'ALL' ? cur.clear() : cur.delete(p));
          delete sh.userGrants[user];
          if (cur.size) sh.userGrants[id] = [...cur]; else delete sh.userGrants[id];
        }, { ddl: true });
      } else {
        throw new SqlError('FEATURE_NOT_SUPPORTED', `${command} on a datashare goes to ACCOUNT 'name' or to a user, not ${g.type}`, stmt.pos);
      }
    }
  }
  return done(command);
}

function accountUsage(ctx: StatementContext, share: DatashareState, consumer: string, add: boolean, pos: A.Pos): void {
  const account = ctx.session.account;
  checkSharePrivilege(ctx, share, 'SHARE', pos);
  if (share.managedByExchange) throw new SqlError('INVALID_PARAMETER', `datashare ${share.name} is managed by the data exchange: access comes from product subscriptions only`, pos);
  if (consumer === account) throw new SqlError('INVALID_PARAMETER', `datashare ${share.name} belongs to account "${account}"; grant it to another account`, pos);
  if (add && !ctx.state.accounts[consumer]) throw new SqlError('UNDEFINED_OBJECT', `account "${consumer}" does not exist`, pos);
  if (!add && !share.consumers[consumer]) return;
  const grantedAt = ctx.now().toISOString();
  ctx.txn.apply((s) => {
    const sh = shareIn(s, account, share.name);
    if (add) sh.consumers[consumer] ??= { grantedAt, grantedBy: ctx.session.user };
    else delete sh.consumers[consumer];
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => emitShareEvent(ctx.db, { type: add ? 'ACCESS_GRANTED' : 'ACCESS_REVOKED', datashare: share.name, producer: account, consumer, accounts: [account, consumer] }));
}

/** INCLUDENEW: a table created in a schema some share includes new tables of joins that share. */
export function onTableCreated(ctx: StatementContext, database: string, schema: string, name: string): void {
  const account = ctx.session.account;
  const shares = Object.values(sharing(ctx.state).shares[account] ?? {}).filter((sh) => sh.database === database && sh.includeNew.includes(schema));
  if (!shares.length) return;
  const at = ctx.now().toISOString();
  ctx.txn.apply((s) => {
    const t = s.accounts[account]?.databases[database]?.schemas[schema]?.tables[name];
    if (!t) return;
    for (const sh of shares) {
      const live = mutableSharing(s).shares[account]?.[sh.name];
      if (live && live.includeNew.includes(schema)) addObjects(live, [{ type: 'TABLE', schema, name, id: t.id, addedAt: at }]);
    }
  }, { ddl: true });
  // SHARE_UPDATED follows from the commit event (the new table is in the commit's table set)
}
