// Query grammar: WITH, SELECT blocks, set operations (INTERSECT binds tighter than UNION and
// EXCEPT), FROM lists with joins and subqueries, ORDER BY / LIMIT / OFFSET.

import type { Cte, Expr, JoinType, OrderItem, Query, Select, SelectItem, SetOpKind, TableRef } from './ast.ts';
import { RESERVED, type Cursor } from './cursor.ts';
import type { Token } from './lexer.ts';
import { numberLiteral, parseExpr, parseOrderItems } from './expr.ts';

/** True if the cursor is at the start of a query (SELECT or WITH). */
export function startsQuery(c: Cursor): boolean {
  return c.isKw('select') || c.isKw('with');
}

/** A full query: [WITH ...] set-expression [ORDER BY] [LIMIT] [OFFSET]. */
export function parseQuery(c: Cursor): Query {
  return c.nested(() => {
    const pos = c.pos;
    const ctes = c.isKw('with') ? parseWith(c) : undefined;
    const q = parseUnion(c);
    parseTail(c, q);
    if (ctes) {
      if (q.with) c.failWith('multiple WITH clauses not allowed', c.tokens[c.i - 1]);
      q.with = ctes;
      q.pos = pos;
    }
    return q;
  });
}

function parseWith(c: Cursor): Cte[] {
  c.expectKw('with');
  const recursive = c.acceptKw('recursive');
  return c.list(() => {
    const pos = c.pos;
    const name = c.ident();
    const columns = c.isOp('(') ? c.identList() : undefined;
    c.expectKw('as');
    c.expectOp('(');
    const query = parseQuery(c);
    c.expectOp(')');
    return { kind: 'Cte', pos, name, ...(columns ? { columns } : {}), query, ...(recursive ? { recursive } : {}) };
  });
}

/** ORDER BY / LIMIT / OFFSET after a set expression; they attach to its top node. */
function parseTail(c: Cursor, q: Query): void {
  if (c.isKws('order', 'by')) {
    const t = c.peek();
    c.i += 2;
    const items: OrderItem[] = parseOrderItems(c);
    if (q.orderBy.length) c.failWith('multiple ORDER BY clauses not allowed', t);
    q.orderBy = items;
  }
  // LIMIT and OFFSET may come in either order (PostgreSQL accepts both)
  for (let k = 0; k < 2; k++) {
    if (c.isKw('limit')) {
      const t = c.next();
      const limit = c.acceptKw('all') ? undefined : parseExpr(c);
      if (q.limit) c.failWith('multiple LIMIT clauses not allowed', t);
      if (limit) q.limit = limit;
    } else if (c.isKw('offset')) {
      const t = c.next();
      const offset = parseExpr(c);
      c.acceptOneOf('rows', 'row');
      if (q.offset) c.failWith('multiple OFFSET clauses not allowed', t);
      q.offset = offset;
    }
  }
}

function parseUnion(c: Cursor): Query {
  let left = parseIntersect(c);
  while (c.isKw('union') || c.isKw('except') || c.isKw('minus')) {
    const w = c.next().value;
    const op: SetOpKind = w === 'union' ? 'UNION' : 'EXCEPT';
    const all = setQuantifier(c);
    const right = parseIntersect(c);
    left = { kind: 'SetOp', pos: left.pos, op, all, left, right, orderBy: [] };
  }
  return left;
}

function parseIntersect(c: Cursor): Query {
  let left = parseSetOperand(c);
  while (c.isKw('intersect')) {
    c.next();
    const all = setQuantifier(c);
    const right = parseSetOperand(c);
    left = { kind: 'SetOp', pos: left.pos, op: 'INTERSECT', all, left, right, orderBy: [] };
  }
  return left;
}

function setQuantifier(c: Cursor): boolean {
  if (c.acceptKw('all')) return true;
  c.acceptKw('distinct');
  return false;
}

function parseSetOperand(c: Cursor): Query {
  if (c.isOp('(')) {
    c.next();
    const q = parseQuery(c);
    c.expectOp(')');
    return q;
  }
  if (!c.isKw('select')) c.fail();
  return parseSelect(c);
}

/** Words that end a select item or table reference; a bare word before them is an alias. */
function endsItem(t: Token): boolean {
  if (t.type === 'ident') return RESERVED.has(t.value) || t.value === 'minus';
  return t.type !== 'qident' && t.type !== 'number' && t.type !== 'string' && t.type !== 'param';
}

function parseSelect(c: Cursor): Select {
  const pos = c.pos;
  c.expectKw('select');
  const sel: Select = { kind: 'Select', pos, distinct: false, columns: [], from: [], groupBy: [], orderBy: [] };
  if (c.acceptKw('distinct')) sel.distinct = true;
  else c.acceptKw('all');
  if (c.isKw('top') && c.peek(1).type === 'number') {
    c.next();
    const t = c.next();
    sel.limit = numberLiteral(t.text, t.pos);
  }
  sel.columns = c.list(() => parseSelectItem(c));
  if (c.acceptKw('from')) sel.from = parseFromList(c);
  if (c.acceptKw('where')) sel.where = parseExpr(c);
  if (c.acceptKw('group', 'by')) sel.groupBy = c.list(() => parseGroupItem(c));
  if (c.acceptKw('having')) sel.having = parseExpr(c);
  return sel;
}

/**
 * A GROUP BY item. ROLLUP(...) and CUBE(...) parse as calls; GROUPING SETS ((a, b), a, ())
 * becomes a call named GROUPING_SETS whose arguments are ROW(...) calls, one per set.
 */
function parseGroupItem(c: Cursor): Expr {
  if (!c.isKws('grouping', 'sets')) return parseExpr(c);
  const pos = c.pos;
  c.acceptKw('grouping', 'sets');
  c.expectOp('(');
  const sets = c.list((): Expr => {
    const at = c.pos;
    if (c.acceptOp('(')) {
      const items = c.isOp(')') ? [] : c.list(() => parseExpr(c));
      c.expectOp(')');
      return { kind: 'FunctionCall', pos: at, name: ['row'], args: items, distinct: false, star: false };
    }
    return { kind: 'FunctionCall', pos: at, name: ['row'], args: [parseExpr(c)], distinct: false, star: false };
  });
  c.expectOp(')');
  return { kind: 'FunctionCall', pos, name: ['grouping_sets'], args: sets, distinct: false, star: false };
}

function parseSelectItem(c: Cursor): SelectItem {
  const pos = c.pos;
  if (c.isOp('*')) {
    c.next();
    return { kind: 'SelectItem', pos, expr: { kind: 'Star', pos } };
  }
  const expr: Expr = parseExpr(c);
  const alias = parseAlias(c);
  return { kind: 'SelectItem', pos, expr, ...(alias !== undefined ? { alias } : {}) };
}

/** [AS] alias. A bare alias followed by something that cannot follow it is most likely a
 * misspelled keyword (`SELECT a FORM t`), so the error points at the alias. */
export function parseAlias(c: Cursor, extraEnd?: (t: Token) => boolean): string | undefined {
  if (c.acceptKw('as')) return c.anyIdent();
  if (!c.isIdent() || c.isKw('minus')) return undefined;
  const aliasTok = c.next();
  const after = c.peek();
  if (!endsItem(after) && !(extraEnd && extraEnd(after))) c.fail(aliasTok);
  return aliasTok.value;
}

/** A FROM list: table references separated by commas (each possibly a join chain). */
export function parseFromList(c: Cursor): TableRef[] {
  return c.list(() => parseJoinChain(c));
}

const JOIN_WORDS = new Set(['join', 'inner', 'left', 'right', 'full', 'cross']);

function parseJoinChain(c: Cursor): TableRef {
  let left = parseTablePrimary(c);
  for (;;) {
    const t = c.peek();
    if (t.type !== 'ident' || !JOIN_WORDS.has(t.value)) return left;
    let joinType: JoinType = 'INNER';
    if (c.acceptKw('cross')) joinType = 'CROSS';
    else if (c.acceptKw('inner')) joinType = 'INNER';
    else {
      const side = c.acceptOneOf('left', 'right', 'full');
      if (side) {
        joinType = side.toUpperCase() as JoinType;
        c.acceptKw('outer');
      }
    }
    c.expectKw('join');
    const right = parseTablePrimary(c);
    const join: TableRef = { kind: 'Join', pos: left.pos, joinType, left, right };
    if (joinType !== 'CROSS') {
      if (c.acceptKw('on')) join.on = parseExpr(c);
      else if (c.acceptKw('using')) join.using = c.identList();
      else c.fail();
    }
    left = join;
  }
}

function parseTablePrimary(c: Cursor): TableRef {
  return c.nested(() => {
    const pos = c.pos;
    // LATERAL is a keyword only before a parenthesized query (a table may be named "lateral")
    if (c.isKw('lateral') && c.isOp('(', 1)) {
      c.next();
      if (!looksLikeQuery(c)) c.failWith('LATERAL must be followed by a parenthesized query');
      return { ...parseSubqueryRef(c), pos, lateral: true };
    }
    if (c.isOp('(')) {
      const save = c.i;
      if (looksLikeQuery(c)) {
        try {
          return parseSubqueryRef(c);
        } catch (e) {
          // `((SELECT ...) s JOIN t ON ...)`: a parenthesized join that starts with a subquery
          c.i = save;
          if (!c.isOp('(', 1)) throw e;
        }
      }
      c.next();
      const inner = parseJoinChain(c);
      c.expectOp(')');
      return inner;
    }
    const name = c.name();
    const alias = parseAlias(c, t => t.type === 'op' && t.value === '(');
    const columnAliases = alias !== undefined && c.isOp('(') ? c.identList() : undefined;
    return {
      kind: 'TableName', pos, name, ...(alias !== undefined ? { alias } : {}), ...(columnAliases ? { columnAliases } : {}),
    };
  });
}

function parseSubqueryRef(c: Cursor): TableRef {
  const pos = c.pos;
  c.expectOp('(');
  const query = parseQuery(c);
  c.expectOp(')');
  const alias = parseAlias(c, t => t.type === 'op' && t.value === '(');
  if (alias === undefined) c.failWith('subquery in FROM must have an alias');
  const columnAliases = c.isOp('(') ? c.identList() : undefined;
  return { kind: 'SubqueryRef', pos, query, alias, ...(columnAliases ? { columnAliases } : {}) };
}

/** For `((...` in FROM: skip the opening parens and see whether a SELECT/WITH comes first. */
function looksLikeQuery(c: Cursor): boolean {
  let k = 1;
  while (c.isOp('(', k)) k++;
  return c.isKw('select', k) || c.isKw('with', k);
}
