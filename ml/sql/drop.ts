// DROP MODEL [IF EXISTS] m: removes the model, every version and its functions; running trainings
// are canceled when the drop commits (the worker is terminated, nothing of it is committed), and
// endpoints Strata deployed for its versions are deleted.
// DROP MODEL m VERSION k removes one version that is neither current nor aliased.
import { SqlError } from '../../engine/errors.ts';
import { dropOrphanGrants } from '../../engine/catalog/object-grants.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { checkOwner } from '../../engine/session/privileges.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { type ModelEntry, type ModelLocation, type ModelVersion, findModel, modelsOf, resolveVersion, schemaIn, versionsOf, withVersions } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';

export async function dropModel(stmt: A.DropModel, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const m = findModel(ctx, stmt.name, stmt.pos);
  if (!m) {
    if (stmt.ifExists) return done('DROP MODEL');
    throw new SqlError('UNDEFINED_OBJECT', `model "${stmt.name.join('.')}" does not exist`, stmt.pos);
  }
  checkOwner(ctx, m.entry, `model ${m.entry.name}`, stmt.pos);
  if (stmt.version !== undefined) return dropVersion(m, stmt.version, ctx, jobs, stmt.pos);
  const { id, name } = m.entry;
  const training = versionsOf(m.entry).filter((v) => v.state === 'TRAINING').map((v) => v.id);
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, m);
    if (sc && modelsOf(sc)[name]?.id === id) {
      delete modelsOf(sc)[name];
      // as PostgreSQL: its grants go with it, so a re-created namesake starts with none
      dropOrphanGrants(s.accounts[m.account]);
    }
  }, { ddl: true });
  const wasTraining = training.length > 0;
  const deployed = versionsOf(m.entry).flatMap((v) => (v.deployed ? [v.deployed] : []));
  ctx.txn.afterCommit.push(() => {
    for (const t of training) jobs.cancel(t);
    for (const d of deployed) jobs.undeploy(d);
    jobs.emit({ account: m.account, database: m.database, schema: m.schema, name, id }, 'dropped', 'DROPPED', { message: wasTraining ? 'dropped during training; training canceled' : 'dropped' });
  });
  return done('DROP MODEL');
}

function dropVersion(m: ModelLocation, version: number, ctx: StatementContext, jobs: ModelJobs, pos: A.Pos): Result {
  const { name } = m.entry;
  const check = (e: ModelEntry, at?: A.Pos): ModelVersion => {
    const v = resolveVersion(e, version, at);
    if (v.version === (e.version ?? 1)) throw new SqlError('INVALID_PARAMETER', `version ${v.version} is the current version of model "${name}"; ALTER MODEL ${name} SET VERSION to another one first, or DROP MODEL ${name}`, at);
    const aliases = Object.entries(e.aliases ?? {}).filter(([, k]) => k === v.version).map(([a]) => a);
    if (aliases.length) throw new SqlError('INVALID_PARAMETER', `version ${v.version} of model "${name}" is aliased as ${aliases.join(', ')}; move or drop the alias first`, at);
    return v;
  };
  const v = check(m.entry, pos);
  ctx.txn.apply((s) => {
    const sc = schemaIn(s, m);
    const e = sc ? modelsOf(sc)[name] : undefined;
    if (!e) throw new SqlError('UNDEFINED_OBJECT', `model "${name}" no longer exists`);
    check(e);
    const w = withVersions(e);
    w.versions = w.versions.filter((x) => x.version !== version);
  }, { ddl: true });
  ctx.txn.afterCommit.push(() => {
    jobs.cancel(v.id);
    if (v.deployed) jobs.undeploy(v.deployed);
    jobs.emit({ account: m.account, database: m.database, schema: m.schema, name, id: v.id }, 'dropped', m.entry.state, { message: `version ${version} dropped${v.state === 'TRAINING' ? '; its training canceled' : ''}` });
  });
  return done('DROP MODEL');
}
