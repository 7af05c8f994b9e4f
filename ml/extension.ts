// The ML extension: CREATE MODEL / SHOW MODEL / DROP MODEL / EXPLAIN_MODEL statements and the
// prediction functions, plugged into the engine (api/extensions.ts loads it; tests call db.use).
import type { Database } from '../engine/database.ts';
import type { StatementContext } from '../engine/session/context.ts';
import { type Extension, type StatementOf, answerFirst, introduces } from '../engine/session/extension.ts';
import type { Result } from '../engine/result.ts';
import type * as A from '../engine/sql/ast.ts';
import { type ModelEntry, modelsOf, schemaIn, versionById, versionsOf } from './sql/catalog.ts';
import { createModel } from './sql/create.ts';
import { dropModel } from './sql/drop.ts';
import { explainModel, explainModelTarget } from './sql/explain.ts';
import { resolveModelFunction } from './sql/functions.ts';
import { ModelJobs } from './sql/jobs.ts';
import { INTERRUPTED, showModel } from './sql/show.ts';
import { updateVersion } from './sql/versions.ts';
import { alterModel } from './sql/alter.ts';
import { Monitors } from './monitor/service.ts';
import { alterMonitor, createMonitor, dropMonitor, runMonitor, showMonitor } from './monitor/statements.ts';
import { RUNS_VIEW, monitorRunsView } from './monitor/system-view.ts';

export { WAIT_SETTING } from './sql/create.ts';

/** The ML extension of one database; `jobs` holds its running trainings, `monitors` its drift monitors. */
export interface MlExtension extends Extension {
  jobs: ModelJobs;
  monitors: Monitors;
}

export function extension(db: Database): MlExtension {
  const jobs = new ModelJobs(db);
  const monitors = new Monitors(db);
  monitors.retrain = async (account, m, model, run) => (await import('./monitor/retrain.ts')).retrainOnDrift(db, jobs, account, m, model, run);
  const recovered = failInterrupted(db, jobs);
  /** A statement of this extension; it waits for interrupted trainings to be marked FAILED. */
  const own = <K extends A.StatementKind>(f: (s: StatementOf<K>, ctx: StatementContext, jobs: ModelJobs) => Promise<Result>) =>
    introduces<K>(async (stmt, ctx) => { await recovered; return f(stmt, ctx, jobs); });
  return {
    name: 'ml',
    jobs,
    monitors,
    statements: {
      CreateMonitor: own(createMonitor),
      ShowMonitor: own(showMonitor),
      RunMonitor: own((s, ctx) => runMonitor(s, ctx, monitors)),
      AlterMonitor: own(alterMonitor),
      DropMonitor: own(dropMonitor),
      CreateModel: own(createModel),
      // onnxruntime loads with the first model brought from a file, not with every process
      CreateModelExternal: own(async (s, ctx, j) => (s.sagemaker
        ? (await import('./sql/remote.ts')).createRemoteModel(s, ctx, j)
        : (await import('./sql/external.ts')).createExternalModel(s, ctx, j))),
      ShowModel: own(showModel),
      DropModel: own(dropModel),
      AlterModel: own(alterModel),
      // the ONNX runtime (and, for s3://, the AWS SDK) load with the first export or import
      ExportModel: own(async (s, ctx, j) => (await import('./sql/transfer.ts')).exportModel(s, ctx, j)),
      ImportModel: own(async (s, ctx, j) => (await import('./sql/transfer.ts')).importModel(s, ctx, j)),
      // EXPLAIN CREATE MODEL plans the training; every other EXPLAIN goes on
      Explain: (next) => async (e, ctx) => {
        if (e.statement.kind !== 'CreateModel' || e.analyze) return next(e, ctx);
        await recovered;
        return (await import('./sql/explain_create.ts')).explainCreateModel(e.statement, ctx);
      },
      // SELECT EXPLAIN_MODEL(m) is answered here; every other query goes on
      Query: (next) => async (stmt, ctx) => {
        const target = explainModelTarget(stmt);
        return target ? explainModel(target, ctx, jobs) : next(stmt, ctx);
      },
    },
    hooks: {
      modelFunction: answerFirst('modelFunction', (ctx, name, pos) => resolveModelFunction(ctx, name, pos, jobs)),
      relation: answerFirst('relation', (ctx, name) => monitorRunsView(ctx, name)),
    },
    systemViews: [RUNS_VIEW],
    // monitor schedules run in a server only (a one-shot CLI process runs no timers)
    startBackground: (opts) => monitors.startSchedule(opts),
    close: async () => { await recovered; await monitors.close(); await jobs.close(); },
  };
}

/**
 * Models left TRAINING by a process that stopped (crash, restart) will never finish: at open
 * they become FAILED with the reason, in one commit. Nothing else of them was committed.
 * A SageMaker job (`remoteJob`) runs on regardless: polling it resumes instead.
 */
async function failInterrupted(db: Database, jobs: ModelJobs): Promise<void> {
  const stale: { account: string; database: string; schema: string; name: string; id: string }[] = [];
  for (const a of Object.values(db.catalog.accounts)) {
    for (const d of Object.values(a.databases)) {
      for (const s of Object.values(d.schemas)) {
        for (const e of Object.values(modelsOf(s))) {
          for (const v of versionsOf(e)) {
            if (v.state !== 'TRAINING') continue;
            const key = { account: a.name, database: d.name, schema: s.name, name: e.name, id: v.id };
            if (v.remoteJob) jobs.resume(key, v.remoteJob); else stale.push(key);
          }
        }
      }
    }
  }
  if (stale.length === 0) return;
  for (const k of stale) jobs.interrupted.add(k.id);
  const at = db.now().toISOString();
  const txn = db.begin(true);
  try {
    txn.apply((state) => {
      for (const k of stale) {
        const sc = schemaIn(state, k);
        const e: ModelEntry | undefined = sc ? modelsOf(sc)[k.name] : undefined;
        if (e && versionById(e, k.id)?.state === 'TRAINING') {
          updateVersion(e, k.id, (v) => Object.assign(v, { state: 'FAILED', reason: INTERRUPTED, finishedAt: at }));
        }
      }
    }, { ddl: true });
    await db.commit(txn, stale[0].account);
  } catch {
    // best effort: SHOW MODEL reports these as FAILED anyway
  } finally {
    db.release(txn);
  }
}
