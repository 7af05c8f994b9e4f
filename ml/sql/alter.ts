// ALTER MODEL m SET VERSION k (roll back or forward), SET ALIAS a TO VERSION k, DROP ALIAS a,
// SET AUTO RETRAIN ON DRIFT | OFF; SET EXPLAIN_BACKGROUND is alter_background.ts's.
// Each is one catalog change committed atomically: a query binds the version current in its
// snapshot, so it runs wholly on the old version or wholly on the new one.
import { SqlError } from '../../engine/errors.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkOwner } from '../../engine/session/privileges.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type ModelEntry, getModel, makeCurrent, modelsOf, resolveVersion, schemaIn, withVersions } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';
import { setExplainBackground } from './alter_background.ts';

export async function alterModel(stmt: A.AlterModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const m = getModel(ctx, stmt.name, stmt.pos);
  checkOwner(ctx, m.entry, `model ${m.entry.name}`, stmt.pos);
  const a = stmt.action;
  if (a.kind === 'SetExplainBackground') return setExplainBackground({ ...stmt, action: a }, m, ctx, jobs);
  // checked now for a clear error with the position, and again on replay at commit
  const change = (e: ModelEntry, pos?: A.Pos): void => {
    const w = withVersions(e);
    if (a.kind === 'SetAutoRetrain') {
      if (a.on) w.autoRetrain = true;
      else delete w.autoRetrain;
      return;
    }
    if (a.kind === 'DropAlias') {
      if (w.aliases?.[a.alias] === undefined) throw new SqlError('UNDEFINED_OBJECT', `model "${w.name}" has no alias "${a.alias}"`, pos);
      delete w.aliases[a.alias];
      return;
    }
    const v = resolveVersion(w, a.version, pos);
    if (a.kind === 'SetAlias') {
      w.aliases = { ...w.aliases, [a.alias]: v.version };
      return;
    }
    if (v.state !== 'READY') throw new SqlError('MODEL_NOT_READY', `version ${v.version} of model "${w.name}" is ${v.state}; only a READY version can be current`, pos);
    makeCurrent(w, v);
  };
  change(structuredClone(m.entry), stmt.pos);
  const { name } = m.entry;
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, m);
    const e = sc ? modelsOf(sc)[name] : undefined;
    if (!e) throw new SqlError('UNDEFINED_OBJECT', `model "${name}" no longer exists`);
    change(e);
  }, { ddl: true });
  const what = a.kind === 'SetVersion' ? `version ${a.version} is current` : a.kind === 'SetAlias' ? `alias ${a.alias} -> version ${a.version}`
    : a.kind === 'SetAutoRetrain' ? `auto retrain on drift ${a.on ? 'on' : 'off'}` : `alias ${a.alias} dropped`;
  ctx.txn.afterCommit.push(() => jobs.emit({ account: m.account, database: m.database, schema: m.schema, name, id: m.entry.id }, 'altered', m.entry.state, { message: what }));
  return done('ALTER MODEL');
}
