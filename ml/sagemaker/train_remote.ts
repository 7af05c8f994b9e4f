// trainRemote: TRAINER 'sagemaker'. Preprocess locally -> CSV to S3 -> SageMaker built-in XGBoost
// job (polled) -> model.tar.gz -> XGBoost model (JSON/UBJSON/binary) -> local tree structure -> one ONNX graph with the
// preprocessing and label decoding, scored locally on held-out rows.
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, type DescribeTrainingJobResponse, DescribeTrainingJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { SqlError } from '../../engine/errors.ts';
import { compileModel } from '../onnx/compile.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { gbt } from '../train/gbt.ts';
import { resolveObjective, score } from '../train/metrics.ts';
import type { FitData } from '../train/backend.ts';
import type { Objective } from '../train/metrics.ts';
import type { ProblemType, TrainedModel, TrainingColumn, TrainProgress, TrainSpec } from '../types.ts';
import type { Label } from '../util/values.ts';
import type { SqlType } from '../../engine/types/types.ts';
import { checkAbort } from '../util/cancel.ts';
import type { AutopilotJobState } from './autopilot.ts';
import { type Aws, type Credentials, awsError, connect, parseBucket, parseS3Uri } from './aws.ts';
import { fromCsv, prepare, setting, toCsv } from './data.ts';
import { jobName, resolveRole, trainingJobRequest, xgboostHyperparameters, xgboostImage } from './job.ts';
import { readTarGz } from './tar.ts';
import { type XgbModel, parseXgboostModel, splitImportance, toTreeModel } from './xgboost.ts';

/** How to reach SageMaker and S3 for one CREATE MODEL ... SETTINGS (TRAINER 'sagemaker', ...). */
export interface RemoteOptions {
  /** S3_BUCKET: 'bucket' or 'bucket/prefix'; data and model go under <prefix>strata/<job>/. */
  s3Bucket: string;
  /** IAM_ROLE; absent or 'default' uses STRATA_SAGEMAKER_ROLE_ARN. */
  roleArn?: string;
  region?: string;
  /** Endpoint overrides (else STRATA_S3_ENDPOINT / STRATA_SAGEMAKER_ENDPOINT, else AWS). */
  endpoint?: { s3?: string; sagemaker?: string };
  /** DescribeTrainingJob interval (default 15 s). */
  pollMs?: number;
  /** StoppingCondition; default SETTINGS MAX_RUNTIME, else 5400 (Redshift's default). */
  maxRuntimeSeconds?: number;
  /** Abort stops the SageMaker job (StopTrainingJob) and fails with QUERY_CANCELED. */
  signal?: AbortSignal;
  credentials?: Credentials;
  /**
   * Autopilot only (SETTINGS DEPLOY_INSTANCE_TYPE): a best candidate Strata cannot compile is
   * deployed to a new endpoint on one instance of this type, and the function calls it.
   */
  deployInstanceType?: string;
  /** Training instance (default ml.m5.xlarge). */
  instanceType?: string;
  /** SDK attempts per request (default 3). */
  maxAttempts?: number;
  /**
   * Called (and awaited) once SageMaker accepted the job, with what a restarted server needs to
   * resume it (`resumeRemote`); the caller persists it. No credentials are in it.
   */
  onJobStarted?: (state: RemoteJobState | AutopilotJobState) => Promise<void>;
}

/** Aborting `signal` with this reason leaves the SageMaker job running (server shutdown: it resumes on restart). */
export const DETACH = 'detach';

/** A started job as persisted in the catalog: where it runs and how to import and score its model. */
export interface RemoteJobState {
  job: string;
  bucket: string;
  region: string;
  /** S3 keys Strata wrote (the CSVs); the artifact's is added once known. */
  uploaded: string[];
  validationKey: string;
  gc: boolean;
  maxRuntime: number;
  /** epoch ms after which Strata stops the job itself */
  deadline: number;
  startedAt: number;
  rows: number;
  cols: number;
  prep: FittedPrep;
  labels?: Label[];
  outputType: SqlType;
  problem: ProblemType;
  objective: Objective;
  hyperparameters: Record<string, string>;
}

/** Seconds beyond MAX_RUNTIME Strata waits for a job (SageMaker does not count instance provisioning) before stopping it itself. */
export const PROVISIONING_GRACE_S = 900;
const CANDIDATE = 'sagemaker';

/** What every SageMaker job of a statement needs first: where its files go, the role, MAX_RUNTIME and whether S3 files are collected. */
export function jobSettings(spec: TrainSpec, opts: RemoteOptions): { place: ReturnType<typeof parseBucket>; roleArn: string; maxRuntime: number; gc: boolean } {
  const place = parseBucket(opts.s3Bucket);
  const roleArn = resolveRole(opts.roleArn);
  const maxRuntime = Math.round(opts.maxRuntimeSeconds ?? setting(spec, 'MAX_RUNTIME') ?? 5400);
  if (!(maxRuntime >= 1)) throw new SqlError('INVALID_PARAMETER', 'MAX_RUNTIME must be at least 1 second');
  const gc = String(Object.entries(spec.settings ?? {}).find(([k]) => k.toUpperCase() === 'S3_GARBAGE_COLLECT')?.[1] ?? 'ON').toUpperCase() !== 'OFF';
  return { place, roleArn, maxRuntime, gc };
}

/** Fails with a clear error when the S3 bucket is missing or not ours to use, before anything is uploaded. */
export async function checkBucket(aws: Aws, bucket: string, signal?: AbortSignal): Promise<void> {
  await call(async () => {
    try { await aws.s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal }); } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw new SqlError('UNDEFINED_OBJECT', `S3 bucket '${bucket}' does not exist (S3_BUCKET, at ${aws.s3Endpoint})`);
      if (status === 403) throw new SqlError('PERMISSION_DENIED', `no access to S3 bucket '${bucket}' (S3_BUCKET, at ${aws.s3Endpoint})`);
      throw e;
    }
  }, `checking bucket '${bucket}'`, aws.s3Endpoint, 'STRATA_S3_ENDPOINT');
}

/** Trains an XGBoost model on SageMaker and returns it compiled like a local model (see README.md). */
export async function trainRemote(columns: TrainingColumn[], spec: TrainSpec, opts: RemoteOptions, onProgress?: (p: TrainProgress) => void): Promise<TrainedModel> {
  const t0 = Date.now();
  const say = (message: string, extra: Partial<TrainProgress> = {}) => onProgress?.({ candidate: CANDIDATE, message, ...extra });
  const { signal } = opts;
  const { place, roleArn, maxRuntime, gc } = jobSettings(spec, opts);

  const d = prepare(columns, spec);
  const problem = d.target.problem;
  const classes = d.target.labels?.length ?? 0;
  const objective = resolveObjective(problem, spec.objective);
  const hyperparameters = xgboostHyperparameters(problem, classes, spec.hyperparameters ?? {}, d.seed);
  say(`${d.rows} rows, ${d.x.cols} features from ${d.prep.inputs.length} columns${d.prep.dropped.length ? `; dropped ${d.prep.dropped.map((c) => `${c.name} (${c.reason})`).join(', ')}` : ''}`);
  checkAbort(signal);

  const aws = connect(opts);
  const name = jobName();
  const base = `${place.prefix}strata/${name}`;
  const uri = (key: string) => `s3://${place.bucket}/${key}`;
  const keys = { train: `${base}/train/train.csv`, validation: `${base}/validation/validation.csv` };
  const s3 = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.s3Endpoint, 'STRATA_S3_ENDPOINT');
  const sm = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.smEndpoint, 'STRATA_SAGEMAKER_ENDPOINT');
  const uploaded: string[] = [];
  let state: RemoteJobState | null = null;
  try {
    await checkBucket(aws, place.bucket, signal);
    say(`uploading ${d.train.rows} training and ${d.valid.rows} validation rows to ${uri(`${base}/`)}`);
    for (const [key, rows] of [[keys.train, d.train], [keys.validation, d.valid]] as const) {
      await s3(`uploading ${uri(key)}`, () => aws.s3.send(new PutObjectCommand({ Bucket: place.bucket, Key: key, Body: toCsv(rows), ContentType: 'text/csv' }), { abortSignal: signal }));
      uploaded.push(key);
    }

    const request = trainingJobRequest({
      name, roleArn, image: xgboostImage(aws.region), hyperparameters,
      train: uri(`${base}/train/`), validation: uri(`${base}/validation/`), output: uri(`${base}/output`),
      maxRuntimeSeconds: maxRuntime, instanceType: opts.instanceType ?? 'ml.m5.xlarge', volumeGb: 10,
    });
    checkAbort(signal);
    await sm(`creating SageMaker training job ${name}`, () => aws.sm.send(new CreateTrainingJobCommand(request)));
    state = {
      job: name, bucket: place.bucket, region: aws.region, uploaded: [...uploaded], validationKey: keys.validation, gc,
      maxRuntime, deadline: Date.now() + (maxRuntime + PROVISIONING_GRACE_S) * 1000, startedAt: t0, rows: d.rows, cols: d.x.cols,
      prep: d.prep, labels: d.target.labels, outputType: d.target.outputType, problem, objective, hyperparameters,
    };
    await opts.onJobStarted?.(state);
    say(`started SageMaker training job ${name}`);
    return await finishJob(aws, state, d.valid, opts, say);
  } finally {
    // S3_GARBAGE_COLLECT (default ON): remove the exported data, as Redshift does; a detached job keeps it for its resume.
    if (gc && !(state && signal?.reason === DETACH)) await Promise.allSettled((state?.uploaded ?? uploaded).map((key) => aws.s3.send(new DeleteObjectCommand({ Bucket: place.bucket, Key: key }))));
  }
}

/** Continues a job started before a restart: polls it, imports its model, scores it on the held-out CSV it uploaded. */
export async function resumeRemote(state: RemoteJobState, opts: Pick<RemoteOptions, 'endpoint' | 'pollMs' | 'signal' | 'credentials' | 'maxAttempts'>, onProgress?: (p: TrainProgress) => void): Promise<TrainedModel> {
  const say = (message: string, extra: Partial<TrainProgress> = {}) => onProgress?.({ candidate: CANDIDATE, message, ...extra });
  state = structuredClone(state); // the catalog's copy stays as committed
  const aws = connect({ ...opts, region: state.region });
  try {
    say(`resuming SageMaker training job ${state.job} after a restart`);
    return await finishJob(aws, state, null, opts, say);
  } finally {
    if (state.gc && opts.signal?.reason !== DETACH) await Promise.allSettled(state.uploaded.map((key) => aws.s3.send(new DeleteObjectCommand({ Bucket: state.bucket, Key: key }))));
  }
}

/** Waits for the job, downloads and imports its model, scores it on the held-out rows (read back from S3 when `valid` is null). */
async function finishJob(aws: Aws, st: RemoteJobState, valid: FitData | null, opts: Pick<RemoteOptions, 'pollMs' | 'signal'>, say: (m: string, extra?: Partial<TrainProgress>) => void): Promise<TrainedModel> {
  const { signal } = opts;
  const name = st.job;
  const s3 = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.s3Endpoint, 'STRATA_S3_ENDPOINT');
  const sm = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.smEndpoint, 'STRATA_SAGEMAKER_ENDPOINT');
  const done = await waitForJob(aws, name, { pollMs: opts.pollMs ?? 15_000, deadline: st.deadline, maxRuntime: st.maxRuntime, signal }, say, sm);

  const artifact = done.ModelArtifacts?.S3ModelArtifacts;
  if (!artifact) throw new SqlError('INVALID_PARAMETER', `SageMaker training job ${name} completed without model artifacts`);
  const at = parseS3Uri(artifact);
  if (at.bucket === st.bucket) st.uploaded.push(at.key);
  const get = (key: string) => s3(`downloading s3://${st.bucket}/${key}`, async () => {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: st.bucket, Key: key }), { abortSignal: signal });
    return r.Body!.transformToByteArray();
  });
  say(`downloading ${artifact}`);
  const bytes = await s3(`downloading ${artifact}`, async () => {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }), { abortSignal: signal });
    return r.Body!.transformToByteArray();
  });
  const file = modelFile(bytes, artifact);
  const xgb = parseXgboostModel(file.data, `${artifact}: ${file.name}`);
  const classes = st.labels?.length ?? 0;
  checkModelShape(xgb, st.cols, st.problem, classes, name);
  // Strata's preprocessing imputes every missing value before the trees, so no NaN guards are needed.
  const model = toTreeModel(xgb, { nanGuards: false });
  const rounds = Math.round(model.trees.length / model.outputs);
  const held = valid ?? fromCsv(new TextDecoder().decode(await get(st.validationKey)), st.cols, `s3://${st.bucket}/${st.validationKey}`);
  const validationScore = score(st.objective, gbt.predict(model, held.x, held.rows), held.y, classes);
  say(`imported ${model.trees.length} trees (${rounds} rounds); held-out ${st.objective} ${validationScore.toFixed(4)}`, { validationScore });

  const onnx = compileModel({ prep: st.prep, model, labels: st.labels, outputType: st.outputType, problemType: st.problem, modelType: 'XGBOOST' });
  const params = { ...st.hyperparameters, num_round: String(rounds) };
  return {
    onnx, inputs: st.prep.inputs, outputType: st.outputType, labels: st.labels, problemType: st.problem, modelType: 'XGBOOST', objective: st.objective,
    validationScore, hyperparameters: { ...params, trainer: 'sagemaker', training_job: name }, preprocessing: st.prep,
    trainingRows: st.rows, trainingSeconds: (Date.now() - st.startedAt) / 1000,
    candidates: [{ modelType: 'XGBOOST', params, validationScore }],
    featureImportance: importanceByColumn(st.prep, splitImportance(xgb, st.cols)),
  };
}

export async function call<T>(f: () => Promise<T>, doing: string, endpoint: string, envVar: string): Promise<T> {
  try { return await f(); } catch (e) { throw awsError(e, doing, endpoint, envVar); }
}

type Step = <T>(doing: string, f: () => Promise<T>) => Promise<T>;

/** Polls DescribeTrainingJob until the job ends; a status change is a progress event. Abort or the deadline stops the job. */
async function waitForJob(
  aws: Aws, name: string, o: { pollMs: number; deadline: number; maxRuntime: number; signal?: AbortSignal },
  say: (m: string) => void, sm: Step,
): Promise<DescribeTrainingJobResponse> {
  const stop = async (why: string) => {
    try { await aws.sm.send(new StopTrainingJobCommand({ TrainingJobName: name })); } catch (e) { why += ` (StopTrainingJob failed: ${(e as Error).message})`; }
    return why;
  };
  let last = '';
  for (;;) {
    if (o.signal?.aborted && o.signal.reason === DETACH) throw new SqlError('QUERY_CANCELED', `left SageMaker training job ${name} running; it resumes when the server restarts`);
    if (o.signal?.aborted) throw new SqlError('QUERY_CANCELED', await stop(`model training was canceled; stopped SageMaker training job ${name}`));
    if (Date.now() > o.deadline) throw new SqlError('QUERY_CANCELED', await stop(`SageMaker training job ${name} did not finish within MAX_RUNTIME (${o.maxRuntime} s) plus ${PROVISIONING_GRACE_S} s for provisioning; stopped it`));
    const j = await sm(`polling SageMaker training job ${name}`, () => aws.sm.send(new DescribeTrainingJobCommand({ TrainingJobName: name })));
    const status = `${j.TrainingJobStatus}${j.SecondaryStatus ? ` (${j.SecondaryStatus})` : ''}`;
    if (status !== last) { say(`job ${name}: ${status}${j.SecondaryStatusTransitions?.at(-1)?.StatusMessage ? ` - ${j.SecondaryStatusTransitions.at(-1)!.StatusMessage}` : ''}`); last = status; }
    switch (j.TrainingJobStatus) {
      case 'Completed': return j;
      case 'Failed': throw new SqlError('INVALID_PARAMETER', `SageMaker training job ${name} failed: ${j.FailureReason ?? 'no reason given'}`);
      case 'Stopped':
        if (j.SecondaryStatus === 'MaxRuntimeExceeded') throw new SqlError('QUERY_CANCELED', `SageMaker training job ${name} exceeded MAX_RUNTIME (${o.maxRuntime} s) and was stopped; raise SETTINGS MAX_RUNTIME`);
        throw new SqlError('QUERY_CANCELED', `SageMaker training job ${name} was stopped outside Strata`);
      default: await sleep(o.pollMs, o.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The XGBoost model inside model.tar.gz: `xgboost-model` (the built-in container's name), else a *.json / *.ubj, else the only file. */
export function modelFile(bytes: Uint8Array, artifact: string): { name: string; data: Uint8Array } {
  let files;
  try { files = readTarGz(bytes); } catch (e) { throw new SqlError('INVALID_PARAMETER', `${artifact} is not a model.tar.gz: ${(e as Error).message}`); }
  const f = files.find((x) => x.name.split('/').pop() === 'xgboost-model') ?? files.find((x) => /\.(json|ubj)$/.test(x.name)) ?? (files.length === 1 ? files[0] : undefined);
  if (!f) throw new SqlError('INVALID_PARAMETER', `${artifact} holds no XGBoost model (files: ${files.map((x) => x.name).join(', ') || 'none'})`);
  return f;
}

export function checkModelShape(m: XgbModel, cols: number, problem: string, classes: number, name: string): void {
  const want = problem === 'REGRESSION' ? 'identity' : problem === 'BINARY_CLASSIFICATION' ? 'sigmoid' : 'softmax';
  if (m.head !== want) throw new SqlError('INVALID_PARAMETER', `SageMaker job ${name} returned a ${m.objective} model for a ${problem} problem`);
  if (want === 'softmax' && m.outputs !== classes) throw new SqlError('INVALID_PARAMETER', `SageMaker job ${name} returned ${m.outputs} classes, expected ${classes}`);
  if (m.numFeature > cols) throw new SqlError('INVALID_PARAMETER', `SageMaker job ${name} returned a model over ${m.numFeature} features, but the data has ${cols}`);
}

/** Split importance per feature-matrix column, summed per input column (one-hot columns to their source), normalized to 1. */
export function importanceByColumn(prep: FittedPrep, perFeature: Float64Array): TrainedModel['featureImportance'] {
  const owner: number[] = [];
  if (prep.affine) owner.push(...prep.affine.cols);
  for (const b of prep.normalized) owner.push(...b.cols);
  for (const c of prep.categorical) owner.push(...new Array(c.encoding === 'ordinal' ? 1 : c.categories.length).fill(c.input));
  const sums = new Float64Array(prep.inputs.length);
  owner.forEach((input, f) => { sums[input] += perFeature[f] ?? 0; });
  const total = sums.reduce((a, b) => a + b, 0) || 1;
  return prep.inputs.map((c, i) => ({ feature: c.name, importance: sums[i] / total })).sort((a, b) => b.importance - a.importance);
}
