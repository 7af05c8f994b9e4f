// Session and maintenance statements: SHOW, SET, RESET, DESCRIBE, VACUUM, ANALYZE.

import type { Pos, SetVariable, Statement } from './ast.ts';
import type { Cursor } from './cursor.ts';
import { parseShowModel, parseShowMonitor } from './ml.ts';
import { parseDescribeDatashare } from './sharing.ts';

/** After SHOW. */
export function parseShow(c: Cursor, pos: Pos): Statement {
  if (c.acceptKw('tables')) {
    if (c.acceptKw('from', 'schema')) {
      const name = c.name();
      // FROM SCHEMA db.s names both
      if (name.length > 2) c.fail();
      return name.length === 2
        ? { kind: 'ShowTables', pos, database: name[0], schema: name[1] }
        : { kind: 'ShowTables', pos, schema: name[0] };
    }
    if (c.acceptKw('from', 'database')) {
      const database = c.ident();
      const schema = c.acceptKw('schema') ? c.ident() : undefined;
      return { kind: 'ShowTables', pos, database, ...(schema !== undefined ? { schema } : {}) };
    }
    return { kind: 'ShowTables', pos };
  }
  if (c.acceptKw('schemas')) {
    const database = c.acceptKw('from', 'database') ? c.ident() : undefined;
    return { kind: 'ShowSchemas', pos, ...(database !== undefined ? { database } : {}) };
  }
  if (c.acceptKw('databases')) return { kind: 'ShowDatabases', pos };
  if (c.acceptKw('columns')) {
    c.expectKw('from');
    c.acceptKw('table');
    return { kind: 'ShowColumns', pos, table: c.name() };
  }
  if (c.acceptKw('model')) return parseShowModel(c, pos);
  if (c.acceptKw('monitor')) return parseShowMonitor(c, pos, false);
  if (c.acceptKw('monitors')) return parseShowMonitor(c, pos, true);
  if (c.acceptKw('datashares')) {
    const like = c.acceptKw('like') ? c.string() : undefined;
    return { kind: 'ShowDatashares', pos, ...(like !== undefined ? { like } : {}) };
  }
  if (c.acceptKw('products')) return { kind: 'ShowProducts', pos };
  if (c.acceptKw('subscriptions')) return { kind: 'ShowSubscriptions', pos };
  if (c.acceptKw('subscribers')) {
    const product = c.acceptKw('for', 'product') ? c.ident() : undefined;
    return { kind: 'ShowSubscribers', pos, ...(product !== undefined ? { product } : {}) };
  }
  if (c.acceptKw('all')) return { kind: 'Show', pos, name: 'all' };
  return { kind: 'Show', pos, name: settingName(c) };
}

/** A setting name: word or dotted words (`search_path`, `analyze.threshold`). */
function settingName(c: Cursor): string {
  return c.name().join('.');
}

/** After SET [SESSION|LOCAL]. */
export function parseSet(c: Cursor, pos: Pos): SetVariable {
  c.acceptOneOf('session', 'local');
  const name = settingName(c);
  if (!c.acceptOp('=')) c.expectKw('to');
  if (c.acceptKw('default')) return { kind: 'SetVariable', pos, name, values: [], toDefault: true };
  const values = c.list((): string | number => {
    const t = c.peek();
    if (t.type === 'string') return c.string();
    if (t.type === 'number' || c.isOp('-') || c.isOp('+')) return c.number();
    if (t.type === 'ident' || t.type === 'qident') return c.next().value;
    return c.fail();
  });
  return { kind: 'SetVariable', pos, name, values, toDefault: false };
}

/** After RESET. */
export function parseReset(c: Cursor, pos: Pos): Statement {
  return { kind: 'Reset', pos, name: c.acceptKw('all') ? 'all' : settingName(c) };
}

/** After DESCRIBE / DESC. */
export function parseDescribe(c: Cursor, pos: Pos): Statement {
  if (c.acceptKw('datashare')) return parseDescribeDatashare(c, pos);
  c.acceptKw('table');
  return { kind: 'Describe', pos, name: c.name() };
}

/** After VACUUM: [FULL | DELETE ONLY | SORT ONLY | REINDEX] [table] [TO n PERCENT]. */
export function parseVacuum(c: Cursor, pos: Pos): Statement {
  let mode: 'FULL' | 'DELETE ONLY' | 'SORT ONLY' | 'REINDEX' | undefined;
  if (c.acceptKw('full')) mode = 'FULL';
  else if (c.acceptKw('delete', 'only')) mode = 'DELETE ONLY';
  else if (c.acceptKw('sort', 'only')) mode = 'SORT ONLY';
  else if (c.acceptKw('reindex')) mode = 'REINDEX';
  const table = c.isIdent() ? c.name() : undefined;
  let toPercent: number | undefined;
  if (c.acceptKw('to')) {
    toPercent = c.integer();
    c.expectKw('percent');
  }
  return {
    kind: 'Vacuum', pos, ...(mode ? { mode } : {}), ...(table ? { table } : {}),
    ...(toPercent !== undefined ? { toPercent } : {}),
  };
}

/** After ANALYZE: [table [(cols)]]. */
export function parseAnalyze(c: Cursor, pos: Pos): Statement {
  c.acceptKw('verbose');
  if (!c.isIdent()) return { kind: 'Analyze', pos };
  const table = c.name();
  const columns = c.isOp('(') ? c.identList() : undefined;
  return { kind: 'Analyze', pos, table, ...(columns ? { columns } : {}) };
}
