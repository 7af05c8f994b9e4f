// Accounts, users, groups and privileges: GRANT / REVOKE in one shape for every object type.

import type { Grant, GrantObject, Grantee, Pos, Revoke, Statement, TypeRef } from './ast.ts';
import { parseType } from './expr.ts';
import type { Cursor } from './cursor.ts';

/** After CREATE USER. */
export function parseCreateUser(c: Cursor, pos: Pos): Statement {
  const name = c.ident();
  c.acceptKw('with');
  if (c.acceptKw('password')) {
    if (c.acceptKw('disable')) return { kind: 'CreateUser', pos, name, passwordDisabled: true };
    return { kind: 'CreateUser', pos, name, password: c.string(), passwordDisabled: false };
  }
  return { kind: 'CreateUser', pos, name, passwordDisabled: false };
}

/** After CREATE GROUP. */
export function parseCreateGroup(c: Cursor, pos: Pos): Statement {
  const name = c.ident();
  const users = c.acceptKw('with', 'user') || c.acceptKw('user') ? c.list(() => c.ident()) : [];
  return { kind: 'CreateGroup', pos, name, users };
}

const PRIVILEGES = ['select', 'insert', 'update', 'delete', 'references', 'all', 'usage', 'create', 'temp', 'temporary', 'execute', 'alter', 'share', 'drop', 'truncate'];

/** Privileges, each with an optional column list (`SELECT (a, b), UPDATE (c)`, as Redshift). */
function parsePrivileges(c: Cursor): { privileges: string[]; columns?: (string[] | null)[] } {
  const columns: (string[] | null)[] = [];
  const privileges = c.list(() => {
    const p = c.expectOneOf(...PRIVILEGES);
    let name = p.toUpperCase();
    if (p === 'all') { c.acceptKw('privileges'); name = 'ALL'; }
    else if (p === 'temporary') name = 'TEMP';
    else if (p === 'create' && c.acceptKw('model')) name = 'CREATE MODEL';
    columns.push(c.isOp('(') ? c.identList() : null);
    return name;
  });
  return columns.some((x) => x) ? { privileges, columns } : { privileges };
}

function parseGrantObject(c: Cursor): GrantObject {
  if (c.acceptKw('all')) {
    const what = c.expectOneOf('tables', 'functions');
    c.expectKw('in', 'schema');
    return { type: what === 'tables' ? 'ALL TABLES IN SCHEMA' : 'ALL FUNCTIONS IN SCHEMA', names: c.list(() => c.name()) };
  }
  const t = c.acceptOneOf('table', 'schema', 'database', 'model', 'datashare', 'function');
  const type = (t ?? 'table').toUpperCase() as GrantObject['type'];
  if (type !== 'FUNCTION') return { type, names: c.list(() => c.name()) };
  // Redshift writes a function with its argument types: ON FUNCTION f(REAL, INT)
  const argTypes: (TypeRef[] | null)[] = [];
  const names = c.list(() => {
    const n = c.name();
    let types: TypeRef[] | null = null;
    if (c.acceptOp('(')) {
      types = c.isOp(')') ? [] : c.list(() => parseType(c));
      c.expectOp(')');
    }
    argTypes.push(types);
    return n;
  });
  return { type, names, ...(argTypes.some((a) => a) ? { argTypes } : {}) };
}

function parseGrantees(c: Cursor): Grantee[] {
  return c.list((): Grantee => {
    if (c.acceptKw('public')) return { type: 'PUBLIC' };
    if (c.acceptKw('group')) return { type: 'GROUP', name: c.ident() };
    if (c.acceptKw('account')) return { type: 'ACCOUNT', name: c.string() };
    if (c.isKw('role') && c.isIdent(1)) { c.next(); return { type: 'ROLE', name: c.ident() }; }
    if (c.isKw('user')) c.next();
    return { type: 'USER', name: c.ident() };
  });
}

/** After GRANT. */
export function parseGrant(c: Cursor, pos: Pos): Grant {
  const { privileges, columns } = parsePrivileges(c);
  const on = c.acceptKw('on') ? parseGrantObject(c) : undefined;
  c.expectKw('to');
  const grantees = parseGrantees(c);
  const withGrantOption = c.acceptKw('with', 'grant', 'option');
  return { kind: 'Grant', pos, privileges, ...(columns ? { columns } : {}), ...(on ? { on } : {}), grantees, withGrantOption };
}

/** After REVOKE. */
export function parseRevoke(c: Cursor, pos: Pos): Revoke {
  c.acceptKw('grant', 'option', 'for');
  const { privileges, columns } = parsePrivileges(c);
  const on = c.acceptKw('on') ? parseGrantObject(c) : undefined;
  c.expectKw('from');
  const grantees = parseGrantees(c);
  const cascade = c.acceptOneOf('cascade', 'restrict') === 'cascade';
  return { kind: 'Revoke', pos, privileges, ...(columns ? { columns } : {}), ...(on ? { on } : {}), grantees, cascade };
}
