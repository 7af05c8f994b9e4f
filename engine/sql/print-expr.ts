// Prints expressions, queries and table references back to SQL. Parentheses are added from the
// parser's precedence levels, so printing and re-parsing gives the same tree.

import type { Expr, FrameBound, Name, OrderItem, Query, SetOp, TableRef, TypeRef, WindowSpec } from './ast.ts';
import { RESERVED } from './cursor.ts';

/** Words the parser gives a special meaning in expressions; quoted when they are plain names. */
const SPECIAL = new Set(['interval', 'extract', 'position', 'substring', 'trim', 'exists', 'top', 'minus', 'set', 'over']);
const PLAIN_IDENT = /^[a-z_][a-z0-9_$]*$/;

/** An identifier, quoted when it would not read back as itself. */
export function quoteIdent(s: string): string {
  if (PLAIN_IDENT.test(s) && !RESERVED.has(s) && !SPECIAL.has(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}
export function printName(name: Name): string {
  return name.map(quoteIdent).join('.');
}
/** A standard string literal ('' doubles a quote; no backslash escapes). */
export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
export function printType(t: TypeRef): string {
  return t.params.length ? `${t.name}(${t.params.join(',')})` : t.name;
}

// precedence levels, matching expr.ts (higher binds tighter)
const P = { or: 1, and: 2, not: 3, is: 4, cmp: 5, pred: 6, concat: 7, add: 8, mul: 9, unary: 10, cast: 11, primary: 12 };

const BINARY_PREC: Record<string, number> = {
  OR: P.or, AND: P.and, '=': P.cmp, '<>': P.cmp, '<': P.cmp, '<=': P.cmp, '>': P.cmp, '>=': P.cmp,
  '||': P.concat, '+': P.add, '-': P.add, '*': P.mul, '/': P.mul, '%': P.mul,
};

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'Binary': return BINARY_PREC[e.op];
    case 'Unary': return e.op === 'NOT' ? P.not : P.unary;
    case 'IsNull': case 'IsBool': return P.is;
    case 'Between': case 'InList': case 'InSubquery': case 'Like': return P.pred;
    case 'Quantified': return P.cmp;
    case 'Exists': return e.negated ? P.not : P.primary;
    case 'Cast': return e.syntax === 'colon' ? P.cast : P.primary;
    default: return P.primary;
  }
}

/** Prints an expression as SQL. */
export function printExpr(e: Expr): string {
  return expr(e, 0);
}

/** Prints `e`, parenthesized if it binds looser than `min`. */
function expr(e: Expr, min: number): string {
  const s = exprText(e);
  return precedence(e) < min ? `(${s})` : s;
}

const not = (negated: boolean) => (negated ? 'NOT ' : '');

function exprText(e: Expr): string {
  switch (e.kind) {
    case 'Literal':
      if (e.literalType === 'string') return quoteString(String(e.value));
      if (e.literalType === 'null') return 'NULL';
      if (e.literalType === 'boolean') return e.value ? 'TRUE' : 'FALSE';
      return e.text;
    case 'TypedLiteral': return `${printType(e.typeName)} ${quoteString(e.value)}`;
    case 'Interval': return `INTERVAL ${quoteString(e.value)}${e.unit ? ` ${e.unit.toUpperCase()}` : ''}`;
    case 'ColumnRef': return printName(e.name);
    case 'Star': return e.table ? `${printName(e.table)}.*` : '*';
    case 'Parameter': return `$${e.index}`;
    case 'Default': return 'DEFAULT';
    case 'Unary': {
      if (e.op === 'NOT') {
        const inner = e.operand.kind === 'Exists' && !e.operand.negated ? `(${exprText(e.operand)})` : expr(e.operand, P.not);
        return `NOT ${inner}`;
      }
      const inner = expr(e.operand, P.unary);
      return inner.startsWith('-') || inner.startsWith('+') ? `${e.op} ${inner}` : `${e.op}${inner}`;
    }
    case 'Binary': {
      const p = BINARY_PREC[e.op];
      return `${expr(e.left, p)} ${e.op} ${expr(e.right, p + 1)}`;
    }
    case 'FunctionCall': return printCall(e);
    case 'Cast':
      return e.syntax === 'colon'
        ? `${expr(e.expr, P.cast)}::${printType(e.type)}`
        : `CAST(${printExpr(e.expr)} AS ${printType(e.type)})`;
    case 'Case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(printExpr(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${printExpr(w.when)} THEN ${printExpr(w.then)}`);
      if (e.else) parts.push(`ELSE ${printExpr(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'InList':
      return `${expr(e.expr, P.concat)} ${not(e.negated)}IN (${e.list.map(printExpr).join(', ')})`;
    case 'InSubquery':
      return `${expr(e.expr, P.concat)} ${not(e.negated)}IN (${printQuery(e.query)})`;
    case 'Quantified':
      return `${expr(e.expr, P.concat)} ${e.op} ${e.quantifier} (${printQuery(e.query)})`;
    case 'Exists': return `${not(e.negated)}EXISTS (${printQuery(e.query)})`;
    case 'Subquery': return `(${printQuery(e.query)})`;
    case 'Between':
      return `${expr(e.expr, P.concat)} ${not(e.negated)}BETWEEN ${expr(e.low, P.concat)} AND ${expr(e.high, P.concat)}`;
    case 'Like': {
      const op = e.caseInsensitive ? 'ILIKE' : 'LIKE';
      const esc = e.escape ? ` ESCAPE ${expr(e.escape, P.concat)}` : '';
      return `${expr(e.expr, P.concat)} ${not(e.negated)}${op} ${expr(e.pattern, P.concat)}${esc}`;
    }
    case 'IsNull': return `${expr(e.expr, P.is)} IS ${not(e.negated)}NULL`;
    case 'IsBool': return `${expr(e.expr, P.is)} IS ${not(e.negated)}${e.value ? 'TRUE' : 'FALSE'}`;
    case 'Extract': return `EXTRACT(${quoteIdent(e.field)} FROM ${printExpr(e.expr)})`;
  }
}

const RESERVED_FUNCTIONS = new Set(['left', 'right']);

function printCall(e: Extract<Expr, { kind: 'FunctionCall' }>): string {
  if (e.noParens && e.name.length === 1) return e.name[0];
  if (e.name.length === 1 && e.name[0] === 'grouping_sets' && !e.over) {
    return `GROUPING SETS (${e.args.map((set) => `(${set.kind === 'FunctionCall' ? set.args.map(printExpr).join(', ') : printExpr(set)})`).join(', ')})`;
  }
  const plain = e.name.length === 1 && !e.approximate && !e.distinct && !e.star && !e.over && !e.withinGroup && e.ignoreNulls === undefined;
  if (plain && e.name[0] === 'position' && e.args.length === 2) {
    return `POSITION(${expr(e.args[0], P.concat)} IN ${expr(e.args[1], P.concat)})`;
  }
  const name = e.name.length === 1 && (RESERVED_FUNCTIONS.has(e.name[0]) || e.name[0] === 'substring')
    ? e.name[0]
    : printName(e.name);
  let args = e.star ? '*' : `${e.distinct ? 'DISTINCT ' : ''}${e.args.map(printExpr).join(', ')}`;
  if (e.ignoreNulls !== undefined) args += e.ignoreNulls ? ' IGNORE NULLS' : ' RESPECT NULLS';
  let s = `${e.approximate ? 'APPROXIMATE ' : ''}${name}${e.version !== undefined ? `@${/^\d+$/.test(e.version) ? e.version : quoteIdent(e.version)}` : ''}(${args})`;
  if (e.withinGroup) s += ` WITHIN GROUP (ORDER BY ${printOrderItems(e.withinGroup)})`;
  if (e.over) s += ` OVER ${printWindowSpec(e.over)}`;
  return s;
}

export function printOrderItems(items: OrderItem[]): string {
  return items.map(o => {
    let s = printExpr(o.expr);
    if (o.desc) s += ' DESC';
    if (o.nullsFirst !== undefined) s += o.nullsFirst ? ' NULLS FIRST' : ' NULLS LAST';
    return s;
  }).join(', ');
}

function printWindowSpec(w: WindowSpec): string {
  const parts: string[] = [];
  if (w.partitionBy.length) parts.push(`PARTITION BY ${w.partitionBy.map(printExpr).join(', ')}`);
  if (w.orderBy.length) parts.push(`ORDER BY ${printOrderItems(w.orderBy)}`);
  if (w.frame) {
    const f = w.frame;
    parts.push(f.end ? `${f.units} BETWEEN ${bound(f.start)} AND ${bound(f.end)}` : `${f.units} ${bound(f.start)}`);
  }
  return `(${parts.join(' ')})`;
}

function bound(b: FrameBound): string {
  return b.offset ? `${expr(b.offset, P.concat)} ${b.type}` : b.type;
}

// ---------------------------------------------------------------- queries

/** Prints a query (SELECT or set operation) with its WITH, ORDER BY, LIMIT and OFFSET. */
export function printQuery(q: Query): string {
  let s = '';
  if (q.with?.length) {
    s += `WITH ${q.with.some((c) => c.recursive) ? 'RECURSIVE ' : ''}${q.with.map(c => `${quoteIdent(c.name)}${c.columns ? ` (${c.columns.map(quoteIdent).join(', ')})` : ''} AS (${printQuery(c.query)})`).join(', ')} `;
  }
  if (q.kind === 'Select') {
    s += `SELECT ${q.distinct ? 'DISTINCT ' : ''}`;
    s += q.columns.map(c => (c.alias !== undefined ? `${printExpr(c.expr)} AS ${quoteIdent(c.alias)}` : printExpr(c.expr))).join(', ');
    if (q.from.length) s += ` FROM ${q.from.map(printTableRef).join(', ')}`;
    if (q.where) s += ` WHERE ${printExpr(q.where)}`;
    if (q.groupBy.length) s += ` GROUP BY ${q.groupBy.map(printExpr).join(', ')}`;
    if (q.having) s += ` HAVING ${printExpr(q.having)}`;
  } else {
    s += `${operand(q.left, q, false)} ${q.op}${q.all ? ' ALL' : ''} ${operand(q.right, q, true)}`;
  }
  if (q.orderBy.length) s += ` ORDER BY ${printOrderItems(q.orderBy)}`;
  if (q.limit) s += ` LIMIT ${printExpr(q.limit)}`;
  if (q.offset) s += ` OFFSET ${printExpr(q.offset)}`;
  return s;
}

const setPrec = (q: SetOp) => (q.op === 'INTERSECT' ? 2 : 1);

/** A set operation's operand, parenthesized when it has its own clauses or binds looser. */
function operand(child: Query, parent: SetOp, isRight: boolean): string {
  const own = (child.with?.length ?? 0) > 0 || child.orderBy.length > 0 || child.limit !== undefined || child.offset !== undefined;
  const looser = child.kind === 'SetOp' && (isRight ? setPrec(child) <= setPrec(parent) : setPrec(child) < setPrec(parent));
  const s = printQuery(child);
  return own || looser ? `(${s})` : s;
}

function aliasText(alias: string | undefined, cols: string[] | undefined): string {
  if (alias === undefined) return '';
  return ` AS ${quoteIdent(alias)}${cols ? ` (${cols.map(quoteIdent).join(', ')})` : ''}`;
}

/** Prints a FROM item; a join on the right of a join is parenthesized (joins nest to the left). */
export function printTableRef(t: TableRef): string {
  switch (t.kind) {
    case 'TableName': return printName(t.name) + aliasText(t.alias, t.columnAliases);
    case 'SubqueryRef': return `${t.lateral ? 'LATERAL ' : ''}(${printQuery(t.query)})${aliasText(t.alias, t.columnAliases)}`;
    case 'Join': {
      const right = t.right.kind === 'Join' ? `(${printTableRef(t.right)})` : printTableRef(t.right);
      const kw = t.joinType === 'INNER' ? 'JOIN' : `${t.joinType} JOIN`;
      let s = `${printTableRef(t.left)} ${kw} ${right}`;
      if (t.on) s += ` ON ${printExpr(t.on)}`;
      else if (t.using) s += ` USING (${t.using.map(quoteIdent).join(', ')})`;
      return s;
    }
  }
}
