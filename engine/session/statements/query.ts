// SELECT and EXPLAIN.
import type { Statement } from '../../sql/ast.ts';
import type { Result } from '../../result.ts';
import type { StatementContext } from '../context.ts';
import { typeName } from '../../types/types.ts';
import { explainPlan } from '../../exec/explain.ts';
import { physicalPlan } from '../../exec/physical-planner.ts';
import { SqlError } from '../../errors.ts';
import type { Field } from '../../plan/logical.ts';
import { checkExplainable } from '../views.ts';

export function resultOf(command: string, fields: Field[], rows: unknown[][]): Result {
  return { command, rowCount: rows.length, columns: fields.map((f) => ({ name: f.name, type: typeName(f.type) })), rows };
}

export async function runQuery(stmt: Extract<Statement, { kind: 'Query' }>, ctx: StatementContext): Promise<Result> {
  const plan = await ctx.bindQuery(stmt.query);
  if (ctx.streamResult) {
    const { fields, rows } = await ctx.queryStream(plan);
    return { ...resultOf('SELECT', fields, []), rowCount: rows.total, stream: rows };
  }
  const { fields, rows } = await ctx.query(plan);
  return resultOf('SELECT', fields, rows);
}

export async function runExplain(stmt: Extract<Statement, { kind: 'Explain' }>, ctx: StatementContext): Promise<Result> {
  const inner = stmt.statement;
  if (inner.kind !== 'Query') {
    if (stmt.analyze) throw new SqlError('FEATURE_NOT_SUPPORTED', `EXPLAIN ANALYZE supports queries only, not ${inner.kind}`, stmt.pos);
    return lines([`${inner.kind} (no query plan: runs as a catalog or storage operation)`]);
  }
  const plan = await ctx.bindQuery(inner.query);
  await checkExplainable(ctx, inner.query, stmt.pos);
  if (!stmt.analyze) return lines(explainPlan(plan, (n) => physicalPlan(n, ctx.db.slices), ctx.db.slices));
  const t0 = performance.now();
  const { batch, lines: text } = await ctx.analyze(plan);
  const ms = performance.now() - t0;
  return lines([...text, `Execution: ${batch.length} rows in ${ms.toFixed(1)} ms; ${ctx.stats.rowsScanned} rows scanned; segments scanned ${ctx.stats.segmentsScanned}, pruned by zone maps ${ctx.stats.segmentsPruned}; peak memory ${(ctx.guard.memory.peakBytes / 2 ** 20).toFixed(1)} MB${spilled(ctx.guard.memory.spilled)}`]);
}

/** What operators over the memory limit wrote to disk, if anything. */
function spilled(s: { bytes: number; files: number }): string {
  return s.files ? `; spilled ${(s.bytes / 2 ** 20).toFixed(1)} MB to ${s.files} temp files` : '';
}

function lines(text: string[]): Result {
  return { command: 'EXPLAIN', rowCount: text.length, columns: [{ name: 'QUERY PLAN', type: 'VARCHAR' }], rows: text.map((l) => [l]) };
}
