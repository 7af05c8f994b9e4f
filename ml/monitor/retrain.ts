// ALTER MODEL m SET AUTO RETRAIN ON DRIFT: after a DRIFTED monitor run, retrain the model from its
// own training query (run as the model's owner) as a new version, holding out a seeded 20% of the
// rows. Both versions are scored on that holdout with the model's objective; the new version
// becomes current only if it scores at least as well, otherwise the old one stays current (the
// new one is kept, READY, for ALTER MODEL ... SET VERSION). The decision goes to the run log.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerIdOf } from '../../engine/catalog/owners.ts';
import type { Database } from '../../engine/database.ts';
import { SqlError, asSqlError } from '../../engine/errors.ts';
import { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';
import { gather, type Vector } from '../../engine/types/vector.ts';
import { finishProfile, predictsCategories, startProfile, writeProfile } from '../drift/training.ts';
import { higherIsBetter, type Objective, score } from '../train/metrics.ts';
import type { TrainingColumn } from '../types.ts';
import { Rng } from '../util/rng.ts';
import { type Label, labelAt } from '../util/values.ts';
import { type ModelEntry, type ModelVersion, makeCurrent, modelsOf, resolveVersion, schemaIn, withVersions } from '../sql/catalog.ts';
import { type ModelJobs, type ModelKey, readyFields } from '../sql/jobs.ts';
import { planModel } from '../sql/spec.ts';
import type { MonitorEntry, MonitorRun } from './catalog.ts';
import { parseStoredQuery } from './sample.ts';

/** The share of the training query's rows held out to compare the versions. */
export const HOLDOUT_SHARE = 0.2;
const HOLDOUT_SEED = 20261206;
/** Fewer rows than this give no meaningful holdout: the model is not retrained. */
export const MIN_RETRAIN_ROWS = 20;

/** Models being retrained now (account.database.schema.name): one retraining per model at a time. */
const retraining = new Set<string>();

/** Retrains after a DRIFTED run; returns the decision for the run log. */
export async function retrainOnDrift(db: Database, jobs: ModelJobs, account: string, m: MonitorEntry, model: ModelEntry, run: MonitorRun): Promise<string> {
  const id = `${account}.${m.model.database}.${m.model.schema}.${m.model.name}`;
  if (retraining.has(id)) return `not retrained: model "${model.name}" is being retrained after another drift already`;
  retraining.add(id);
  try {
    return await retrain(db, jobs, account, m, model, run);
  } finally {
    retraining.delete(id);
  }
}

async function retrain(db: Database, jobs: ModelJobs, account: string, m: MonitorEntry, model: ModelEntry, run: MonitorRun): Promise<string> {
  const loc = { account, ...m.model };
  const old = resolveVersion(model, run.modelVersion);
  if (!old.query || !old.target) return `not retrained: version ${old.version} of model "${model.name}" has no training query and target to retrain from`;
  if (old.modelType === 'KMEANS' || old.source) return `not retrained: version ${old.version} was not trained by CREATE MODEL with a target`;
  const training = (model.versions ?? []).find((v) => v.state === 'TRAINING');
  if (training) return `not retrained: version ${training.version} of model "${model.name}" is still training`;
  const owner = db.catalog.accounts[account]?.users[model.owner];
  if (!owner || owner.id === undefined || owner.id !== ownerIdOf(db.catalog, account, model)) return `not retrained: the model's owner "${model.owner}" no longer exists`;

  // the training query, as the model's owner
  const txn = db.begin(false);
  const ctx = new StatementContext(db, { account, user: model.owner, userId: owner.id, database: m.model.database, searchPath: [m.model.schema], settings: new Map() }, txn);
  let columns: TrainingColumn[];
  try {
    const plan = await ctx.bindQuery(parseStoredQuery(old.query));
    const batch = await ctx.run(plan);
    columns = plan.fields.filter((f) => !f.hidden).map((f, i) => ({ name: f.name, type: f.type, vector: batch.columns[i] }));
  } catch (e) {
    return `not retrained: the training query failed: ${asSqlError(e).message}`;
  } finally {
    ctx.dispose();
    db.release(txn);
  }
  const rows = columns[0]?.vector.length ?? 0;
  if (rows < MIN_RETRAIN_ROWS) return `not retrained: the training query gave ${rows} rows (at least ${MIN_RETRAIN_ROWS} are needed for a holdout)`;

  const stmt: A.CreateModel = {
    kind: 'CreateModel', pos: { line: 1, column: 1, offset: 0 }, name: [m.model.database, m.model.schema, model.name],
    from: { kind: 'Subquery', pos: { line: 1, column: 1, offset: 0 }, query: parseStoredQuery(old.query) }, function: [model.function],
    target: old.target, auto: old.auto ?? true,
    ...(old.auto === false && old.modelType ? { modelType: old.modelType as A.CreateModel['modelType'] } : {}),
    ...(old.problemType ? { problemType: old.problemType as A.CreateModel['problemType'] } : {}),
    ...(old.objective ? { objective: old.objective } : {}),
    settings: Object.entries(old.settings ?? {}).map(([key, value]) => ({ key, value })),
  };
  const planned = planModel(stmt, columns);
  if (planned.remote) return 'not retrained: models trained on SageMaker are not retrained automatically';
  const { train, holdout } = splitRows(rows);
  const trainCols = columns.map((c) => ({ ...c, vector: gather(c.vector, train, train.length) }));
  const holdCols = columns.map((c) => ({ ...c, vector: gather(c.vector, holdout, holdout.length) }));

  const key: ModelKey = { ...loc, id: randomUUID() };
  jobs.emit(key, 'created', 'TRAINING', { message: `retraining on drift (monitor ${m.name}, run ${run.run}) on ${train.length} rows` });
  const pending = startProfile(trainCols, planned.args.map((a) => a.name));
  const trained = await jobs.train(key, trainCols, planned.spec, train.length);
  const objective = (planned.objective ?? old.objective ?? 'MSE') as Objective;
  const target = planned.spec.target!;
  const truth = holdCols.find((c) => c.name === target)!.vector;
  const { Predictor } = await import('../infer/predictor.ts');
  const scoreOf = async (onnx: Uint8Array, v: { args: { name: string }[]; returns: ModelVersion['returns'] }): Promise<number> => {
    const p = await Predictor.create(onnx, { outputType: v.returns });
    try {
      const args = v.args.map((a) => holdCols.find((c) => c.name === a.name)!.vector);
      return holdoutScore(objective, await p.predict(args, holdout.length), truth);
    } finally {
      await p.release();
    }
  };
  const oldOnnx = new Uint8Array(await readFile(join(db.dataDir, 'models', old.onnxFile!)));
  const oldScore = await scoreOf(oldOnnx, old);
  const newScore = await scoreOf(trained.onnx, { args: trained.inputs, returns: trained.outputType });
  const better = higherIsBetter(objective) ? newScore >= oldScore : newScore <= oldScore;

  const file = await jobs.writeOnnx(key, trained.onnx);
  const categorical = predictsCategories({ labels: trained.labels, modelType: trained.modelType, problemType: trained.problemType });
  const profileFile = await finishProfile(pending, trained.onnx, trained.inputs, trained.outputType, categorical).then((p) => writeProfile(db.dataDir, key.id, p), () => undefined);
  const at = db.now().toISOString();
  let number = 0;
  let current = false;
  const commit = db.begin(true);
  try {
    commit.newFiles.add(file);
    if (profileFile) commit.newFiles.add(profileFile);
    commit.apply((s) => {
      const sc = schemaIn(s, loc);
      const e = sc ? modelsOf(sc)[model.name] : undefined;
      if (!e || e.function !== model.function) throw new SqlError('UNDEFINED_OBJECT', `model "${model.name}" was dropped while it was retrained`);
      const w = withVersions(e);
      number = Math.max(w.lastVersion ?? 0, ...w.versions.map((x) => x.version)) + 1;
      const v: ModelVersion = {
        id: key.id, version: number, state: 'TRAINING', args: planned.args, returns: planned.returns,
        query: old.query, target: old.target, auto: old.auto, settings: old.settings ?? {}, createdAt: at,
        ...readyFields(trained, file, at), ...(profileFile ? { profileFile } : {}),
      } as ModelVersion;
      if (v.labels === undefined) delete v.labels;
      w.versions.push(v);
      w.lastVersion = number;
      // the old version stays current unless the new one is at least as good and nobody switched meanwhile
      current = better && w.version === old.version;
      if (current) makeCurrent(w, v);
    }, { ddl: true });
    await db.commit(commit, account);
  } catch (e) {
    return `not retrained: ${asSqlError(e).message}`;
  } finally {
    db.release(commit);
  }
  const fmt = (x: number) => String(Number(x.toFixed(4)));
  const verdict = current ? `version ${number} is current` : better ? `version ${number} kept, not current (the current version changed meanwhile)` : `version ${old.version} stays current`;
  const decision = `retrained version ${number} on ${train.length} rows; holdout of ${holdout.length} rows: ${objective} ${fmt(newScore)} vs version ${old.version}'s ${fmt(oldScore)}; ${verdict}`;
  jobs.emit(key, 'ready', 'READY', { validationScore: trained.validationScore, progress: 1, message: decision });
  return decision;
}

/** A seeded split of row numbers: HOLDOUT_SHARE held out, the rest to train on. */
export function splitRows(rows: number): { train: Uint32Array; holdout: Uint32Array } {
  const order = new Rng(HOLDOUT_SEED).shuffle(Uint32Array.from({ length: rows }, (_, i) => i));
  const h = Math.max(1, Math.round(rows * HOLDOUT_SHARE));
  return { holdout: order.slice(0, h).sort(), train: order.slice(h).sort() };
}

/**
 * The objective on held-out rows from predicted values: MSE for regression; for classifiers the
 * predicted labels as one-hot scores (so AUC becomes the AUC of hard predictions), the classes of
 * the truth and the predictions in sorted order (F1's positive class is the second, as in training).
 */
export function holdoutScore(objective: Objective, predicted: Vector, truth: Vector): number {
  const n = truth.length;
  if (objective === 'MSE') {
    const out = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { out[i] = Number(labelAt(predicted, i) ?? NaN); y[i] = Number(labelAt(truth, i) ?? NaN); }
    return score('MSE', out, y, 0);
  }
  const key = (l: Label | null) => (l === null ? '\u0000null' : `${typeof l}:${String(l)}`);
  const labels = new Map<string, Label | null>();
  for (let i = 0; i < n; i++) { labels.set(key(labelAt(truth, i)), labelAt(truth, i)); labels.set(key(labelAt(predicted, i)), labelAt(predicted, i)); }
  const sorted = [...labels.keys()].sort((a, b) => {
    const la = labels.get(a), lb = labels.get(b);
    if (typeof la === 'number' && typeof lb === 'number') return la - lb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const index = new Map(sorted.map((k, i) => [k, i]));
  const k = sorted.length;
  const out = new Float64Array(n * k), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i * k + index.get(key(labelAt(predicted, i)))!] = 1;
    y[i] = index.get(key(labelAt(truth, i)))!;
  }
  return score(objective, out, y, k);
}
