// Data sharing and the data exchange: datashares, products, subscriptions.

import type { AlterDatashare, CreateDatashare, CreateProduct, DatashareObjectType, Pos, Statement } from './ast.ts';
import type { Cursor } from './cursor.ts';

/** After CREATE DATASHARE. */
export function parseCreateDatashare(c: Cursor, pos: Pos): CreateDatashare {
  const stmt: CreateDatashare = { kind: 'CreateDatashare', pos, name: c.ident(), managedByExchange: false };
  for (;;) {
    if (c.isKw('set') && c.isKw('publicaccessible', 1)) c.next();
    if (c.acceptKw('publicaccessible')) {
      if (stmt.publicAccessible !== undefined) c.fail(c.tokens[c.i - 1]);
      c.acceptOp('=');
      stmt.publicAccessible = c.bool();
    } else if (c.acceptKw('managedby')) {
      c.expectKw('exchange');
      stmt.managedByExchange = true;
    } else return stmt;
  }
}

/** After ALTER DATASHARE. */
export function parseAlterDatashare(c: Cursor, pos: Pos): AlterDatashare {
  const name = c.ident();
  if (c.acceptKw('set')) {
    if (c.acceptKw('publicaccessible')) {
      c.acceptOp('=');
      return { kind: 'AlterDatashare', pos, name, action: { kind: 'DatashareSetPublicAccessible', value: c.bool() } };
    }
    c.expectKw('includenew');
    c.acceptOp('=');
    const value = c.bool();
    c.expectKw('for', 'schema');
    return { kind: 'AlterDatashare', pos, name, action: { kind: 'DatashareSetIncludeNew', value, schema: c.ident() } };
  }
  const op = c.expectOneOf('add', 'remove').toUpperCase() as 'ADD' | 'REMOVE';
  let objectType: DatashareObjectType;
  if (c.acceptKw('all')) {
    const what = c.expectOneOf('tables', 'functions');
    c.expectKw('in', 'schema');
    objectType = what === 'tables' ? 'ALL TABLES IN SCHEMA' : 'ALL FUNCTIONS IN SCHEMA';
  } else {
    objectType = c.expectOneOf('schema', 'table', 'view', 'function', 'model').toUpperCase() as DatashareObjectType;
  }
  if (objectType === 'MODEL') {
    // MODEL m@2 / m@alias: a pinned version, as in the call fn@2(...)
    const versions: (string | null)[] = [];
    const names = c.list(() => {
      const n = c.name();
      versions.push(c.acceptOp('@') ? (c.peek().type === 'number' ? String(c.integer()) : c.anyIdent()) : null);
      return n;
    });
    return { kind: 'AlterDatashare', pos, name, action: { kind: 'DatashareObjects', op, objectType, names, ...(versions.some((v) => v !== null) ? { versions } : {}) } };
  }
  const names = c.list(() => c.name());
  return { kind: 'AlterDatashare', pos, name, action: { kind: 'DatashareObjects', op, objectType, names } };
}

/** After DESC|DESCRIBE DATASHARE. */
export function parseDescribeDatashare(c: Cursor, pos: Pos): Statement {
  const name = c.ident();
  let account: string | undefined;
  let namespace: string | undefined;
  if (c.acceptKw('of')) {
    if (c.acceptKw('account')) account = c.string();
    if (c.acceptKw('namespace')) namespace = c.string();
    if (account === undefined && namespace === undefined) c.fail();
  }
  return {
    kind: 'DescribeDatashare', pos, name,
    ...(account !== undefined ? { account } : {}), ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** After CREATE PRODUCT: FROM DATASHARE s TITLE 't' [DESCRIPTION 'd'] TERM n MONTHS [PRICE 'p'];
 * the clauses after FROM DATASHARE may come in any order. */
export function parseCreateProduct(c: Cursor, pos: Pos): CreateProduct {
  const name = c.ident();
  c.expectKw('from', 'datashare');
  const datashare = c.ident();
  let title: string | undefined;
  let description: string | undefined;
  let termMonths: number | undefined;
  let price: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const t = c.peek();
    if (t.type !== 'ident' || !['title', 'description', 'term', 'price'].includes(t.value)) break;
    if (seen.has(t.value)) c.fail(t);
    seen.add(t.value);
    c.next();
    if (t.value === 'title') title = c.string();
    else if (t.value === 'description') description = c.string();
    else if (t.value === 'price') price = c.string();
    else {
      termMonths = c.integer();
      c.expectOneOf('months', 'month');
    }
  }
  if (title === undefined || termMonths === undefined) c.fail();
  return {
    kind: 'CreateProduct', pos, name, datashare, title,
    ...(description !== undefined ? { description } : {}), termMonths, ...(price !== undefined ? { price } : {}),
  };
}

/** After SUBSCRIBE TO PRODUCT / CANCEL SUBSCRIPTION TO PRODUCT: name OF ACCOUNT 'producer'. */
export function parseSubscription(c: Cursor, pos: Pos, kind: 'Subscribe' | 'CancelSubscription'): Statement {
  const product = c.ident();
  c.expectKw('of', 'account');
  return { kind, pos, product, account: c.string() };
}
