// Types of `$n` parameters the client left open (OID 0), for ParameterDescription: a parameter
// takes the type of what it meets — the other side of a comparison or arithmetic, the value
// tested by BETWEEN / IN / LIKE, the INSERT or UPDATE target column. Each such "peer" is typed
// by the engine itself: `SELECT peer FROM <the same FROM> LIMIT 0` returns its column type.
import type * as A from '../../engine/sql/ast.ts';

const PEER_OPS = new Set(['+', '-', '*', '/', '%', '=', '<>', '<', '<=', '>', '>=']);

/** A query (run with LIMIT 0) whose result column `column` has the type the parameter takes. */
export interface Probe { stmt: A.QueryStatement; column: number }

const isParam = (e: A.Expr | undefined): e is A.Parameter => e?.kind === 'Parameter';

function hasParameter(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if ((node as { kind?: string }).kind === 'Parameter') return true;
  return Object.entries(node as Record<string, unknown>).some(([k, v]) => k !== 'pos' && hasParameter(v));
}

const zero = (pos: A.Pos): A.Literal => ({ kind: 'Literal', pos, value: 0, literalType: 'integer', text: '0' });

function probe(pos: A.Pos, expr: A.Expr, from: A.TableRef[], column = 0): Probe {
  return {
    stmt: { kind: 'Query', pos, query: { kind: 'Select', pos, distinct: false, columns: [{ kind: 'SelectItem', pos, expr }], from, groupBy: [], orderBy: [], limit: zero(pos) } },
    column,
  };
}

const column = (pos: A.Pos, name: string): A.ColumnRef => ({ kind: 'ColumnRef', pos, name: [name] });
const tableRef = (pos: A.Pos, name: A.Name, alias?: string): A.TableName => ({ kind: 'TableName', pos, name, ...(alias ? { alias } : {}) });

/** For each open parameter, a query typing it (the first peer found wins). */
export function parameterProbes(stmt: A.Statement): Map<number, Probe> {
  const out = new Map<number, Probe>();
  const found = (p: A.Parameter, q: Probe) => { if (!out.has(p.index)) out.set(p.index, q); };

  const walk = (node: unknown, from: A.TableRef[]): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) { for (const x of node) walk(x, from); return; }
    const n = node as { kind?: string } & Record<string, unknown>;
    switch (n.kind) {
      case 'Select': {
        const s = n as unknown as A.Select;
        for (const [k, v] of Object.entries(s)) if (k !== 'pos') walk(v, s.from);
        return;
      }
      case 'Binary': {
        const b = n as unknown as A.Binary;
        if (PEER_OPS.has(b.op)) {
          if (isParam(b.right) && !hasParameter(b.left)) found(b.right, probe(b.pos, b.left, from));
          if (isParam(b.left) && !hasParameter(b.right)) found(b.left, probe(b.pos, b.right, from));
        }
        break;
      }
      case 'Between': {
        const b = n as unknown as A.Between;
        if (!hasParameter(b.expr)) for (const e of [b.low, b.high]) if (isParam(e)) found(e, probe(b.pos, b.expr, from));
        break;
      }
      case 'InList': {
        const l = n as unknown as A.InList;
        if (!hasParameter(l.expr)) for (const e of l.list) if (isParam(e)) found(e, probe(l.pos, l.expr, from));
        break;
      }
      case 'Like': {
        const l = n as unknown as A.Like;
        if (isParam(l.pattern) && !hasParameter(l.expr)) found(l.pattern, probe(l.pos, l.expr, from));
        break;
      }
      case 'Insert': {
        const ins = n as unknown as A.Insert;
        const target = [tableRef(ins.pos, ins.table)];
        if (ins.source.kind === 'Values' && ins.columns) {
          for (const row of ins.source.rows) row.forEach((e, j) => { if (isParam(e) && ins.columns![j]) found(e, probe(e.pos, column(e.pos, ins.columns![j]), target)); });
        } else if (ins.source.kind === 'Values') {
          // no column list: the j-th value goes to the j-th column; SELECT * LIMIT 0 names them
          for (const row of ins.source.rows) row.forEach((e, j) => { if (isParam(e)) found(e, probe(e.pos, { kind: 'Star', pos: e.pos }, target, j)); });
        }
        walk(ins.source, target);
        return;
      }
      case 'Update': {
        const u = n as unknown as A.Update;
        const target = [tableRef(u.pos, u.table, u.alias), ...u.from];
        for (const a of u.assignments) if (isParam(a.value)) found(a.value, probe(a.pos, column(a.pos, a.column), target));
        walk(u.assignments, target);
        walk(u.where, target);
        return;
      }
      case 'Delete': {
        const d = n as unknown as A.Delete;
        walk(d.where, [tableRef(d.pos, d.table, d.alias), ...d.using]);
        return;
      }
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'pos') walk(v, from);
  };
  walk(stmt, []);
  return out;
}
