// Expression grammar, by precedence climbing with PostgreSQL's levels (lowest first):
// OR, AND, NOT, IS, comparison, BETWEEN/IN/LIKE, ||, + -, * / %, unary + -, ::, primary.
// So `-1::int` is -(1::int) and `NOT a = b` is NOT (a = b), as in Postgres.

import { resolveTypeName } from '../types/types.ts';
import type {
  BinaryOp, Expr, FrameBound, FunctionCall, Literal, OrderItem, Pos, TypeRef, WindowFrame, WindowSpec,
} from './ast.ts';
import type { Cursor } from './cursor.ts';
import { parseQuery, startsQuery } from './query.ts';

export function parseExpr(c: Cursor): Expr {
  return c.nested(() => parseOr(c));
}

function parseOr(c: Cursor): Expr {
  let left = parseAnd(c);
  while (c.isKw('or')) {
    c.next();
    left = { kind: 'Binary', pos: left.pos, op: 'OR', left, right: parseAnd(c) };
  }
  return left;
}

function parseAnd(c: Cursor): Expr {
  let left = parseNot(c);
  while (c.isKw('and')) {
    c.next();
    left = { kind: 'Binary', pos: left.pos, op: 'AND', left, right: parseNot(c) };
  }
  return left;
}

function parseNot(c: Cursor): Expr {
  if (!c.isKw('not')) return parseIs(c);
  const pos = c.next().pos;
  const existsAt = c.isKw('exists') ? c.pos.offset : -1;
  const operand = c.nested(() => parseNot(c));
  // NOT EXISTS (...) is one node, as the binder wants an anti-join marker
  if (operand.kind === 'Exists' && !operand.negated && operand.pos.offset === existsAt) {
    return { ...operand, pos, negated: true };
  }
  return { kind: 'Unary', pos, op: 'NOT', operand };
}

function parseIs(c: Cursor): Expr {
  let e = parseComparison(c);
  while (c.isKw('is')) {
    c.next();
    const negated = c.acceptKw('not');
    const w = c.expectOneOf('null', 'true', 'false');
    e = w === 'null'
      ? { kind: 'IsNull', pos: e.pos, expr: e, negated }
      : { kind: 'IsBool', pos: e.pos, expr: e, value: w === 'true', negated };
  }
  return e;
}

const COMPARISON: Record<string, BinaryOp> = { '=': '=', '<>': '<>', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

function parseComparison(c: Cursor): Expr {
  let left = parsePredicate(c);
  for (;;) {
    const t = c.peek();
    const op = t.type === 'op' ? COMPARISON[t.value] : undefined;
    if (!op) return left;
    c.next();
    // x op ANY|SOME|ALL (subquery)
    if ((c.isKw('any') || c.isKw('some') || c.isKw('all')) && c.isOp('(', 1)) {
      const quantifier = c.next().value === 'all' ? 'ALL' : 'ANY';
      c.expectOp('(');
      const query = parseQuery(c);
      c.expectOp(')');
      left = { kind: 'Quantified', pos: left.pos, op, quantifier, expr: left, query };
      continue;
    }
    left = { kind: 'Binary', pos: left.pos, op, left, right: parsePredicate(c) };
  }
}

/** [NOT] BETWEEN / IN / LIKE / ILIKE: not associative, one per level as in Postgres. */
function parsePredicate(c: Cursor): Expr {
  const expr = parseConcat(c);
  const k = c.isKw('not') ? 1 : 0;
  const t = c.peek(k);
  if (t.type !== 'ident') return expr;
  const word = t.value;
  if (word !== 'between' && word !== 'in' && word !== 'like' && word !== 'ilike') return expr;
  const negated = k === 1;
  c.i += k + 1;
  const pos = expr.pos;
  if (word === 'between') {
    const low = parseConcat(c);
    c.expectKw('and');
    const high = parseConcat(c);
    return { kind: 'Between', pos, expr, low, high, negated };
  }
  if (word === 'in') {
    c.expectOp('(');
    if (startsQuery(c)) {
      const query = parseQuery(c);
      c.expectOp(')');
      return { kind: 'InSubquery', pos, expr, query, negated };
    }
    if (c.isOp('(')) {
      // `IN ((SELECT ...) UNION ...)` is a subquery; `IN ((1), 2)` a list
      const save = c.i;
      try {
        const query = parseQuery(c);
        c.expectOp(')');
        return { kind: 'InSubquery', pos, expr, query, negated };
      } catch {
        c.i = save;
      }
    }
    const list = c.list(() => parseExpr(c));
    c.expectOp(')');
    return { kind: 'InList', pos, expr, list, negated };
  }
  const pattern = parseConcat(c);
  const escape = c.acceptKw('escape') ? parseConcat(c) : undefined;
  return {
    kind: 'Like', pos, expr, pattern, ...(escape ? { escape } : {}), negated, caseInsensitive: word === 'ilike',
  };
}

function parseConcat(c: Cursor): Expr {
  let left = parseAdditive(c);
  while (c.isOp('||')) {
    c.next();
    left = { kind: 'Binary', pos: left.pos, op: '||', left, right: parseAdditive(c) };
  }
  return left;
}

function parseAdditive(c: Cursor): Expr {
  let left = parseMultiplicative(c);
  while (c.isOp('+') || c.isOp('-')) {
    const op = c.next().value as '+' | '-';
    left = { kind: 'Binary', pos: left.pos, op, left, right: parseMultiplicative(c) };
  }
  return left;
}

function parseMultiplicative(c: Cursor): Expr {
  let left = parseUnary(c);
  while (c.isOp('*') || c.isOp('/') || c.isOp('%')) {
    const op = c.next().value as '*' | '/' | '%';
    left = { kind: 'Binary', pos: left.pos, op, left, right: parseUnary(c) };
  }
  return left;
}

function parseUnary(c: Cursor): Expr {
  if (c.isOp('-') || c.isOp('+')) {
    const t = c.next();
    return { kind: 'Unary', pos: t.pos, op: t.value as '-' | '+', operand: c.nested(() => parseUnary(c)) };
  }
  let e = parsePrimary(c);
  while (c.isOp('::')) {
    c.next();
    e = { kind: 'Cast', pos: e.pos, expr: e, type: parseType(c), syntax: 'colon' };
  }
  return e;
}

/** Functions written without parentheses (SQL-standard niladic functions). */
const NILADIC = new Set([
  'current_date', 'current_time', 'current_timestamp', 'localtime', 'localtimestamp', 'sysdate',
  'current_user', 'session_user', 'user',
]);
/** Words that start a typed literal like DATE '2020-01-01' besides the names resolveTypeName knows. */
const LITERAL_TYPES = new Set(['date', 'time', 'timestamp', 'timestamptz', 'timetz']);
const INTERVAL_UNITS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second']);

function parsePrimary(c: Cursor): Expr {
  const t = c.peek();
  const pos = t.pos;
  switch (t.type) {
    case 'number': {
      c.next();
      return numberLiteral(t.text, pos);
    }
    case 'string':
      c.next();
      return { kind: 'Literal', pos, value: t.value, literalType: 'string', text: t.value };
    case 'param':
      c.next();
      return { kind: 'Parameter', pos, index: Number(t.value) };
    case 'op':
      if (t.value === '(') return parseParenthesized(c);
      return c.fail();
    case 'qident':
      return parseNameOrCall(c);
    case 'ident':
      return parseWord(c);
    default:
      return c.fail();
  }
}

/** A literal from number text: integer, decimal (has a point) or float (has an exponent). */
export function numberLiteral(text: string, pos: Pos): Literal {
  const literalType = /[eE]/.test(text) ? 'float' : text.includes('.') ? 'decimal' : 'integer';
  return { kind: 'Literal', pos, value: Number(text), literalType, text };
}

function parseParenthesized(c: Cursor): Expr {
  const pos = c.pos;
  c.expectOp('(');
  if (startsQuery(c)) {
    const query = parseQuery(c);
    c.expectOp(')');
    return { kind: 'Subquery', pos, query };
  }
  if (c.isOp('(')) {
    // `((SELECT 1) UNION (SELECT 2))` or `((a + b) * c)`: try the query reading first
    const save = c.i;
    try {
      const query = parseQuery(c);
      c.expectOp(')');
      return { kind: 'Subquery', pos, query };
    } catch {
      c.i = save;
    }
  }
  const e = parseExpr(c);
  c.expectOp(')');
  return e;
}

function parseWord(c: Cursor): Expr {
  const t = c.peek();
  const pos = t.pos;
  const w = t.value;
  const next = c.peek(1);
  const callFollows = next.type === 'op' && next.value === '(';
  switch (w) {
    case 'null': c.next(); return { kind: 'Literal', pos, value: null, literalType: 'null', text: 'NULL' };
    case 'true': c.next(); return { kind: 'Literal', pos, value: true, literalType: 'boolean', text: 'TRUE' };
    case 'false': c.next(); return { kind: 'Literal', pos, value: false, literalType: 'boolean', text: 'FALSE' };
    case 'default': c.next(); return { kind: 'Default', pos };
    case 'case': return parseCase(c);
    case 'cast': {
      c.next();
      c.expectOp('(');
      const expr = parseExpr(c);
      c.expectKw('as');
      const type = parseType(c);
      c.expectOp(')');
      return { kind: 'Cast', pos, expr, type, syntax: 'cast' };
    }
    case 'exists':
      if (callFollows) {
        c.next();
        c.expectOp('(');
        const query = parseQuery(c);
        c.expectOp(')');
        return { kind: 'Exists', pos, query, negated: false };
      }
      break;
    case 'interval':
      if (next.type === 'string') {
        c.i += 2;
        const unit = parseIntervalUnit(c);
        return { kind: 'Interval', pos, value: next.value, ...(unit ? { unit } : {}) };
      }
      break;
    case 'extract': if (callFollows) return parseExtract(c); break;
    case 'position': if (callFollows) return parsePosition(c); break;
    case 'substring': if (callFollows) return parseSubstring(c); break;
    case 'trim': if (callFollows) return parseTrim(c); break;
    case 'left': case 'right':
      if (callFollows) return parseNameOrCall(c, true);
      break;
    case 'approximate':
      // Redshift's APPROXIMATE COUNT(DISTINCT x)
      if (next.type === 'ident' && next.value === 'count' && c.peek(2).type === 'op' && c.peek(2).value === '(') {
        c.next();
        const fn = parseNameOrCall(c) as FunctionCall;
        return { ...fn, pos, approximate: true };
      }
      break;
  }
  if (NILADIC.has(w) && !callFollows) {
    c.next();
    return call(pos, [w], [], { noParens: true });
  }
  const typedLiteral = next.type === 'string'
    ? LITERAL_TYPES.has(w) || resolveTypeName(w) !== null
    : w === 'double' && c.isKw('precision', 1) && c.peek(2).type === 'string';
  if (typedLiteral) {
    const typeName = parseType(c);
    const value = c.string();
    return { kind: 'TypedLiteral', pos, typeName, value };
  }
  return parseNameOrCall(c);
}

function call(pos: Pos, name: string[], args: Expr[], extra: Partial<FunctionCall> = {}): FunctionCall {
  return { kind: 'FunctionCall', pos, name, args, distinct: false, star: false, ...extra };
}

function parseIntervalUnit(c: Cursor): string | undefined {
  const t = c.peek();
  if (t.type !== 'ident' || !INTERVAL_UNITS.has(t.value)) return undefined;
  c.next();
  // the standard's leading field precision, DAY (3): digits allowed in the leading field, which
  // the value's own range already bounds
  if (c.isOp('(') && c.peek(1).type === 'number' && c.isOp(')', 2)) c.i += 3;
  if (c.isKw('to') && c.peek(1).type === 'ident' && INTERVAL_UNITS.has(c.peek(1).value)) {
    c.next();
    return `${t.value} to ${c.next().value}`;
  }
  return t.value;
}

/** A column reference, `t.*`, or a function call with its modifiers and OVER clause. */
function parseNameOrCall(c: Cursor, reservedOk = false): Expr {
  const pos = c.pos;
  const parts = [reservedOk ? c.anyIdent() : c.ident()];
  while (c.isOp('.')) {
    const n = c.peek(1);
    if (n.type === 'op' && n.value === '*') {
      c.i += 2;
      return { kind: 'Star', pos, table: parts };
    }
    if (n.type !== 'ident' && n.type !== 'qident') c.fail(n);
    c.next();
    parts.push(c.anyIdent());
  }
  // fn@3(...) / fn@alias(...): a model function pinned to a version or alias
  let version: string | undefined;
  if (c.isOp('@')) {
    c.next();
    version = c.peek().type === 'number' ? String(c.integer()) : c.anyIdent();
    if (!c.isOp('(')) c.fail();
  }
  if (!c.isOp('(')) return { kind: 'ColumnRef', pos, name: parts };
  c.next();
  const fn = call(pos, parts, []);
  if (version !== undefined) fn.version = version;
  if (c.acceptOp('*')) {
    fn.star = true;
  } else if (!c.isOp(')')) {
    if (c.acceptKw('distinct')) fn.distinct = true;
    else c.acceptKw('all');
    fn.args = c.list(() => parseExpr(c));
    if (c.acceptKw('ignore', 'nulls')) fn.ignoreNulls = true;
    else if (c.acceptKw('respect', 'nulls')) fn.ignoreNulls = false;
  }
  c.expectOp(')');
  if (c.acceptKw('within', 'group')) {
    c.expectOp('(');
    c.expectKw('order', 'by');
    fn.withinGroup = parseOrderItems(c);
    c.expectOp(')');
  }
  if (c.acceptKw('over')) fn.over = parseWindowSpec(c);
  return fn;
}

function parseCase(c: Cursor): Expr {
  const pos = c.next().pos;
  const operand = c.isKw('when') ? undefined : parseExpr(c);
  const whens: { when: Expr; then: Expr }[] = [];
  while (c.acceptKw('when')) {
    const when = parseExpr(c);
    c.expectKw('then');
    whens.push({ when, then: parseExpr(c) });
  }
  if (whens.length === 0) c.fail();
  const otherwise = c.acceptKw('else') ? parseExpr(c) : undefined;
  c.expectKw('end');
  return {
    kind: 'Case', pos, ...(operand ? { operand } : {}), whens, ...(otherwise ? { else: otherwise } : {}),
  };
}

function parseExtract(c: Cursor): Expr {
  const pos = c.next().pos;
  c.expectOp('(');
  const t = c.peek();
  if (t.type !== 'ident' && t.type !== 'qident' && t.type !== 'string') c.fail();
  c.next();
  const field = t.value.toLowerCase();
  c.expectKw('from');
  const expr = parseExpr(c);
  c.expectOp(')');
  return { kind: 'Extract', pos, field, expr };
}

/** POSITION(sub IN str) -> position(sub, str) */
function parsePosition(c: Cursor): Expr {
  const pos = c.next().pos;
  c.expectOp('(');
  const sub = parseConcat(c);
  c.expectKw('in');
  const str = parseConcat(c);
  c.expectOp(')');
  return call(pos, ['position'], [sub, str]);
}

/** SUBSTRING(x FROM a [FOR b]) / SUBSTRING(x FOR b) / substring(x, a, b) -> substring(x, a[, b]) */
function parseSubstring(c: Cursor): Expr {
  const pos = c.next().pos;
  c.expectOp('(');
  const x = parseExpr(c);
  const args = [x];
  if (c.acceptOp(',')) {
    args.push(...c.list(() => parseExpr(c)));
  } else if (c.acceptKw('from')) {
    args.push(parseExpr(c));
    if (c.acceptKw('for')) args.push(parseExpr(c));
  } else if (c.isKw('for')) {
    const one = { kind: 'Literal', pos: c.pos, value: 1, literalType: 'integer', text: '1' } as const;
    c.next();
    args.push(one, parseExpr(c));
  }
  c.expectOp(')');
  return call(pos, ['substring'], args);
}

/** TRIM([BOTH|LEADING|TRAILING] [chars] FROM x) / TRIM(x) -> btrim|ltrim|rtrim(x[, chars]) */
function parseTrim(c: Cursor): Expr {
  const pos = c.next().pos;
  c.expectOp('(');
  const side = c.acceptOneOf('both', 'leading', 'trailing') ?? 'both';
  const name = side === 'leading' ? 'ltrim' : side === 'trailing' ? 'rtrim' : 'btrim';
  let args: Expr[];
  if (c.acceptKw('from')) {
    args = [parseExpr(c)];
  } else {
    const first = parseExpr(c);
    if (c.acceptKw('from')) args = [parseExpr(c), first];
    else if (c.acceptOp(',')) args = [first, parseExpr(c)];
    else args = [first];
  }
  c.expectOp(')');
  return call(pos, [name], args);
}

/** ORDER BY items: expr [ASC|DESC] [NULLS FIRST|LAST]. */
export function parseOrderItems(c: Cursor): OrderItem[] {
  return c.list(() => {
    const pos = c.pos;
    const expr = parseExpr(c);
    const desc = c.acceptOneOf('asc', 'desc') === 'desc';
    let nullsFirst: boolean | undefined;
    if (c.acceptKw('nulls')) nullsFirst = c.expectOneOf('first', 'last') === 'first';
    return { kind: 'OrderItem', pos, expr, desc, ...(nullsFirst !== undefined ? { nullsFirst } : {}) };
  });
}

/** `( [PARTITION BY ...] [ORDER BY ...] [ROWS|RANGE frame] )` after OVER. */
export function parseWindowSpec(c: Cursor): WindowSpec {
  const pos = c.pos;
  c.expectOp('(');
  const spec: WindowSpec = { kind: 'WindowSpec', pos, partitionBy: [], orderBy: [] };
  if (c.acceptKw('partition', 'by')) spec.partitionBy = c.list(() => parseExpr(c));
  if (c.acceptKw('order', 'by')) spec.orderBy = parseOrderItems(c);
  if (c.isKw('rows') || c.isKw('range')) spec.frame = parseFrame(c);
  c.expectOp(')');
  return spec;
}

function parseFrame(c: Cursor): WindowFrame {
  const pos = c.pos;
  const units = c.next().value.toUpperCase() as 'ROWS' | 'RANGE';
  if (c.acceptKw('between')) {
    const start = parseFrameBound(c);
    c.expectKw('and');
    return { kind: 'WindowFrame', pos, units, start, end: parseFrameBound(c) };
  }
  return { kind: 'WindowFrame', pos, units, start: parseFrameBound(c) };
}

function parseFrameBound(c: Cursor): FrameBound {
  const pos = c.pos;
  if (c.acceptKw('unbounded')) {
    const dir = c.expectOneOf('preceding', 'following');
    return { kind: 'FrameBound', pos, type: dir === 'preceding' ? 'UNBOUNDED PRECEDING' : 'UNBOUNDED FOLLOWING' };
  }
  if (c.acceptKw('current', 'row')) return { kind: 'FrameBound', pos, type: 'CURRENT ROW' };
  const offset = parseConcat(c);
  const dir = c.expectOneOf('preceding', 'following');
  return { kind: 'FrameBound', pos, type: dir === 'preceding' ? 'PRECEDING' : 'FOLLOWING', offset };
}

/** A type name: words (DOUBLE PRECISION, CHARACTER VARYING, TIMESTAMP WITH TIME ZONE) and
 * optional (n[, m]); VARCHAR(MAX) is 65535. The name is canonicalized via resolveTypeName. */
export function parseType(c: Cursor): TypeRef {
  const t = c.peek();
  if (t.type !== 'ident') c.fail();
  c.next();
  const words = [t.value];
  if (t.value === 'double' && c.acceptKw('precision')) words.push('precision');
  else if ((t.value === 'character' || t.value === 'char' || t.value === 'national') && c.isKw('varying')) {
    c.next();
    words.push('varying');
  }
  let params = parseTypeParams(c);
  if (t.value === 'timestamp' || t.value === 'time') {
    const zone = c.isKws('with', 'time', 'zone') ? 'with' : c.isKws('without', 'time', 'zone') ? 'without' : '';
    if (zone) {
      c.i += 3;
      words.push(zone, 'time', 'zone');
      if (params.length === 0) params = parseTypeParams(c);
    }
  }
  const written = words.join(' ').toUpperCase();
  const resolved = resolveTypeName(written);
  return { kind: 'TypeRef', pos: t.pos, name: resolved ? resolved.id : written, params };
}

function parseTypeParams(c: Cursor): number[] {
  if (!c.isOp('(')) return [];
  c.next();
  const params = c.list(() => (c.acceptKw('max') ? 65535 : c.number()));
  c.expectOp(')');
  return params;
}
