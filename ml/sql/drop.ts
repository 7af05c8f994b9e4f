// DROP MODEL [IF EXISTS] m: removes the model and its functions; a running training is canceled
// when the drop commits (the worker is terminated, nothing of it is committed).
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkOwner } from '../../engine/session/privileges.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { findModel, modelsOf, schemaIn } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';

export async function dropModel(stmt: A.DropModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const m = findModel(ctx, stmt.name, stmt.pos);
  if (!m) {
    if (stmt.ifExists) return done('DROP MODEL');
    throw new SqlError('UNDEFINED_OBJECT', `model "${stmt.name.join('.')}" does not exist`, stmt.pos);
  }
  checkOwner(ctx, m.entry.owner, `model ${m.entry.name}`, stmt.pos);
  const { id, name } = m.entry;
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, m);
    if (sc && modelsOf(sc)[name]?.id === id) delete modelsOf(sc)[name];
  }, { ddl: true });
  const wasTraining = m.entry.state === 'TRAINING';
  ctx.txn.afterCommit.push(() => {
    jobs.cancel(id);
    jobs.emit({ account: m.account, database: m.database, schema: m.schema, name, id }, 'dropped', 'DROPPED', { message: wasTraining ? 'dropped during training; training canceled' : 'dropped' });
  });
  return done('DROP MODEL');
}
