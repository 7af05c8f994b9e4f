// Runs a query and the model over its rows in one statement: `SELECT args..., fn@k(args...) FROM
// (query)`, bound and executed in a statement context (so with that context's user's privileges,
// timeout and memory limit). The arguments are found by name among the query's columns.
import { SqlError } from '../../engine/errors.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';
import { parseOne } from '../../engine/sql/parser.ts';
import { typeName } from '../../engine/types/types.ts';
import type { Vector } from '../../engine/types/vector.ts';
import { profileKind } from '../drift/profile.ts';
import type { ModelVersion } from '../sql/catalog.ts';

export interface Sample { args: { name: string; vector: Vector }[]; predictions: Vector; rows: number }

/** Parses a stored query (USING or a training query); positions in errors refer to its text. */
export function parseStoredQuery(sql: string): A.Query {
  const s = parseOne(sql);
  if (s.kind !== 'Query') throw new SqlError('INVALID_PARAMETER', 'expected a SELECT query');
  return s.query;
}

/**
 * Checks that `query` gives every argument of the version as a column of a matching kind
 * (numbers for numbers, text for text); `what` names the query in errors.
 */
export async function checkColumns(ctx: StatementContext, query: A.Query, v: ModelVersion, what: string): Promise<void> {
  const plan = await ctx.bindQuery(query);
  const fields = plan.fields.filter((f) => !f.hidden);
  for (const a of v.args) {
    const f = fields.find((x) => x.name === a.name);
    if (!f) throw new SqlError('UNDEFINED_COLUMN', `${what} has no column "${a.name}" (the model's arguments are ${v.args.map((x) => x.name).join(', ')}; name the columns alike)`, query.pos);
    if (profileKind(f.type) !== profileKind(a.type)) {
      throw new SqlError('DATATYPE_MISMATCH', `${what}'s column "${a.name}" is ${typeName(f.type)}, but the model takes ${typeName(a.type)}`, query.pos);
    }
  }
}

/** Runs `query` and version `v` of the model (database.schema.function) over its rows. */
export async function sampleWithPredictions(ctx: StatementContext, query: A.Query, model: { database: string; schema: string; fn: string }, v: ModelVersion, what: string): Promise<Sample> {
  await checkColumns(ctx, query, v, what);
  const pos = query.pos;
  const alias = 'monitor_rows';
  const col = (n: string): A.Expr => ({ kind: 'ColumnRef', pos, name: [alias, n] });
  const call: A.FunctionCall = { kind: 'FunctionCall', pos, name: [model.database, model.schema, model.fn], args: v.args.map((a) => col(a.name)), distinct: false, star: false, version: String(v.version) };
  const select: A.Select = {
    kind: 'Select', pos, distinct: false,
    columns: [...v.args.map((a): A.SelectItem => ({ kind: 'SelectItem', pos, expr: col(a.name) })), { kind: 'SelectItem', pos, expr: call, alias: 'prediction' }],
    from: [{ kind: 'SubqueryRef', pos, query, alias }], groupBy: [], orderBy: [],
  };
  const batch = await ctx.run(await ctx.bindQuery(select));
  return {
    args: v.args.map((a, i) => ({ name: a.name, vector: batch.columns[i] })),
    predictions: batch.columns[v.args.length],
    rows: batch.length,
  };
}
