// PREPARE name [(type, ...)] AS statement / EXECUTE name [(arg, ...)] / DEALLOCATE [PREPARE]
// name | ALL: SQL-level prepared statements (PostgreSQL and Redshift have them). They share
// the connection's prepared statements with the extended protocol's Parse, as in PostgreSQL.
import type * as A from '../../engine/sql/ast.ts';
import { parse } from '../../engine/sql/parser.ts';
import { SqlError } from '../../engine/errors.ts';
import { isDecimal, isString, parseTypeText } from '../../engine/types/types.ts';
import { oidOf, sqlTypeOfOid } from './types.ts';

export type PreparedSql =
  | { kind: 'prepare'; name: string; oids: number[]; statement: string; offset: number }
  | { kind: 'execute'; name: string; args: A.Expr[] }
  | { kind: 'deallocate'; name: string | null };

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const ident = (s: string) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase());

/** Recognizes PREPARE, EXECUTE and DEALLOCATE; anything else is null. */
export function parsePreparedSql(text: string): PreparedSql | null {
  let m = new RegExp(String.raw`^(\s*prepare\s+)${IDENT}\s*`, 'i').exec(text);
  if (m) {
    // the type list is scanned with its parentheses balanced: numeric(38, 4) is one type
    const list = m[0].length < text.length && text[m[0].length] === '(' ? typeList(text, m[0].length) : { types: [], end: m[0].length };
    const as = /^\s*as\s+/i.exec(text.slice(list.end));
    if (as) {
      const oids = list.types.map((t) => {
        const type = parseTypeText(t);
        const oid = type && oidOf(type);
        if (!oid) throw new SqlError('UNDEFINED_OBJECT', `type "${t}" does not exist`);
        return oid;
      });
      const offset = list.end + as[0].length;
      return { kind: 'prepare', name: ident(m[2]), oids, statement: text.slice(offset), offset };
    }
  }
  m = new RegExp(String.raw`^\s*execute\s+${IDENT}\s*(?:\(([\s\S]*)\))?\s*;?\s*$`, 'i').exec(text);
  if (m) {
    const args = m[2]?.trim() ? parse(`SELECT ${m[2]}`) : [];
    const select = args[0] as A.QueryStatement | undefined;
    const exprs = select && select.query.kind === 'Select' ? select.query.columns.map((c) => c.expr) : [];
    return { kind: 'execute', name: ident(m[1]), args: exprs };
  }
  m = new RegExp(String.raw`^\s*deallocate\s+(?:prepare\s+)?(?:(all)|${IDENT})\s*;?\s*$`, 'i').exec(text);
  if (m) return { kind: 'deallocate', name: m[1] ? null : ident(m[2]) };
  return null;
}

/**
 * The comma-separated types of PREPARE's list opening at `open` (a '('), split only at the top
 * level, and the offset just past its closing ')'. Double-quoted names may hold any character.
 */
function typeList(text: string, open: number): { types: string[]; end: number } {
  const types: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) break;
      i = close;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      types.push(text.slice(start, i));
      return { types: types.map((t) => t.trim()).filter(Boolean), end: i + 1 };
    } else if (c === ',' && depth === 1) {
      types.push(text.slice(start, i));
      start = i + 1;
    }
  }
  const before = text.slice(0, open).split('\n');
  throw new SqlError('SYNTAX_ERROR', "PREPARE's parameter type list has no closing parenthesis", { line: before.length, column: before[before.length - 1].length + 1, offset: open });
}

/** Types an EXECUTE argument is cast to; text and numeric arguments keep their own type and
 * scale (a cast to bare NUMERIC or CHAR would round or cut them). */
function castTo(oid: number): string | undefined {
  const t = sqlTypeOfOid(oid);
  return t && !isString(t) && !isDecimal(t) ? t.id : undefined;
}

/** An EXECUTE argument as the value of a parameter of type `oid` (0: as written). */
export function argumentFor(expr: A.Expr, oid: number, pos: A.Pos): A.Expr {
  const name = castTo(oid);
  return name ? { kind: 'Cast', pos, expr, type: { kind: 'TypeRef', pos, name, params: [] }, syntax: 'cast' } : expr;
}

/** Moves SqlError positions of a statement parsed out of a longer text back into that text. */
export function shiftPosition(e: unknown, offset: number): unknown {
  if (!(e instanceof SqlError) || !e.position) return e;
  const message = e.message.replace(/ at line \d+, column \d+$/, '');
  return new SqlError(e.code, message, { ...e.position, offset: e.position.offset + offset });
}
