// A brought-your-own model's explanation background: SETTINGS (EXPLAIN_BACKGROUND 'SELECT ...').
// The query runs once, as the creating user (their SELECT privileges and limits), and a seeded
// sample of its rows is written into the version's ONNX graph under the same metadata key where
// trained models keep their training sample, so fn_explain's KernelSHAP averages over it (and
// EXPORT MODEL hands it out with the model) instead of over one all-zero row.
import onnxProto from 'onnx-proto';
import { SqlError } from '../../engine/errors.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';
import { parseOne } from '../../engine/sql/parser.ts';
import { type SqlType, isNumeric, isString, typeName } from '../../engine/types/types.ts';
import { META } from '../onnx/compile.ts';
import { KERNEL_BACKGROUND, type BackgroundRow } from '../explain/explainer.ts';
import { Rng } from '../util/rng.ts';
import { readNumbers, readTexts } from '../util/values.ts';

const { onnx } = onnxProto;

/** The rows kept: KernelSHAP's background size, so the base value is the mean over all of them. */
export const MAX_BACKGROUND_ROWS = KERNEL_BACKGROUND;

/** Runs the background query and samples at most MAX_BACKGROUND_ROWS of its rows (seeded) in feed space. */
export async function sampleBackground(ctx: StatementContext, sql: string, argTypes: SqlType[], seed: number, pos: A.Pos): Promise<BackgroundRow[]> {
  let stmt: A.Statement;
  try {
    stmt = parseOne(sql);
  } catch (e) {
    if (e instanceof SqlError) throw new SqlError(e.code, `EXPLAIN_BACKGROUND: ${e.message}`, pos);
    throw e;
  }
  if (stmt.kind !== 'Query') throw new SqlError('INVALID_PARAMETER', 'EXPLAIN_BACKGROUND must be a SELECT query', pos);
  const plan = await ctx.bindQuery(stmt.query);
  const fields = plan.fields.filter((f) => !f.hidden);
  if (fields.length !== argTypes.length) {
    throw new SqlError('INVALID_PARAMETER', `EXPLAIN_BACKGROUND returns ${fields.length} column(s); the model's function takes ${argTypes.length}`, pos);
  }
  fields.forEach((f, j) => {
    const ok = isString(argTypes[j]) ? isString(f.type) : isNumeric(argTypes[j]) ? isNumeric(f.type) || f.type === undefined : true;
    if (!ok) throw new SqlError('DATATYPE_MISMATCH', `EXPLAIN_BACKGROUND column ${j + 1} ("${f.name}") is ${typeName(f.type)}; argument ${j + 1} is ${typeName(argTypes[j])}`, pos);
  });
  const batch = await ctx.run(plan);
  const n = batch.length;
  if (n === 0) throw new SqlError('INVALID_PARAMETER', 'EXPLAIN_BACKGROUND returned no rows', pos);
  const picked = pick(n, MAX_BACKGROUND_ROWS, seed);
  const rows: BackgroundRow[] = picked.map(() => new Array<number | string | null>(argTypes.length));
  const nums = new Float64Array(n), texts: string[] = new Array(n);
  argTypes.forEach((t, j) => {
    const v = batch.columns[j];
    if (isString(t)) { readTexts(v, 0, n, texts); picked.forEach((r, i) => { rows[i][j] = texts[r]; }); }
    else { readNumbers(v, 0, n, nums); picked.forEach((r, i) => { rows[i][j] = Number.isFinite(nums[r]) ? nums[r] : null; }); }
  });
  return rows;
}

/** `k` distinct row numbers of `n`, in ascending order: all of them when n <= k, else a seeded sample. */
function pick(n: number, k: number, seed: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed);
  const chosen = Array.from({ length: k }, (_, i) => i);
  for (let i = k; i < n; i++) { const j = rng.int(i + 1); if (j < k) chosen[j] = i; }
  return chosen.sort((a, b) => a - b);
}

/** The graph with the background in its metadata (replacing any it carried). */
export function withBackground(bytes: Uint8Array, rows: BackgroundRow[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const props = (model.metadataProps ?? []).filter((p) => p.key !== META.background);
  props.push({ key: META.background, value: JSON.stringify(rows) });
  model.metadataProps = props;
  return onnx.ModelProto.encode(model).finish();
}

/** Whether the graph carries a background (a Strata-exported model brings its training sample). */
export function hasBackground(bytes: Uint8Array): boolean {
  const model = onnx.ModelProto.decode(bytes);
  return (model.metadataProps ?? []).some((p) => p.key === META.background && !!p.value && p.value !== '[]');
}
