// Data manipulation and bulk movement: INSERT, UPDATE, DELETE, COPY, UNLOAD.

import { SqlError } from '../errors.ts';
import type {
  Assignment, Compression, Copy, CopyOptions, Delete, Expr, IamRole, Insert, Pos, Query, Unload, UnloadOptions,
  Update, Values,
} from './ast.ts';
import { Cursor } from './cursor.ts';
import { parseExpr } from './expr.ts';
import { positionOf, sourceOffsetInString, type Token } from './lexer.ts';
import { parseAlias, parseFromList, parseQuery, startsQuery } from './query.ts';

/** After INSERT INTO. */
export function parseInsert(c: Cursor, pos: Pos): Insert {
  const table = c.name();
  const columns = c.isOp('(') && c.isIdent(1) ? c.identList() : undefined;
  const base = { kind: 'Insert' as const, pos, table, ...(columns ? { columns } : {}) };
  const spos = c.pos;
  if (c.acceptKw('default', 'values')) return { ...base, source: { kind: 'DefaultValues', pos: spos } };
  if (c.acceptKw('values')) {
    const rows = c.list(() => {
      c.expectOp('(');
      const row: Expr[] = c.list(() => parseExpr(c));
      c.expectOp(')');
      return row;
    });
    const source: Values = { kind: 'Values', pos: spos, rows };
    return { ...base, source };
  }
  if (!startsQuery(c) && !c.isOp('(')) c.fail();
  return { ...base, source: parseQuery(c) };
}

/** After UPDATE. */
export function parseUpdate(c: Cursor, pos: Pos): Update {
  const table = c.name();
  // `UPDATE t SET`: SET is not an alias
  const alias = c.isKw('set') ? undefined : parseAlias(c, t => t.type === 'ident' && t.value === 'set');
  c.expectKw('set');
  const assignments: Assignment[] = c.list(() => {
    const apos = c.pos;
    const column = c.ident();
    c.expectOp('=');
    return { kind: 'Assignment', pos: apos, column, value: parseExpr(c) };
  });
  const from = c.acceptKw('from') ? parseFromList(c) : [];
  const where = c.acceptKw('where') ? parseExpr(c) : undefined;
  return { kind: 'Update', pos, table, ...(alias !== undefined ? { alias } : {}), assignments, from, ...(where ? { where } : {}) };
}

/** After DELETE [FROM]. */
export function parseDelete(c: Cursor, pos: Pos): Delete {
  const table = c.name();
  const alias = parseAlias(c);
  const using = c.acceptKw('using') ? parseFromList(c) : [];
  const where = c.acceptKw('where') ? parseExpr(c) : undefined;
  return { kind: 'Delete', pos, table, ...(alias !== undefined ? { alias } : {}), using, ...(where ? { where } : {}) };
}

/** `IAM_ROLE default | 'arn'` (after the IAM_ROLE keyword). */
export function parseIamRole(c: Cursor): IamRole {
  if (c.acceptKw('default')) return { default: true };
  return { arn: c.string() };
}

/** An option's value after an optional AS: `DELIMITER [AS] ','`. */
function optString(c: Cursor): string {
  c.acceptKw('as');
  return c.string();
}

const COMPRESSIONS = ['gzip', 'bzip2', 'zstd', 'lzop'];

/** After COPY. Options may come in any order; a repeated option is an error. */
export function parseCopy(c: Cursor, pos: Pos): Copy {
  const table = c.name();
  const columns = c.isOp('(') ? c.identList() : undefined;
  c.expectKw('from');
  const from = c.string();
  const o: CopyOptions = {};
  const seen = new Set<string>();
  for (;;) {
    const t = c.peek();
    if (t.type !== 'ident') break;
    let key = t.value;
    if (key === 'with') { c.next(); continue; }
    if (key === 'format' || key === 'csv' || key === 'parquet' || key === 'json' || key === 'orc' || key === 'avro') key = 'format';
    if (COMPRESSIONS.includes(key)) key = 'compression';
    if (seen.has(key)) c.failWith(`conflicting or redundant COPY option "${t.text}"`, t);
    seen.add(key);
    c.next();
    switch (t.value) {
      case 'iam_role': o.iamRole = parseIamRole(c); break;
      case 'credentials': c.acceptKw('as'); o.credentials = c.string(); break;
      case 'format': {
        c.acceptKw('as');
        const f = c.expectOneOf('csv', 'parquet', 'json', 'orc', 'avro');
        o.format = f.toUpperCase() as CopyOptions['format'];
        if (f === 'csv' && c.acceptKw('quote')) { c.acceptKw('as'); o.quote = c.string(); seen.add('quote'); }
        if (f === 'json' && c.peek().type === 'string') o.jsonPaths = c.string();
        break;
      }
      case 'csv':
        o.format = 'CSV';
        if (c.acceptKw('quote')) { c.acceptKw('as'); o.quote = c.string(); seen.add('quote'); }
        break;
      case 'parquet': o.format = 'PARQUET'; break;
      case 'orc': o.format = 'ORC'; break;
      case 'avro': o.format = 'AVRO'; break;
      case 'json':
        c.acceptKw('as');
        o.format = 'JSON';
        if (c.peek().type === 'string') o.jsonPaths = c.string();
        break;
      case 'ignoreheader': c.acceptKw('as'); o.ignoreHeader = c.integer(); break;
      case 'delimiter': o.delimiter = optString(c); break;
      case 'null': o.nullAs = optString(c); break;
      case 'quote': o.quote = optString(c); break;
      case 'region': o.region = optString(c); break;
      case 'dateformat': o.dateFormat = optString(c); break;
      case 'timeformat': o.timeFormat = optString(c); break;
      case 'maxerror': c.acceptKw('as'); o.maxError = c.integer(); break;
      case 'acceptinvchars': c.acceptKw('as'); if (c.peek().type === 'string') o.acceptInvChars = c.string(); else o.acceptInvChars = '?'; break;
      case 'emptyasnull': o.emptyAsNull = true; break;
      case 'blanksasnull': o.blanksAsNull = true; break;
      case 'manifest': o.manifest = true; break;
      case 'removequotes': o.removeQuotes = true; break;
      case 'escape': o.escape = true; break;
      case 'fillrecord': o.fillRecord = true; break;
      case 'trimblanks': o.trimBlanks = true; break;
      case 'truncatecolumns': o.truncateColumns = true; break;
      case 'gzip': case 'bzip2': case 'zstd': case 'lzop': o.compression = t.value.toUpperCase() as Compression; break;
      default: c.fail(t);
    }
  }
  return { kind: 'Copy', pos, table, ...(columns ? { columns } : {}), from, options: o };
}

/** After UNLOAD. The query is a string literal; it is parsed here too, with its positions (and
 * any error's) mapped back to the whole statement's source. */
export function parseUnload(c: Cursor, pos: Pos): Unload {
  c.expectOp('(');
  const strTok = c.peek();
  const queryText = c.string();
  c.expectOp(')');
  const query = parseNestedQuery(c, strTok, queryText);
  c.expectKw('to');
  const to = c.string();
  const o: UnloadOptions = {};
  const seen = new Set<string>();
  for (;;) {
    const t = c.peek();
    if (t.type !== 'ident') break;
    let key = t.value;
    if (key === 'with') { c.next(); continue; }
    if (key === 'csv' || key === 'parquet' || key === 'json') key = 'format';
    if (COMPRESSIONS.includes(key)) key = 'compression';
    if (seen.has(key)) c.failWith(`conflicting or redundant UNLOAD option "${t.text}"`, t);
    seen.add(key);
    c.next();
    switch (t.value) {
      case 'iam_role': o.iamRole = parseIamRole(c); break;
      case 'credentials': c.acceptKw('as'); o.credentials = c.string(); break;
      case 'format':
        c.acceptKw('as');
        o.format = c.expectOneOf('csv', 'parquet', 'json').toUpperCase() as UnloadOptions['format'];
        break;
      case 'csv': case 'parquet': case 'json': o.format = t.value.toUpperCase() as UnloadOptions['format']; break;
      case 'header': o.header = true; break;
      case 'delimiter': o.delimiter = optString(c); break;
      case 'null': o.nullAs = optString(c); break;
      case 'parallel': o.parallel = c.bool(); break;
      case 'allowoverwrite': o.allowOverwrite = true; break;
      case 'manifest': o.manifest = true; break;
      case 'addquotes': o.addQuotes = true; break;
      case 'escape': o.escape = true; break;
      case 'region': o.region = optString(c); break;
      case 'maxfilesize': {
        c.acceptKw('as');
        const n = c.peek();
        if (n.type !== 'number') c.fail();
        c.next();
        const unit = c.expectOneOf('mb', 'gb');
        o.maxFileSize = `${n.text} ${unit.toUpperCase()}`;
        break;
      }
      case 'partition': c.expectKw('by'); o.partitionBy = c.identList(); break;
      case 'gzip': case 'bzip2': case 'zstd': case 'lzop': o.compression = t.value.toUpperCase() as Compression; break;
      default: c.fail(t);
    }
  }
  return { kind: 'Unload', pos, query, queryText, to, options: o };
}

/** Parses SQL held in a string token and re-bases every position onto the outer source. */
function parseNestedQuery(outer: Cursor, tok: Token, text: string): Query {
  const map = (p: Pos): Pos => positionOf(outer.src, sourceOffsetInString(outer.src, tok, p.offset));
  try {
    const inner = new Cursor(text);
    if (!startsQuery(inner) && !inner.isOp('(')) inner.fail();
    const query = parseQuery(inner);
    inner.acceptOp(';');
    if (!inner.atEnd()) inner.fail();
    rebase(query, map);
    return query;
  } catch (e) {
    if (e instanceof SqlError && e.position) {
      const msg = e.message.replace(/ at line \d+, column \d+$/, '');
      throw new SqlError(e.code, `${msg} (in UNLOAD query)`, map(e.position));
    }
    throw e;
  }
}

/** Rewrites every `pos` in a tree (positions are fresh objects per node, so mutate in place). */
function rebase(node: unknown, map: (p: Pos) => Pos, seen = new Set<object>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) { for (const x of node) rebase(x, map, seen); return; }
  const o = node as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === 'pos') o.pos = map(o.pos as Pos);
    else rebase(o[k], map, seen);
  }
}
