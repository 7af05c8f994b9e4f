// Where a query reads a WITH query's own name: whether a WITH query is recursive, and whether its
// step reads the working table inside a subquery expression, both depend on every place a table
// can be named: every expression slot of a query (`queryExprs`) and of an expression
// (`astChildren`, which the binder reads too), and ON.
import type * as A from '../sql/ast.ts';
import { astChildren, queryExprs } from './bind-expr.ts';

/** A place `q` reads the table `name`: `inExpression` when that is inside a subquery expression. */
export interface TableReference { pos: A.Pos; inExpression: boolean }

/** Every place `q` reads the table `name` (not counting where an inner WITH of that name hides it). */
export function referencesTo(q: A.Query, name: string): TableReference[] {
  const found: TableReference[] = [];
  const query = (x: A.Query, inExpression: boolean): void => {
    if (x.with?.some((c) => c.name === name)) return;
    for (const c of x.with ?? []) query(c.query, inExpression);
    if (x.kind === 'SetOp') {
      query(x.left, inExpression);
      query(x.right, inExpression);
    } else for (const r of x.from) ref(r, inExpression);
    for (const e of queryExprs(x)) expr(e);
  };
  const ref = (r: A.TableRef, inExpression: boolean): void => {
    if (r.kind === 'TableName') { if (r.name.length === 1 && r.name[0] === name) found.push({ pos: r.pos, inExpression }); return; }
    if (r.kind === 'SubqueryRef') { query(r.query, inExpression); return; }
    ref(r.left, inExpression);
    ref(r.right, inExpression);
    if (r.on) expr(r.on);
  };
  // a table named in an expression is always inside a subquery expression
  const expr = (e: A.Expr): void => {
    if (e.kind === 'Subquery' || e.kind === 'Exists' || e.kind === 'InSubquery' || e.kind === 'Quantified') query(e.query, true);
    for (const c of astChildren(e)) expr(c);
  };
  query(q, false);
  return found;
}
