// Entry points of the SQL front end: `parse` for a `;`-separated script, `parseOne` for exactly
// one statement. Dispatches on the leading keywords to the grammar modules. Only SqlError escapes.

import { asSqlError, SqlError } from '../errors.ts';
import type { Pos, Statement } from './ast.ts';
import { Cursor } from './cursor.ts';
import { parseAlterTable, parseCreateTable, parseCreateView, parseDropRelations, parseSchemaOrDatabase } from './ddl.ts';
import { parseCopy, parseDelete, parseInsert, parseUnload, parseUpdate } from './dml.ts';
import { parseAlterModel, parseAlterMonitor, parseCreateModel, parseCreateMonitor, parseDropModel, parseExportModel, parseImportModel } from './ml.ts';
import { parseQuery, startsQuery } from './query.ts';
import { parseAnalyze, parseDescribe, parseReset, parseSet, parseShow, parseVacuum } from './session.ts';
import {
  parseAlterDatashare, parseCreateDatashare, parseCreateProduct, parseSubscription,
} from './sharing.ts';
import { parseCreateGroup, parseCreateUser, parseGrant, parseRevoke } from './access.ts';

/** Parses a script of `;`-separated statements (empty statements are skipped). */
export function parse(sql: string): Statement[] {
  return guard(() => {
    const c = new Cursor(sql);
    const out: Statement[] = [];
    for (;;) {
      while (c.acceptOp(';'));
      if (c.atEnd()) return out;
      out.push(parseStatement(c));
      if (!c.atEnd() && !c.isOp(';')) c.fail();
    }
  });
}

/** Parses exactly one statement (a trailing `;` is allowed). */
export function parseOne(sql: string): Statement {
  return guard(() => {
    const c = new Cursor(sql);
    while (c.acceptOp(';'));
    if (c.atEnd()) c.failWith('empty statement');
    const s = parseStatement(c);
    while (c.acceptOp(';'));
    if (!c.atEnd()) c.failWith(`expected one statement, found more at or near "${c.peek().text}"`);
    return s;
  });
}

/** Turns anything unexpected (a bug, stack exhaustion) into a SqlError so callers see one type. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SqlError) throw e;
    if (e instanceof RangeError) throw new SqlError('SYNTAX_ERROR', 'statement is too deeply nested');
    throw asSqlError(e);
  }
}

/** One statement at the cursor, stopping before `;` or the end. */
export function parseStatement(c: Cursor): Statement {
  const first = c.peek();
  const pos = first.pos;
  if (startsQuery(c) || c.isOp('(')) return { kind: 'Query', pos, query: parseQuery(c) };
  if (first.type !== 'ident') c.fail();
  c.next();
  switch (first.value) {
    case 'create': return parseCreate(c, pos);
    case 'reindex': throw new SqlError('FEATURE_NOT_SUPPORTED', `REINDEX is not supported: ${UNSUPPORTED_OBJECTS.index}`, pos);
    case 'drop': return parseDrop(c, pos);
    case 'alter':
      if (c.acceptKw('table')) return parseAlterTable(c, pos);
      if (c.acceptKw('model')) return parseAlterModel(c, pos);
      if (c.acceptKw('monitor')) return parseAlterMonitor(c, pos);
      c.expectKw('datashare');
      return parseAlterDatashare(c, pos);
    case 'export': return parseExportModel(c, pos);
    case 'import': return parseImportModel(c, pos);
    case 'run': c.expectKw('monitor'); return { kind: 'RunMonitor', pos, name: c.name() };
    case 'truncate':
      c.acceptKw('table');
      return { kind: 'Truncate', pos, name: c.name() };
    case 'insert': c.expectKw('into'); return parseInsert(c, pos);
    case 'update': return parseUpdate(c, pos);
    case 'delete': c.acceptKw('from'); return parseDelete(c, pos);
    case 'copy': return parseCopy(c, pos);
    case 'unload': return parseUnload(c, pos);
    case 'begin': c.acceptOneOf('transaction', 'work'); return { kind: 'Begin', pos };
    case 'start': c.expectKw('transaction'); return { kind: 'Begin', pos };
    case 'commit': case 'end': c.acceptOneOf('transaction', 'work'); return { kind: 'Commit', pos };
    case 'rollback': case 'abort': c.acceptOneOf('transaction', 'work'); return { kind: 'Rollback', pos };
    case 'show': return parseShow(c, pos);
    case 'set': return parseSet(c, pos);
    case 'reset': return parseReset(c, pos);
    case 'describe': case 'desc': return parseDescribe(c, pos);
    case 'explain': {
      const analyze = c.acceptOneOf('analyze', 'analyse') !== undefined;
      const verbose = c.acceptKw('verbose');
      const statement = c.nested(() => parseStatement(c));
      return { kind: 'Explain', pos, analyze, verbose, statement };
    }
    case 'vacuum': return parseVacuum(c, pos);
    case 'analyze': case 'analyse': return parseAnalyze(c, pos);
    case 'grant': return parseGrant(c, pos);
    case 'revoke': return parseRevoke(c, pos);
    case 'subscribe':
      c.expectKw('to', 'product');
      return parseSubscription(c, pos, 'Subscribe');
    case 'cancel':
      c.expectKw('subscription', 'to', 'product');
      return parseSubscription(c, pos, 'CancelSubscription');
  }
  return c.fail(first);
}

function parseCreate(c: Cursor, pos: Pos): Statement {
  if (c.acceptKw('or', 'replace')) {
    if (c.acceptKw('model')) return parseCreateModel(c, pos, true);
    c.expectKw('view');
    return parseCreateView(c, pos, true);
  }
  const temporary = c.acceptKw('local') ? (c.expectOneOf('temp', 'temporary'), true) : c.acceptOneOf('temp', 'temporary') !== undefined;
  if (temporary) {
    c.expectKw('table');
    return parseCreateTable(c, pos, true);
  }
  unsupportedObject(c, pos, 'CREATE');
  const what = c.expectOneOf('table', 'schema', 'database', 'view', 'model', 'monitor', 'datashare', 'product', 'account', 'user', 'group');
  switch (what) {
    case 'table': return parseCreateTable(c, pos, false);
    case 'monitor': return parseCreateMonitor(c, pos);
    case 'schema': case 'database': return parseSchemaOrDatabase(c, pos, 'create', what);
    case 'view': return parseCreateView(c, pos, false);
    case 'model': return parseCreateModel(c, pos);
    case 'datashare': return parseCreateDatashare(c, pos);
    case 'product': return parseCreateProduct(c, pos);
    case 'account': return { kind: 'CreateAccount', pos, name: c.ident() };
    case 'user': return parseCreateUser(c, pos);
    default: return parseCreateGroup(c, pos);
  }
}

/**
 * Objects Redshift does not have (indexes, triggers): a clear FEATURE_NOT_SUPPORTED naming the
 * alternative instead of a syntax error.
 */
const UNSUPPORTED_OBJECTS: Record<string, string> = {
  index: 'Redshift has no indexes; SORTKEY orders a table so zone maps skip blocks, DISTKEY places rows for joins',
  trigger: 'Redshift has no triggers',
  rule: 'Redshift has no rewrite rules',
};

function unsupportedObject(c: Cursor, pos: Pos, verb: string): void {
  const k = c.isKw('unique') ? 1 : 0;
  const t = c.peek(k);
  if (t.type !== 'ident' || !UNSUPPORTED_OBJECTS[t.value]) return;
  throw new SqlError('FEATURE_NOT_SUPPORTED', `${verb} ${t.value.toUpperCase()} is not supported: ${UNSUPPORTED_OBJECTS[t.value]}`, pos);
}

function parseDrop(c: Cursor, pos: Pos): Statement {
  unsupportedObject(c, pos, 'DROP');
  const what = c.expectOneOf('table', 'schema', 'database', 'view', 'model', 'monitor', 'datashare', 'product', 'account', 'user', 'group');
  switch (what) {
    case 'table': return parseDropRelations(c, pos, 'DropTable');
    case 'monitor': {
      const ifExists = c.acceptKw('if', 'exists');
      return { kind: 'DropMonitor', pos, name: c.name(), ifExists };
    }
    case 'view': return parseDropRelations(c, pos, 'DropView');
    case 'schema': case 'database': return parseSchemaOrDatabase(c, pos, 'drop', what);
    case 'model': return parseDropModel(c, pos);
    case 'user': {
      const ifExists = c.acceptKw('if', 'exists');
      return { kind: 'DropUser', pos, names: c.list(() => c.ident()), ifExists };
    }
  }
  const ifExists = c.acceptKw('if', 'exists');
  const name = c.ident();
  switch (what) {
    case 'datashare': return { kind: 'DropDatashare', pos, name, ifExists };
    case 'product': return { kind: 'DropProduct', pos, name, ifExists };
    case 'account': return { kind: 'DropAccount', pos, name, ifExists };
    default: return { kind: 'DropGroup', pos, name, ifExists };
  }
}
