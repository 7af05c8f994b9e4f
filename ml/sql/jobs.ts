// Training runs: one worker per CREATE MODEL, progress published as 'model' events, and the
// outcome committed in a transaction of its own: the ONNX file is written and fsynced first,
// then the catalog turns the model READY (or FAILED with the reason).
import { EventEmitter } from 'node:events';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '../../engine/database.ts';
import { asSqlError } from '../../engine/errors.ts';
import type { CatalogState } from '../../engine/catalog/catalog.ts';
import { fsyncDir, writeFileDurable } from '../../engine/storage/durable.ts';
import type { FittedPrep } from '../prep/plan.ts';
import type { DeployedEndpoint, TrainedModel, TrainingColumn, TrainProgress, TrainSpec } from '../types.ts';
import type { RemoteJobState, RemoteOptions } from '../sagemaker/train_remote.ts';
import type { AutopilotJobState } from '../sagemaker/autopilot.ts';
/** train_remote's DETACH (not imported from there: the AWS SDK loads with the first remote training). */
const DETACH = 'detach';
import { startTraining, type TrainingJob } from '../worker/start.ts';
import { type ModelVersion, modelsOf, schemaIn, versionById } from './catalog.ts';
import { updateVersion } from './versions.ts';
import { type PendingProfile, finishProfile, predictsCategories, startProfile, writeProfile } from '../drift/training.ts';

/** Epoch and boosting-round events are published at most this often per model. */
const EPOCH_EVENT_MS = 100;

/** Identifies one CREATE MODEL: where its entry lives and the entry's unique id. */
export interface ModelKey { account: string; database: string; schema: string; name: string; id: string }

/** The payload of a db.events 'model' event (api/events.ts ModelEvent, plus progress 0..1). */
export interface ModelEventPayload {
  model: string; state: string; kind: string; message?: string; epoch?: number; loss?: number;
  validationScore?: number; progress?: number; at: string; account: string;
}

export class ModelJobs {
  private readonly running = new Map<string, TrainingJob>();
  /** SageMaker jobs: shutdown leaves them running on AWS (they resume at the next open) */
  private readonly detach = new Map<string, () => void>();
  /** ids of models found TRAINING when the database opened: their training died with its process */
  readonly interrupted = new Set<string>();

  constructor(private readonly db: Database) {}

  /** Trains on a worker thread (or on SageMaker), publishing progress; resolves with the trained model. */
  train(key: ModelKey, columns: TrainingColumn[], spec: TrainSpec, rows: number, remote: RemoteOptions | null = null): Promise<TrainedModel> {
    // the candidate list pulls in the training backends (TensorFlow.js): loaded here, not at open
    let steps = 0;
    void import('../train/candidates.ts').then(({ candidatesFor }) => {
      steps = candidatesFor(spec, { problem: spec.problemType ?? 'REGRESSION', classes: 0 }, rows).length + (spec.modelType === 'KMEANS' ? 0 : 1);
    });
    let done = 0, last = 0;
    const onProgress = (p: TrainProgress) => {
      if (p.validationScore !== undefined || p.message?.startsWith('refitting')) done++;
      // per-epoch (per-round) events at most every EPOCH_EVENT_MS; candidate results always
      const now = Date.now();
      if (p.message === undefined && p.validationScore === undefined && now - last < EPOCH_EVENT_MS) return;
      last = now;
      const message = p.message ? `${p.candidate}: ${p.message}` : p.candidate;
      this.emit(key, 'progress', 'TRAINING', { message, epoch: p.epoch, loss: p.loss, validationScore: p.validationScore, progress: steps ? Math.min(0.99, done / steps) : 0 });
    };
    const onJobStarted = async (state: RemoteJobState | AutopilotJobState) => { await this.update(key, (v) => { v.remoteJob = structuredClone(state); }); };
    // AUTO ON without a MODEL_TYPE runs Autopilot; otherwise SageMaker's built-in XGBoost
    const runRemote = async (o: { pollMs?: number; signal: AbortSignal }) => {
      const ap = await import('../sagemaker/autopilot.ts');
      const ro = { pollMs: o.pollMs, ...remote!, signal: o.signal, onJobStarted };
      return ap.usesAutopilot(spec) ? ap.trainAutopilot(columns, spec, ro, onProgress)
        : (await import('../sagemaker/train_remote.ts')).trainRemote(columns, spec, ro, onProgress);
    };
    return this.track(key, remote ? remoteJob(runRemote) : startTraining(columns, spec, onProgress));
  }

  /** Resumes polling a SageMaker job found running at open; the outcome commits as for `start` (no drift profile: the rows are gone). */
  resume(key: ModelKey, state: RemoteJobState | AutopilotJobState): void {
    const onProgress = (p: TrainProgress) => { if (p.message) this.emit(key, 'progress', 'TRAINING', { message: `${p.candidate}: ${p.message}` }); };
    const run = (o: { pollMs?: number; signal: AbortSignal }) => ('kind' in state && state.kind === 'autopilot'
      ? import('../sagemaker/autopilot.ts').then((r) => r.resumeAutopilot(state, o, onProgress))
      : import('../sagemaker/train_remote.ts').then((r) => r.resumeRemote(state as RemoteJobState, o, onProgress)));
    this.track(key, remoteJob(run))
      .then((m) => this.commitReady(key, m, null), (e) => this.commitFailed(key, e))
      .catch(() => undefined);
  }

  private track(key: ModelKey, job: TrainingJob & { detach?: () => void }): Promise<TrainedModel> {
    this.running.set(key.id, job);
    if (job.detach) this.detach.set(key.id, job.detach);
    const forget = () => { this.running.delete(key.id); this.detach.delete(key.id); };
    job.promise.then(forget, forget);
    return job.promise;
  }

  /** Background training: the outcome commits on its own when the worker finishes. */
  start(key: ModelKey, columns: TrainingColumn[], spec: TrainSpec, rows: number, remote: RemoteOptions | null = null): void {
    const profile = this.startProfile(columns, columns.filter((c) => c.name !== spec.target).map((c) => c.name));
    this.train(key, columns, spec, rows, remote)
      .then((m) => this.commitReady(key, m, profile), (e) => this.commitFailed(key, e))
      .catch(() => undefined);
  }

  /** Stops a model's training (DROP MODEL); the worker is terminated. */
  cancel(id: string): void {
    this.running.get(id)?.cancel();
  }

  /** Writes the model's ONNX graph durably under <dataDir>/models and returns its file name. */
  async writeOnnx(key: ModelKey, onnx: Uint8Array): Promise<string> {
    const file = `${key.id}.onnx`;
    const dir = join(this.db.dataDir, 'models');
    await writeFileDurable(join(dir, file), onnx);
    await fsyncDir(dir);
    return file;
  }

  /**
   * Starts the version's training profile (its arguments' distributions, for drift monitors)
   * before training takes the columns; null when it cannot be made, which leaves the model usable.
   */
  startProfile(columns: TrainingColumn[], argNames: string[]): PendingProfile | null {
    try { return startProfile(columns, argNames); } catch { return null; }
  }

  /** Completes the profile with the trained model's predictions and writes it; its file name, or undefined. */
  async writeProfile(key: ModelKey, m: TrainedModel, pending: PendingProfile | null): Promise<string | undefined> {
    if (!pending) return undefined;
    try {
      const categorical = predictsCategories({ labels: m.labels, modelType: m.modelType, problemType: m.problemType });
      return await writeProfile(this.db.dataDir, key.id, await finishProfile(pending, m.onnx, m.inputs, m.outputType, categorical));
    } catch {
      return undefined;
    }
  }

  /** Deletes an endpoint Strata deployed (DROP MODEL, DROP MODEL ... VERSION); best effort, in the background. */
  undeploy(d: DeployedEndpoint): void {
    void import('../sagemaker/autopilot.ts').then((ap) => ap.deleteDeployment(d)).catch(() => undefined);
  }

  emit(key: ModelKey, kind: string, state: string, extra: Partial<ModelEventPayload> = {}): void {
    const e: ModelEventPayload = { model: key.name, state, kind, at: this.db.now().toISOString(), account: key.account };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) (e as unknown as Record<string, unknown>)[k] = v;
    this.db.events.emit('model', e);
  }

  async close(): Promise<void> {
    for (const [id, j] of this.running) (this.detach.get(id) ?? j.cancel)();
  }

  private async commitReady(key: ModelKey, m: TrainedModel, profile: PendingProfile | null): Promise<void> {
    if (!this.stillTraining(this.db.catalog, key)) return;
    // a model served by an endpoint Strata deployed has no graph (and so no drift profile)
    const file = m.served ? undefined : await this.writeOnnx(key, m.onnx);
    const profileFile = m.served ? undefined : await this.writeProfile(key, m, profile);
    const at = this.db.now().toISOString();
    const ok = await this.update(key, (e) => { Object.assign(e, readyFields(m, file, at), profileFile ? { profileFile } : {}); delete e.remoteJob; });
    if (!ok) {
      for (const f of [file, profileFile]) if (f) await unlink(join(this.db.dataDir, 'models', f)).catch(() => undefined);
      if (m.served) this.undeploy(m.served.deployed); // dropped while deploying
      return;
    }
    this.emit(key, 'ready', 'READY', { validationScore: m.validationScore, progress: 1, message: `${m.modelType} ${m.objective} ${m.validationScore.toFixed(4)} in ${m.trainingSeconds.toFixed(1)} s` });
  }

  private async commitFailed(key: ModelKey, err: unknown): Promise<void> {
    const e = asSqlError(err);
    if (e.code === 'QUERY_CANCELED') return; // dropped, or the database is closing
    const at = this.db.now().toISOString();
    if (await this.update(key, (x) => { x.state = 'FAILED'; x.reason = e.message; x.finishedAt = at; delete x.remoteJob; })) {
      this.emit(key, 'failed', 'FAILED', { message: e.message });
    }
  }

  private stillTraining(state: CatalogState, key: ModelKey): ModelVersion | null {
    const sc = schemaIn(state, key);
    const e = sc ? modelsOf(sc)[key.name] : undefined;
    const v = e ? versionById(e, key.id) : undefined;
    return v && v.state === 'TRAINING' ? v : null;
  }

  /** Commits a change to the model's version if it is still TRAINING; false otherwise. */
  private async update(key: ModelKey, change: (v: ModelVersion) => void): Promise<boolean> {
    if (!this.stillTraining(this.db.catalog, key)) return false;
    const txn = this.db.begin(true);
    try {
      txn.apply((s) => {
        if (!this.stillTraining(s, key)) return;
        updateVersion(modelsOf(schemaIn(s, key)!)[key.name], key.id, change);
      }, { ddl: true });
      await this.db.commit(txn, key.account);
      return true;
    } catch {
      return false;
    } finally {
      this.db.release(txn);
    }
  }
}

/**
 * SageMaker training as a TrainingJob: it waits on the network on this thread; cancel stops the
 * remote job, detach (shutdown) leaves it running. The AWS SDK loads with the first remote training.
 */
function remoteJob(run: (o: { pollMs?: number; signal: AbortSignal }) => Promise<TrainedModel>): TrainingJob & { detach: () => void } {
  const ac = new AbortController();
  const pollMs = Number(process.env.STRATA_SAGEMAKER_POLL_MS) || undefined; // tests poll fast
  return { promise: run({ pollMs, signal: ac.signal }), progress: new EventEmitter(), cancel: () => ac.abort(), detach: () => ac.abort(DETACH) };
}

/** The entry fields a finished training sets. */
export function readyFields(m: TrainedModel, onnxFile: string | undefined, at: string): Partial<ModelVersion> {
  return {
    state: 'READY', ...(onnxFile ? { onnxFile } : {}), finishedAt: at,
    ...(m.served ? { remote: m.served.remote, deployed: m.served.deployed, source: `sagemaker:${m.served.remote.endpoint}` } : {}),
    args: m.inputs, returns: m.outputType, labels: m.labels,
    modelType: m.modelType, problemType: m.problemType === 'CLUSTERING' ? undefined : m.problemType, objective: m.objective,
    validationScore: m.validationScore, hyperparameters: stringValues(m.hyperparameters),
    preprocessing: m.served ? m.inputs.map((c) => ({ column: c.name, transform: "Autopilot's feature processing, on the endpoint" })) : summarizePrep(m.preprocessing as FittedPrep),
    ...(m.served ? { proba: false } : {}),
    featureImportance: m.featureImportance,
    candidates: m.candidates.map((c) => ({ modelType: c.modelType, validationScore: c.validationScore })),
    trainingRows: m.trainingRows, trainingSeconds: m.trainingSeconds,
  };
}

function stringValues(r: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]));
}

/** One line per input column saying how it is turned into features. */
export function summarizePrep(p: FittedPrep): { column: string; transform: string }[] {
  return p.inputs.map((c, i) => {
    const dropped = p.dropped.find((d) => d.name === c.name);
    if (dropped) return { column: c.name, transform: `dropped (${dropped.reason})` };
    const cat = p.categorical.find((b) => b.input === i);
    if (cat) return { column: c.name, transform: `${cat.encoding === 'onehot' ? 'one-hot' : 'ordinal'} (${cat.categories.length} categories${cat.fill !== undefined ? `, missing -> '${cat.fill}'` : ''})` };
    const affine = p.affine?.cols.includes(i) ? p.affine : p.normalized.find((b) => b.cols.includes(i));
    if (affine) {
      const j = affine.cols.indexOf(i);
      const scaled = affine.offset[j] !== 0 || affine.scale[j] !== 1;
      if (Number.isNaN(affine.impute[j]) && !scaled) return { column: c.name, transform: 'numeric (as is; NULL is a missing value for the trees)' };
      return { column: c.name, transform: `numeric (impute ${fmt(affine.impute[j])}${scaled ? `, (x - ${fmt(affine.offset[j])}) * ${fmt(affine.scale[j])}` : ''}${affine === p.affine ? '' : ', L2-normalized'})` };
    }
    return { column: c.name, transform: 'unused' };
  });
}

const fmt = (x: number) => String(Number(x.toPrecision(4)));
