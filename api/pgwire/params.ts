// `$n` parameters of the extended protocol. Strata's binder takes no parameter values, so a
// bound statement is the parsed statement with each Parameter node replaced by a constant of
// the parameter's type (never by splicing text, so a value can never become SQL).
import type * as A from '../../engine/sql/ast.ts';
import { SqlError } from '../../engine/errors.ts';
import { errorTypeName, parseBoolean } from '../../engine/types/values.ts';
import { OID, checkTextParameter, sqlTypeOfOid } from './types.ts';

/** Walks every node of a statement; `visit` may return a replacement for an expression node. */
function mapNodes<T>(node: T, visit: (n: { kind: string }) => unknown): T {
  if (Array.isArray(node)) return node.map((x) => mapNodes(x, visit)) as T;
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  if (typeof o.kind === 'string') {
    const r = visit(o as { kind: string });
    if (r !== undefined) return r as T;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = k === 'pos' ? o[k] : mapNodes(o[k], visit);
  return out as T;
}

/** The highest `$n` in a statement (the number of parameters it takes). */
export function parameterCount(stmt: A.Statement): number {
  let max = 0;
  mapNodes(stmt, (n) => {
    if (n.kind === 'Parameter') max = Math.max(max, (n as A.Parameter).index);
    return undefined;
  });
  return max;
}

const typeRef = (pos: A.Pos, name: string): A.TypeRef => ({ kind: 'TypeRef', pos, name, params: [] });
const stringLiteral = (pos: A.Pos, s: string): A.Literal => ({ kind: 'Literal', pos, value: s, literalType: 'string', text: s });
const MAX_EXACT = 9007199254740991;

/** The constant for one parameter value (text form) of a type OID (0 = let the context decide). */
export function parameterConstant(pos: A.Pos, index: number, oid: number, text: string | null): A.Expr {
  if (text === null) return { kind: 'Literal', pos, value: null, literalType: 'null', text: 'NULL' };
  checkTextParameter(oid, text, index);
  const invalid = (type: string) => new SqlError('INVALID_TEXT_REPRESENTATION', `parameter $${index}: invalid input syntax for type ${type}: "${text}"`, pos);
  switch (oid) {
    case 0: case OID.unknown: case OID.text: case OID.varchar: case OID.bpchar: case OID.name:
      return stringLiteral(pos, text);
    case OID.int2: case OID.int4: case OID.int8: {
      const t = text.trim();
      const type = sqlTypeOfOid(oid)!;
      if (!/^[+-]?\d+$/.test(t)) throw invalid(errorTypeName(type));
      const name = type.id;
      // a cast checks the type's range; exact integers stay literals so plans match plain SQL
      const n = Number(t);
      if (oid !== OID.int8 || Math.abs(n) > MAX_EXACT) return { kind: 'Cast', pos, expr: stringLiteral(pos, t), type: typeRef(pos, name), syntax: 'cast' };
      return { kind: 'Literal', pos, value: n, literalType: 'integer', text: t.replace(/^\+/, '') };
    }
    case OID.numeric: {
      const t = text.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) throw invalid('numeric');
      return { kind: 'Literal', pos, value: Number(t), literalType: t.includes('.') ? 'decimal' : 'integer', text: t.replace(/^\+/, '') };
    }
    case OID.float4: case OID.float8:
      return { kind: 'Cast', pos, expr: stringLiteral(pos, text), type: typeRef(pos, sqlTypeOfOid(oid)!.id), syntax: 'cast' };
    case OID.bool:
      return { kind: 'Literal', pos, value: parseBoolean(text), literalType: 'boolean', text: parseBoolean(text) ? 'TRUE' : 'FALSE' };
    case OID.date: case OID.timestamp:
      return { kind: 'TypedLiteral', pos, typeName: typeRef(pos, sqlTypeOfOid(oid)!.id), value: text };
    default:
      throw new SqlError('FEATURE_NOT_SUPPORTED', `parameter $${index} has type OID ${oid}, which Strata does not support`, pos);
  }
}

/** The statement with each `$n` replaced by `value(n, pos)`. */
export function substituteParameters(stmt: A.Statement, count: number, value: (index: number, pos: A.Pos) => A.Expr): A.Statement {
  return mapNodes(stmt, (n) => {
    if (n.kind !== 'Parameter') return undefined;
    const p = n as A.Parameter;
    if (p.index < 1 || p.index > count) throw new SqlError('INVALID_PARAMETER', `there is no parameter $${p.index} (${count} given)`, p.pos);
    return value(p.index, p.pos);
  });
}

/** The statement with `$n` replaced by values[n-1] (text form or null) of types oids[n-1]. */
export function bindParameters(stmt: A.Statement, oids: number[], values: (string | null)[]): A.Statement {
  return substituteParameters(stmt, values.length, (i, pos) => parameterConstant(pos, i, oids[i - 1] ?? 0, values[i - 1]));
}
