// One run of a drift monitor: as the monitor's owner (a statement context of that user, with the
// caller's stop signal and deadline), run the USING query and the model's current version over
// it, compare every argument and the predictions with the version's training profile, and record
// the run (OK, DRIFTED, or FAILED with the reason) in a commit of its own.
import { randomUUID } from 'node:crypto';
import { ownerIdOf } from '../../engine/catalog/owners.ts';
import type { Database } from '../../engine/database.ts';
import { SqlError, asSqlError } from '../../engine/errors.ts';
import { StatementContext, type SessionInfo } from '../../engine/session/context.ts';
import { type ColumnDrift, PREDICTION, compareColumn, overallState } from '../drift/compare.ts';
import type { ModelProfile } from '../drift/profile.ts';
import { buildProfile, predictsCategories, readProfile, writeProfile } from '../drift/training.ts';
import { type ModelEntry, type ModelVersion, modelsOf, resolveVersion, schemaIn } from '../sql/catalog.ts';
import { updateVersion } from '../sql/versions.ts';
import { KEPT_RUNS, type MonitorEntry, type MonitorRun, monitorById } from './catalog.ts';
import { parseStoredQuery, sampleWithPredictions } from './sample.ts';

/** What a run may use of its caller: who asked, the stop signal, deadline and memory setting. */
export interface RunOptions {
  trigger: 'manual' | 'schedule';
  by: string;
  signal?: AbortSignal;
  deadline?: number;
  /** statement_timeout / query_memory_limit of the asking session (manual runs) */
  settings?: Map<string, string>;
}

/** A statement context acting as the monitor's owner; fails if that user is gone or replaced. */
export function ownerContext(db: Database, account: string, m: MonitorEntry, o: RunOptions): StatementContext {
  const user = db.catalog.accounts[account]?.users[m.owner];
  if (!user || user.id === undefined || user.id !== ownerIdOf(db.catalog, account, m)) {
    throw new SqlError('PERMISSION_DENIED', `the monitor's owner "${m.owner}" no longer exists; drop the monitor and create it again`);
  }
  const settings = new Map<string, string>();
  for (const k of ['statement_timeout', 'query_memory_limit']) {
    const v = o.settings?.get(k);
    if (v !== undefined) settings.set(k, v);
  }
  const info: SessionInfo = { account, user: m.owner, userId: user.id, database: m.database, searchPath: [m.schema], settings };
  return new StatementContext(db, info, db.begin(false), o.signal, o.deadline);
}

/** Runs the monitor and returns the run (FAILED runs are returned too, with the error). */
export async function measure(db: Database, account: string, m: MonitorEntry, o: RunOptions): Promise<{ run: MonitorRun; model?: ModelEntry }> {
  const startedAt = db.now().toISOString();
  const base = { run: 0, trigger: o.trigger, by: o.by, startedAt };
  let ctx: StatementContext | null = null;
  let model: ModelEntry | undefined;
  try {
    ctx = ownerContext(db, account, m, o);
    const sc = schemaIn(ctx.state, { account, ...m.model });
    model = sc ? modelsOf(sc)[m.model.name] : undefined;
    if (!model) throw new SqlError('UNDEFINED_OBJECT', `model "${m.model.schema}.${m.model.name}" no longer exists`);
    const v = resolveVersion(model, undefined);
    if (v.state !== 'READY') throw new SqlError('MODEL_NOT_READY', `model "${model.name}" has no READY current version (version ${v.version} is ${v.state})`);
    const where = { database: m.model.database, schema: m.model.schema, fn: model.function };
    const profile = await profileOf(db, ctx, account, m.model, model, v);
    const sample = await sampleWithPredictions(ctx, parseStoredQuery(m.query), where, v, 'the monitor\'s query');
    const columns: ColumnDrift[] = sample.args.map((a) => compareColumn(a.name, profile.features[a.name], a.vector, m.thresholds));
    const prediction = compareColumn(PREDICTION, profile.prediction, sample.predictions, m.thresholds);
    const state = overallState(columns, prediction, m.thresholds);
    return { run: { ...base, finishedAt: db.now().toISOString(), state, modelVersion: v.version, rows: sample.rows, columns: [...columns, prediction] }, model };
  } catch (e) {
    const err = asSqlError(e);
    return { run: { ...base, finishedAt: db.now().toISOString(), state: 'FAILED', error: err.message, errorCode: err.code, columns: [] }, model };
  } finally {
    if (ctx) { ctx.dispose(); db.release(ctx.txn); }
  }
}

/**
 * The version's training profile. A version trained before profiles existed (or brought from a
 * file with a training query) gets one from its training query, run now as the monitor's owner,
 * stored with the version; without an answerable query that is a clear error.
 */
async function profileOf(db: Database, ctx: StatementContext, account: string, loc: { database: string; schema: string; name: string }, e: ModelEntry, v: ModelVersion): Promise<ModelProfile> {
  if (v.profileFile) return readProfile(db.dataDir, v.profileFile);
  if (v.remote) throw new SqlError('FEATURE_NOT_SUPPORTED', `version ${v.version} of model "${e.name}" runs on SageMaker endpoint '${v.remote.endpoint}'; drift monitors need the model's graph`);
  if (!v.query) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `version ${v.version} of model "${e.name}" has no training profile and no training query to make one from (a model brought from a file); train it with CREATE MODEL to monitor it`);
  }
  let profile: ModelProfile;
  try {
    const s = await sampleWithPredictions(ctx, parseStoredQuery(v.query), { database: loc.database, schema: loc.schema, fn: e.function }, v, 'the model\'s training query');
    profile = buildProfile(s.args, s.predictions, predictsCategories(v));
  } catch (err) {
    throw new SqlError(asSqlError(err).code, `version ${v.version} of model "${e.name}" has no training profile, and its training query could not make one: ${asSqlError(err).message}`);
  }
  const file = await writeProfile(db.dataDir, `${v.id}-${randomUUID()}`, profile);
  const txn = db.begin(true);
  try {
    txn.newFiles.add(file);
    txn.apply((s) => {
      const sc = schemaIn(s, { account, ...loc });
      const entry = sc ? modelsOf(sc)[loc.name] : undefined;
      if (entry) updateVersion(entry, v.id, (x) => { x.profileFile ??= file; });
    }, { ddl: true });
    await db.commit(txn, account);
  } finally {
    db.release(txn);
  }
  return profile;
}

/**
 * Appends a run to the monitor's log in a commit of its own (numbered then, so concurrent runs
 * never share a number); returns the recorded run and the state before it, or null when the
 * monitor was dropped meanwhile.
 */
export async function recordRun(db: Database, account: string, id: string, run: MonitorRun): Promise<{ run: MonitorRun; previous: string | null } | null> {
  let recorded: MonitorRun | null = null;
  let previous: string | null = null;
  const txn = db.begin(true);
  try {
    txn.apply((s) => {
      const m = monitorById(s, account, id);
      recorded = null;
      if (!m) return;
      previous = m.runs.at(-1)?.state ?? null;
      m.lastRun += 1;
      recorded = { ...structuredClone(run), run: m.lastRun };
      m.runs.push(recorded);
      if (m.runs.length > KEPT_RUNS) m.runs.splice(0, m.runs.length - KEPT_RUNS);
    }, { ddl: true });
    await db.commit(txn, account);
  } finally {
    db.release(txn);
  }
  return recorded ? { run: recorded, previous } : null;
}

/** Sets what auto retraining decided on a recorded run. */
export async function noteRetrain(db: Database, account: string, id: string, run: number, decision: string): Promise<void> {
  const txn = db.begin(true);
  try {
    txn.apply((s) => {
      const r = monitorById(s, account, id)?.runs.find((x) => x.run === run);
      if (r) r.retrain = decision;
    }, { ddl: true });
    await db.commit(txn, account);
  } finally {
    db.release(txn);
  }
}
