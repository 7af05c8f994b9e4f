// Model calls a window reads (`sum(predict(x)) OVER (...)`, `PARTITION BY predict(x)`) are
// computed by a projection below the window (model-columns.ts), a batch at a time where the
// input's rows are (in the slices, or over the leader's pieces), so the window reads only values
// and takes its usual paths: in the slices by a shared PARTITION BY, spilling by partitions or
// through the external sort. Computed inside the window, they needed every row and their work at once.
import { type BExpr, aggInputs, hasModelCall, mapAggInputs } from './bound.ts';
import type { Field, LNode, WindowCall } from './logical.ts';
import { col, liftModelCalls, ModelColumns } from './model-columns.ts';

/** Every expression a window call reads. */
export const callExprs = (c: WindowCall): BExpr[] => [...c.args, ...(c.agg ? aggInputs(c.agg) : []), ...c.partitionBy, ...c.orderBy.map((k) => k.expr)];

/**
 * A window of `calls` over `input` with `fields` (the input's, then one per call); when some call
 * reads a model, the model calls become columns of a projection below it (model-columns.ts) and a
 * projection above leaves them out again, so the node's fields are the same.
 */
export function windowOver(input: LNode, calls: WindowCall[], fields: Field[]): LNode {
  if (!calls.some((c) => callExprs(c).some(hasModelCall))) return { k: 'window', input, calls, fields };
  const n = input.fields.length;
  const models = new ModelColumns();
  // each distinct model call once, as the column after the input's and the model calls before it
  const lift = (e: BExpr): BExpr => liftModelCalls(e, () => true, (m) => col(n + models.add(m), m.type));
  const lifted = calls.map((c) => ({
    ...c, args: c.args.map(lift), agg: c.agg ? mapAggInputs(c.agg, lift) : c.agg,
    partitionBy: c.partitionBy.map(lift), orderBy: c.orderBy.map((k) => ({ ...k, expr: lift(k.expr) })),
  }));
  const below = models.below(input);
  const window: LNode = { k: 'window', input: below, calls: lifted, fields: [...below.fields, ...fields.slice(n)] };
  const kept = [...input.fields.map((f, i) => col(i, f.type)), ...calls.map((c, i) => col(n + models.calls.length + i, c.type))];
  return { k: 'project', input: window, exprs: kept, fields };
}
