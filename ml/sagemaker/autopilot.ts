// AUTO ON with TRAINER 'sagemaker': a SageMaker Autopilot job (CreateAutoMLJobV2, tabular). The
// training snapshot goes to S3 as it is (CSV with a header, the target last), Autopilot searches
// XGBoost candidates, and Strata imports the best one when it is a model Strata can compile: a
// candidate whose pipeline is SageMaker's XGBoost container alone, over numeric columns. A
// candidate behind Autopilot's own feature processing (a pickled scikit-learn pipeline) cannot be
// compiled; the model then FAILS saying so and naming the candidate (see README.md, "Autopilot").
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type AutoMLCandidate, CreateAutoMLJobV2Command, CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand,
  DeleteEndpointCommand, DeleteEndpointConfigCommand, DeleteModelCommand, DescribeEndpointCommand, type CreateAutoMLJobV2Request, DescribeAutoMLJobV2Command, type DescribeAutoMLJobV2Response,
  ListCandidatesForAutoMLJobCommand, StopAutoMLJobCommand,
} from '@aws-sdk/client-sagemaker';
import { SqlError } from '../../engine/errors.ts';
import { type SqlType, isNumeric } from '../../engine/types/types.ts';
import { gather } from '../../engine/types/vector.ts';
import { compileModel } from '../onnx/compile.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { encodeTarget } from '../prep/target.ts';
import { type Objective, resolveObjective } from '../train/metrics.ts';
import { DEFAULT_MAX_CELLS, sampleForCells } from '../train/split.ts';
import type { DeployedEndpoint, ProblemType, TrainedModel, TrainingColumn, TrainProgress, TrainSpec } from '../types.ts';
import { checkAbort } from '../util/cancel.ts';
import type { Label } from '../util/values.ts';
import { type Aws, connect, parseS3Uri } from './aws.ts';
import { setting } from './data.ts';
import { csvLines } from './invoke.ts';
import { DETACH, PROVISIONING_GRACE_S, type RemoteOptions, call, checkBucket, jobSettings, checkModelShape, importanceByColumn, modelFile, sleep } from './train_remote.ts';
import { parseXgboostModel, splitImportance, toTreeModel } from './xgboost.ts';

/** An Autopilot job as persisted in the model version (no credentials): enough to resume and import. */
export interface AutopilotJobState {
  kind: 'autopilot';
  job: string;
  bucket: string;
  /** the key prefix Strata owns for this job (its CSV and Autopilot's output); garbage-collected */
  prefix: string;
  region: string;
  gc: boolean;
  maxRuntime: number;
  deadline: number;
  startedAt: number;
  rows: number;
  /** the feature columns, in CSV order (the function's arguments) */
  inputs: { name: string; type: SqlType }[];
  labels?: Label[];
  outputType: SqlType;
  problem: ProblemType;
  objective: Objective;
  /** the role SageMaker assumes (for the job, and for a deployed model) */
  roleArn: string;
  /** DEPLOY_INSTANCE_TYPE: deploy a candidate Strata cannot compile on this instance type */
  deploy?: string;
}

/** How long an endpoint may take to come InService (SageMaker needs minutes) before Strata gives up and deletes it. */
const DEPLOY_TIMEOUT_S = 1800;

const CANDIDATE = 'autopilot';
/** Autopilot's names for Strata's problem types and objectives. */
const PROBLEM: Record<ProblemType, string> = { REGRESSION: 'Regression', BINARY_CLASSIFICATION: 'BinaryClassification', MULTICLASS_CLASSIFICATION: 'MulticlassClassification' };
const METRIC: Record<Objective, string> = { MSE: 'MSE', Accuracy: 'Accuracy', F1: 'F1', F1_Macro: 'F1macro', AUC: 'AUC' };

export { usesAutopilot } from './settings.ts';

/** An Autopilot job name: at most 32 characters of [a-zA-Z0-9-]. */
function jobName(): string {
  return `strata-ap-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

export async function trainAutopilot(columns: TrainingColumn[], spec: TrainSpec, opts: RemoteOptions, onProgress?: (p: TrainProgress) => void): Promise<TrainedModel> {
  const t0 = Date.now();
  const say = (message: string, extra: Partial<TrainProgress> = {}) => onProgress?.({ candidate: CANDIDATE, message, ...extra });
  const { signal } = opts;
  const { place, roleArn, maxRuntime, gc } = jobSettings(spec, opts);
  const ti = columns.findIndex((c) => c.name.toLowerCase() === spec.target?.toLowerCase());
  if (ti < 0) throw new SqlError('UNDEFINED_COLUMN', `target column "${spec.target}" is not in the training data`);

  // NULL targets dropped and MAX_CELLS sampling, as local training does; the rest is Autopilot's
  const tv = columns[ti].vector;
  let keep: number[] = [];
  for (let r = 0; r < tv.length; r++) if (!tv.valid || tv.valid[r] !== 0) keep.push(r);
  const sample = sampleForCells(keep.length, columns.length, setting(spec, 'MAX_CELLS') ?? DEFAULT_MAX_CELLS, Math.trunc(setting(spec, 'SEED') ?? 42));
  if (sample) keep = Array.from(sample, (i) => keep[i]);
  const sel = Uint32Array.from(keep);
  const ordered = [...columns.filter((_, i) => i !== ti), columns[ti]].map((c) => ({ ...c, vector: gather(c.vector, sel, sel.length) }));
  const target = encodeTarget(columns[ti].name, ordered.at(-1)!.vector, spec.problemType);
  const objective = resolveObjective(target.problem, spec.objective);
  const csv = `${headerLine(ordered.map((c) => c.name))}\n${csvLines(ordered.map((c) => c.vector), sel.length).join('\n')}\n`;
  checkAbort(signal);

  const aws = connect(opts);
  const name = jobName();
  const prefix = `${place.prefix}strata/${name}/`;
  const key = `${prefix}input/train.csv`;
  const s3 = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.s3Endpoint, 'STRATA_S3_ENDPOINT');
  const sm = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.smEndpoint, 'STRATA_SAGEMAKER_ENDPOINT');
  let state: AutopilotJobState | null = null;
  let uploaded = false, served = false;
  try {
    await checkBucket(aws, place.bucket, signal);
    say(`uploading ${sel.length} rows of ${ordered.length} columns to s3://${place.bucket}/${key}`);
    await s3(`uploading s3://${place.bucket}/${key}`, () => aws.s3.send(new PutObjectCommand({ Bucket: place.bucket, Key: key, Body: csv, ContentType: 'text/csv' }), { abortSignal: signal }));
    uploaded = true;
    const request = autopilotRequest({
      name, roleArn, input: `s3://${place.bucket}/${prefix}input/`, output: `s3://${place.bucket}/${prefix}output`,
      target: columns[ti].name, problem: target.problem, objective: spec.objective ? objective : undefined, maxRuntime,
    });
    checkAbort(signal);
    await sm(`creating SageMaker Autopilot job ${name}`, () => aws.sm.send(new CreateAutoMLJobV2Command(request)));
    state = {
      kind: 'autopilot', job: name, bucket: place.bucket, prefix, region: aws.region, gc, maxRuntime,
      deadline: Date.now() + (maxRuntime + PROVISIONING_GRACE_S) * 1000, startedAt: t0, rows: sel.length,
      inputs: ordered.slice(0, -1).map((c) => ({ name: c.name, type: c.type })),
      labels: target.labels, outputType: target.outputType, problem: target.problem, objective, roleArn,
      ...(opts.deployInstanceType ? { deploy: opts.deployInstanceType } : {}),
    };
    await opts.onJobStarted?.(state);
    say(`started SageMaker Autopilot job ${name}`);
    const model = await finishAutopilot(aws, state, opts, say);
    served = !!model.served;
    return model;
  } finally {
    // a deployed endpoint keeps the candidate's artifacts (SageMaker reads them when it replaces or adds an instance)
    if (gc && uploaded && !(state && signal?.reason === DETACH)) await removePrefix(aws, place.bucket, served ? `${prefix}input/` : prefix);
  }
}

/** Continues an Autopilot job started before a restart. */
export async function resumeAutopilot(state: AutopilotJobState, opts: Pick<RemoteOptions, 'endpoint' | 'pollMs' | 'signal' | 'credentials' | 'maxAttempts'>, onProgress?: (p: TrainProgress) => void): Promise<TrainedModel> {
  const say = (message: string, extra: Partial<TrainProgress> = {}) => onProgress?.({ candidate: CANDIDATE, message, ...extra });
  const aws = connect({ ...opts, region: state.region });
  let served = false;
  try {
    say(`resuming SageMaker Autopilot job ${state.job} after a restart`);
    const model = await finishAutopilot(aws, structuredClone(state), opts, say);
    served = !!model.served;
    return model;
  } finally {
    if (state.gc && opts.signal?.reason !== DETACH) await removePrefix(aws, state.bucket, served ? `${state.prefix}input/` : state.prefix);
  }
}

export interface AutopilotPlan {
  name: string; roleArn: string; input: string; output: string; target: string;
  problem: ProblemType; objective?: Objective; maxRuntime: number;
}

/** CreateAutoMLJobV2 for a tabular problem: CSV with a header, XGBoost candidates only (the ones Strata can import). */
export function autopilotRequest(p: AutopilotPlan): CreateAutoMLJobV2Request {
  return {
    AutoMLJobName: p.name,
    AutoMLJobInputDataConfig: [{
      ChannelType: 'training', ContentType: 'text/csv;header=present', CompressionType: 'None',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: p.input } },
    }],
    OutputDataConfig: { S3OutputPath: p.output },
    AutoMLProblemTypeConfig: {
      TabularJobConfig: {
        TargetAttributeName: p.target,
        ProblemType: PROBLEM[p.problem] as never,
        Mode: 'HYPERPARAMETER_TUNING',
        CandidateGenerationConfig: { AlgorithmsConfig: [{ AutoMLAlgorithms: ['xgboost'] }] },
        CompletionCriteria: { MaxAutoMLJobRuntimeInSeconds: p.maxRuntime },
      },
    },
    ...(p.objective ? { AutoMLJobObjective: { MetricName: METRIC[p.objective] as never } } : {}),
    RoleArn: p.roleArn,
    Tags: [{ Key: 'strata', Value: 'create-model' }],
  };
}

/** Polls the job, lists its candidates, imports the best one. */
async function finishAutopilot(aws: Aws, st: AutopilotJobState, opts: Pick<RemoteOptions, 'pollMs' | 'signal'>, say: (m: string, extra?: Partial<TrainProgress>) => void): Promise<TrainedModel> {
  const { signal } = opts;
  const sm = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.smEndpoint, 'STRATA_SAGEMAKER_ENDPOINT');
  const s3 = <T>(doing: string, f: () => Promise<T>) => call(f, doing, aws.s3Endpoint, 'STRATA_S3_ENDPOINT');
  const done = await waitForAutopilot(aws, st, opts.pollMs ?? 15_000, signal, say, sm);
  const best = done.BestCandidate;
  if (!best) throw new SqlError('INVALID_PARAMETER', `SageMaker Autopilot job ${st.job} completed without a best candidate`);
  const listed = await sm(`listing the candidates of Autopilot job ${st.job}`, () => aws.sm.send(new ListCandidatesForAutoMLJobCommand({ AutoMLJobName: st.job, SortBy: 'FinalObjectiveMetricValue', MaxResults: 100 })));
  const candidates = (listed.Candidates ?? []).filter((c) => c.FinalAutoMLJobObjectiveMetric?.Value !== undefined);
  say(`${candidates.length} candidates; best ${best.CandidateName}: ${best.FinalAutoMLJobObjectiveMetric?.MetricName} ${best.FinalAutoMLJobObjectiveMetric?.Value}`);

  if (st.deploy && !canImport(best, st)) return deployCandidate(aws, st, best, candidates, opts, say, sm);
  const artifact = importableArtifact(best, st);
  say(`downloading ${artifact}`);
  const at = parseS3Uri(artifact);
  const bytes = await s3(`downloading ${artifact}`, async () => {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }), { abortSignal: signal });
    return r.Body!.transformToByteArray();
  });
  const file = modelFile(bytes, artifact);
  const xgb = parseXgboostModel(file.data, `${artifact}: ${file.name}`);
  const cols = st.inputs.length;
  checkModelShape(xgb, cols, st.problem, st.labels?.length ?? 0, st.job);
  // the candidate read the columns as they are: missing values go where XGBoost sent them
  const model = toTreeModel(xgb, { nanGuards: true });
  const prep = passthroughPrep(st.inputs);
  const onnx = compileModel({ prep, model, labels: st.labels, outputType: st.outputType, problemType: st.problem, modelType: 'XGBOOST' });
  const validationScore = best.FinalAutoMLJobObjectiveMetric?.Value ?? NaN;
  say(`imported ${model.trees.length} trees of candidate ${best.CandidateName}`, { validationScore });
  return {
    onnx, inputs: st.inputs, outputType: st.outputType, labels: st.labels, problemType: st.problem, modelType: 'XGBOOST', objective: st.objective,
    validationScore, preprocessing: prep, trainingRows: st.rows, trainingSeconds: (Date.now() - st.startedAt) / 1000,
    hyperparameters: { trainer: 'sagemaker', autopilot_job: st.job, candidate: best.CandidateName ?? '', image: best.InferenceContainers?.[0]?.Image ?? '' },
    candidates: candidates.map((c) => ({ modelType: 'XGBOOST', params: { candidate: c.CandidateName ?? '' }, validationScore: c.FinalAutoMLJobObjectiveMetric!.Value! })),
    featureImportance: importanceByColumn(prep, splitImportance(xgb, cols)),
  };
}

/**
 * The best candidate's XGBoost model, if Strata can compile the candidate: SageMaker's XGBoost
 * container alone, over numeric columns. Autopilot's feature-processing and label containers
 * hold pickled scikit-learn pipelines, which Strata cannot turn into ONNX.
 */
function canImport(best: AutoMLCandidate, st: AutopilotJobState): boolean {
  const containers = best.InferenceContainers ?? [];
  return containers.length === 1 && /sagemaker-xgboost/.test(containers[0].Image ?? '') && !!containers[0].ModelDataUrl && st.inputs.every((c) => isNumeric(c.type));
}

function importableArtifact(best: AutoMLCandidate, st: AutopilotJobState): string {
  const containers = best.InferenceContainers ?? [];
  const images = containers.map((c) => c.Image?.split('/').pop() ?? '?').join(', ');
  const xgb = containers.length === 1 && /sagemaker-xgboost/.test(containers[0].Image ?? '') ? containers[0].ModelDataUrl : undefined;
  if (!xgb || !st.inputs.every((c) => isNumeric(c.type))) {
    throw new SqlError('FEATURE_NOT_SUPPORTED', `the best candidate ${best.CandidateName} of SageMaker Autopilot job ${st.job} is a pipeline of ${containers.length} containers (${images}) `
      + 'with Autopilot\'s own feature processing, which Strata cannot compile; deploy that candidate to an endpoint and register it with '
      + "CREATE MODEL ... FUNCTION f(...) RETURNS ... SAGEMAKER 'endpoint' (or let Strata do it: SETTINGS DEPLOY_INSTANCE_TYPE 'ml.m5.large'), or train with MODEL_TYPE XGBOOST");
  }
  return xgb;
}

/** The preprocessing of a candidate that reads the columns as they are: numbers in, NULL as NaN. */
function passthroughPrep(inputs: { name: string; type: SqlType }[]): FittedPrep {
  const cols = inputs.map((_, i) => i);
  return {
    inputs, normalized: [], categorical: [], dropped: [], features: inputs.map((c) => c.name),
    affine: { cols, impute: cols.map(() => NaN), offset: cols.map(() => 0), scale: cols.map(() => 1) },
  };
}

/** Polls DescribeAutoMLJobV2 until the job ends; a status change is a progress event. Abort or the deadline stops it. */
async function waitForAutopilot(
  aws: Aws, st: AutopilotJobState, pollMs: number, signal: AbortSignal | undefined, say: (m: string) => void,
  sm: <T>(doing: string, f: () => Promise<T>) => Promise<T>,
): Promise<DescribeAutoMLJobV2Response> {
  const name = st.job;
  const stop = async (why: string) => {
    try { await aws.sm.send(new StopAutoMLJobCommand({ AutoMLJobName: name })); } catch (e) { why += ` (StopAutoMLJob failed: ${(e as Error).message})`; }
    return why;
  };
  let last = '';
  for (;;) {
    if (signal?.aborted && signal.reason === DETACH) throw new SqlError('QUERY_CANCELED', `left SageMaker Autopilot job ${name} running; it resumes when the server restarts`);
    if (signal?.aborted) throw new SqlError('QUERY_CANCELED', await stop(`model training was canceled; stopped SageMaker Autopilot job ${name}`));
    if (Date.now() > st.deadline) throw new SqlError('QUERY_CANCELED', await stop(`SageMaker Autopilot job ${name} did not finish within MAX_RUNTIME (${st.maxRuntime} s) plus ${PROVISIONING_GRACE_S} s; stopped it`));
    const j = await sm(`polling SageMaker Autopilot job ${name}`, () => aws.sm.send(new DescribeAutoMLJobV2Command({ AutoMLJobName: name })));
    const status = `${j.AutoMLJobStatus}${j.AutoMLJobSecondaryStatus ? ` (${j.AutoMLJobSecondaryStatus})` : ''}`;
    if (status !== last) { say(`job ${name}: ${status}`); last = status; }
    switch (j.AutoMLJobStatus) {
      case 'Completed': return j;
      case 'Failed': throw new SqlError('INVALID_PARAMETER', `SageMaker Autopilot job ${name} failed: ${j.FailureReason ?? 'no reason given'}`);
      case 'Stopped':
        // stopped at MaxAutoMLJobRuntimeInSeconds with candidates is how Autopilot ends on time
        if (j.BestCandidate && j.AutoMLJobSecondaryStatus === 'MaxAutoMLJobRuntimeReached') return j;
        throw new SqlError('QUERY_CANCELED', `SageMaker Autopilot job ${name} was stopped${j.AutoMLJobSecondaryStatus === 'MaxAutoMLJobRuntimeReached' ? ' at MAX_RUNTIME before any candidate finished; raise SETTINGS MAX_RUNTIME' : ' outside Strata'}`);
      default: await sleep(pollMs, signal);
    }
  }
}

/** Deletes every object under the job's prefix (the CSV Strata wrote and Autopilot's output). */
async function removePrefix(aws: Aws, bucket: string, prefix: string): Promise<void> {
  try {
    for (let token: string | undefined; ;) {
      const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length) await aws.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
    }
  } catch { /* garbage collection is best effort: the prefix names the job */ }
}

/** The CSV header: column names, quoted when they need to be. */
function headerLine(names: string[]): string {
  return names.map((n) => (/[",\r\n]/.test(n) ? `"${n.replace(/"/g, '""')}"` : n)).join(',');
}

/**
 * DEPLOY_INSTANCE_TYPE: the best candidate goes behind a new endpoint (CreateModel with its
 * containers, CreateEndpointConfig with one instance, CreateEndpoint, all named after the job),
 * and the model is served by it: its function calls InvokeEndpoint with the raw columns, as
 * Autopilot's pipeline expects. A failure deletes what was created.
 */
async function deployCandidate(
  aws: Aws, st: AutopilotJobState, best: AutoMLCandidate, candidates: AutoMLCandidate[], opts: Pick<RemoteOptions, 'pollMs' | 'signal'>,
  say: (m: string, extra?: Partial<TrainProgress>) => void, sm: <T>(doing: string, f: () => Promise<T>) => Promise<T>,
): Promise<TrainedModel> {
  const { signal } = opts;
  const d: DeployedEndpoint = { endpoint: st.job, config: st.job, model: st.job, region: st.region, ...(st.gc ? { artifacts: { bucket: st.bucket, prefix: st.prefix } } : {}) };
  // a resumed deployment finds its resources already there
  const create = async (what: string, f: () => Promise<unknown>) => {
    try { await sm(`creating SageMaker ${what} ${st.job}`, f); } catch (e) {
      if (!/already exist/i.test((e as Error).message)) throw e;
    }
  };
  say(`deploying candidate ${best.CandidateName} to endpoint ${d.endpoint} on ${st.deploy}`);
  try {
    await create('model', () => aws.sm.send(new CreateModelCommand({
      ModelName: d.model, ExecutionRoleArn: st.roleArn,
      Containers: (best.InferenceContainers ?? []).map((c) => ({ Image: c.Image, ModelDataUrl: c.ModelDataUrl, Environment: c.Environment })),
      Tags: [{ Key: 'strata', Value: 'create-model' }],
    })));
    await create('endpoint config', () => aws.sm.send(new CreateEndpointConfigCommand({
      EndpointConfigName: d.config, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: d.model, InstanceType: st.deploy as never, InitialInstanceCount: 1 }],
    })));
    await create('endpoint', () => aws.sm.send(new CreateEndpointCommand({ EndpointName: d.endpoint, EndpointConfigName: d.config })));
    const deadline = Date.now() + DEPLOY_TIMEOUT_S * 1000;
    for (let last = ''; ;) {
      if (signal?.aborted && signal.reason === DETACH) throw new SqlError('QUERY_CANCELED', `left endpoint ${d.endpoint} deploying; it resumes when the server restarts`);
      if (signal?.aborted) throw new SqlError('QUERY_CANCELED', `model training was canceled; deleting endpoint ${d.endpoint}`);
      if (Date.now() > deadline) throw new SqlError('QUERY_CANCELED', `endpoint ${d.endpoint} was not InService within ${DEPLOY_TIMEOUT_S} s; deleted it`);
      const e = await sm(`polling SageMaker endpoint ${d.endpoint}`, () => aws.sm.send(new DescribeEndpointCommand({ EndpointName: d.endpoint })));
      if (e.EndpointStatus !== last) { say(`endpoint ${d.endpoint}: ${e.EndpointStatus}`); last = e.EndpointStatus ?? ''; }
      if (e.EndpointStatus === 'InService') break;
      if (e.EndpointStatus === 'Failed') throw new SqlError('INVALID_PARAMETER', `SageMaker endpoint ${d.endpoint} failed to deploy: ${e.FailureReason ?? 'no reason given'}`);
      await sleep(opts.pollMs ?? 15_000, signal);
    }
  } catch (e) {
    if (signal?.reason !== DETACH) await deleteDeployment(d, aws);
    throw e;
  }
  const validationScore = best.FinalAutoMLJobObjectiveMetric?.Value ?? NaN;
  say(`candidate ${best.CandidateName} is served by endpoint ${d.endpoint}`, { validationScore });
  return {
    onnx: new Uint8Array(0), served: { remote: { endpoint: d.endpoint, region: d.region, maxBatchRows: 1000, maxConcurrency: 4 }, deployed: d },
    inputs: st.inputs, outputType: st.outputType, labels: st.labels, problemType: st.problem, modelType: 'AUTOPILOT (SAGEMAKER ENDPOINT)', objective: st.objective,
    validationScore, preprocessing: null, trainingRows: st.rows, trainingSeconds: (Date.now() - st.startedAt) / 1000,
    hyperparameters: { trainer: 'sagemaker', autopilot_job: st.job, candidate: best.CandidateName ?? '', endpoint: d.endpoint, instance_type: st.deploy ?? '' },
    candidates: candidates.map((c) => ({ modelType: 'XGBOOST', params: { candidate: c.CandidateName ?? '' }, validationScore: c.FinalAutoMLJobObjectiveMetric!.Value! })),
    featureImportance: [],
  };
}

/**
 * Deletes an endpoint Strata deployed, its config and its model (each on its own: one missing
 * does not stop the others), then the artifacts it served from: only the job's own prefix,
 * `<configured prefix>strata/<job>/`, which Strata made for this job alone.
 */
export async function deleteDeployment(d: DeployedEndpoint, aws: Aws = connect({ region: d.region })): Promise<void> {
  await Promise.allSettled([
    aws.sm.send(new DeleteEndpointCommand({ EndpointName: d.endpoint })),
    aws.sm.send(new DeleteEndpointConfigCommand({ EndpointConfigName: d.config })),
    aws.sm.send(new DeleteModelCommand({ ModelName: d.model })),
  ]);
  const a = d.artifacts;
  if (a && a.prefix.endsWith(`strata/${d.model}/`)) await removePrefix(aws, a.bucket, a.prefix);
}
