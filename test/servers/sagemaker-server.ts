// A local SageMaker for tests: speaks the service's JSON protocol (POST /, X-Amz-Target SageMaker.<Op>,
// application/x-amz-json-1.1) for CreateTrainingJob, DescribeTrainingJob and StopTrainingJob, well
// enough for @aws-sdk/client-sagemaker. A job behaves like the built-in XGBoost algorithm: it reads the
// label-first CSV channels from S3, trains with Strata's own boosted trees, and writes model.tar.gz
// (an XGBoost model as `xgboost-model`, JSON or UBJSON per `modelFormat`) under the output path; bad input fails the job with a
// FailureReason, MaxRuntimeInSeconds stops it (MaxRuntimeExceeded), StopTrainingJob stops it.
// It also answers SageMaker Runtime's InvokeEndpoint (REST: POST /endpoints/<name>/invocations,
// text/csv) for the endpoints a test registers in `endpoints`, with injectable faults.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { writeTarGz } from '../../ml/sagemaker/tar.ts';
import type { FitData } from '../../ml/train/backend.ts';
import { gbt, type TreeModel } from '../../ml/train/gbt.ts';
import { type Objective, score } from '../../ml/train/metrics.ts';
import { encodeUbjson } from './ubjson-encode.ts';
import { xgboostJson } from './xgboost-dump.ts';

type Json = Record<string, any>;

/** One training job's state, as DescribeTrainingJob reports it. */
export interface Job {
  request: Json;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  secondary: string;
  transitions: { Status: string; StartTime: number; EndTime?: number; StatusMessage: string }[];
  created: number;
  ended?: number;
  failureReason?: string;
  artifact?: string;
  metrics: { MetricName: string; Value: number; Timestamp: number }[];
  abort: AbortController;
  /** What the job trained, before it became XGBoost JSON (tests compare the imported model with it). */
  model?: TreeModel;
}

/** One Autopilot job (CreateAutoMLJobV2), as DescribeAutoMLJobV2 reports it. */
export interface AutoMLJob {
  request: Json;
  status: 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
  secondary: string;
  created: number;
  ended?: number;
  failureReason?: string;
  /** finished candidates, best first */
  candidates: Json[];
  abort: AbortController;
  /** the best candidate's trees and label order (tests compare the imported model with them) */
  best?: { model: TreeModel; labels: string[] };
  /** every candidate's trees, by its model.tar.gz URI: what a deployed endpoint of it runs */
  models: Map<string, { model: TreeModel; labels: string[] }>;
}

/** Models, endpoint configs and endpoints (CreateModel / CreateEndpointConfig / CreateEndpoint), by name. */
export interface Deployments {
  models: Map<string, Json>;
  configs: Map<string, Json>;
  endpoints: Map<string, { config: string; status: 'Creating' | 'InService' | 'Failed' | 'Deleting'; created: number }>;
}

export interface SageMakerServerOptions {
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; region?: string };
  /** Time a job spends Starting before it downloads its data (instance provisioning). */
  startupMs?: number;
  /** Time the (simulated) training takes beyond the real fit. */
  trainMs?: number;
  /** How jobs save `xgboost-model`: JSON (default) or UBJSON (XGBoost 2.1+'s default). */
  modelFormat?: 'json' | 'ubjson';
}

/** A deployed model for InvokeEndpoint: one answer (CSV cell) per input row of CSV cells. */
export interface InferenceEndpoint {
  predict(rows: string[][], targetModel?: string): string[];
  /** Faults for the next calls, used up in order: a throttled call, a 5xx, the container failing, a slow answer. */
  faults?: ('throttle' | 'unavailable' | 'model-error' | { delayMs: number })[];
  /** time every answer takes (so concurrent calls overlap and `peakConcurrency` sees them) */
  latencyMs?: number;
}

/** One InvokeEndpoint call as the server saw it. */
export interface Invocation { endpoint: string; rows: number; contentType: string; targetModel?: string; status: number }

export interface SageMakerServer {
  endpoint: string;
  autoMLJobs: Map<string, AutoMLJob>;
  deployments: Deployments;
  /**
   * Mutable: the pipeline of Autopilot candidates from now on: SageMaker's XGBoost container alone
   * (what Strata can import), or behind Autopilot's scikit-learn feature processing.
   */
  autopilotPipeline: 'xgboost' | 'processing';
  /** InvokeEndpoint's deployed models, by endpoint name (tests add their own) */
  endpoints: Map<string, InferenceEndpoint>;
  invocations: Invocation[];
  /** the most InvokeEndpoint calls that were in flight at once */
  peakConcurrency: number;
  jobs: Map<string, Job>;
  /** Every operation called, in order (X-Amz-Target without the prefix). */
  calls: string[];
  /** Mutable delays for jobs created from now on. */
  delays: { startupMs: number; trainMs: number };
  /** Mutable: the format of models saved from now on. */
  modelFormat: 'json' | 'ubjson';
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) { super(message); }
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const now = () => Date.now() / 1000;

export async function startSageMakerServer(o: SageMakerServerOptions): Promise<SageMakerServer> {
  const s3 = new S3Client({ region: o.s3.region ?? REGION, endpoint: o.s3.endpoint, forcePathStyle: true, credentials: o.s3.credentials });
  const jobs = new Map<string, Job>();
  const autoMLJobs = new Map<string, AutoMLJob>();
  const deployments: Deployments = { models: new Map(), configs: new Map(), endpoints: new Map() };
  const calls: string[] = [];
  const delays = { startupMs: o.startupMs ?? 100, trainMs: o.trainMs ?? 0 };

  const ops: Record<string, (b: Json) => Json> = {
    CreateTrainingJob: (b) => {
      validateCreate(b);
      if (jobs.has(b.TrainingJobName)) throw new ApiError('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${b.TrainingJobName})`);
      const job: Job = { request: b, status: 'InProgress', secondary: 'Starting', transitions: [], created: now(), metrics: [], abort: new AbortController() };
      jobs.set(b.TrainingJobName, job);
      transition(job, 'Starting', 'Launching requested ML instances');
      const timer = setTimeout(() => {
        if (job.status !== 'InProgress') return;
        job.abort.abort();
        finish(job, 'Stopped', 'MaxRuntimeExceeded', 'Training job runtime exceeded MaxRuntimeInSeconds provided');
      }, b.StoppingCondition.MaxRuntimeInSeconds * 1000);
      runJob(job, s3, { ...delays }, self.modelFormat).finally(() => clearTimeout(timer));
      return { TrainingJobArn: arn(b.TrainingJobName) };
    },
    DescribeTrainingJob: (b) => {
      const job = jobs.get(String(b.TrainingJobName));
      if (!job) throw new ApiError('ValidationException', 'Requested resource not found.');
      const r = job.request;
      return {
        TrainingJobName: r.TrainingJobName, TrainingJobArn: arn(r.TrainingJobName),
        TrainingJobStatus: job.status, SecondaryStatus: job.secondary,
        ...(job.failureReason ? { FailureReason: job.failureReason } : {}),
        ModelArtifacts: { S3ModelArtifacts: job.artifact ?? '' },
        HyperParameters: r.HyperParameters, AlgorithmSpecification: r.AlgorithmSpecification, RoleArn: r.RoleArn,
        InputDataConfig: r.InputDataConfig, OutputDataConfig: r.OutputDataConfig, ResourceConfig: r.ResourceConfig,
        StoppingCondition: r.StoppingCondition, CreationTime: job.created, TrainingStartTime: job.created,
        ...(job.ended ? { TrainingEndTime: job.ended, LastModifiedTime: job.ended } : { LastModifiedTime: job.created }),
        SecondaryStatusTransitions: job.transitions, FinalMetricDataList: job.metrics,
      };
    },
    CreateAutoMLJobV2: (b) => {
      validateAutoML(b);
      if (autoMLJobs.has(b.AutoMLJobName)) throw new ApiError('ResourceInUse', `Job name ${b.AutoMLJobName} already exists`);
      const job: AutoMLJob = { request: b, status: 'InProgress', secondary: 'Starting', created: now(), candidates: [], abort: new AbortController(), models: new Map() };
      autoMLJobs.set(b.AutoMLJobName, job);
      runAutoML(job, s3, { ...delays }, self.autopilotPipeline);
      return { AutoMLJobArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:automl-job/${b.AutoMLJobName.toLowerCase()}` };
    },
    DescribeAutoMLJobV2: (b) => {
      const job = autoMLJobs.get(String(b.AutoMLJobName));
      if (!job) throw new ApiError('ResourceNotFound', `Job ${b.AutoMLJobName} not found.`);
      const r = job.request;
      return {
        AutoMLJobName: r.AutoMLJobName, AutoMLJobArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:automl-job/${r.AutoMLJobName.toLowerCase()}`,
        AutoMLJobInputDataConfig: r.AutoMLJobInputDataConfig, OutputDataConfig: r.OutputDataConfig, RoleArn: r.RoleArn,
        AutoMLJobObjective: r.AutoMLJobObjective ?? { MetricName: defaultMetric(r) }, AutoMLProblemTypeConfig: r.AutoMLProblemTypeConfig,
        CreationTime: job.created, LastModifiedTime: job.ended ?? job.created, ...(job.ended ? { EndTime: job.ended } : {}),
        ...(job.failureReason ? { FailureReason: job.failureReason } : {}),
        ...(job.candidates.length && job.status === 'Completed' ? { BestCandidate: job.candidates[0] } : {}),
        AutoMLJobStatus: job.status, AutoMLJobSecondaryStatus: job.secondary,
      };
    },
    ListCandidatesForAutoMLJob: (b) => {
      const job = autoMLJobs.get(String(b.AutoMLJobName));
      if (!job) throw new ApiError('ResourceNotFound', `Job ${b.AutoMLJobName} not found.`);
      return { Candidates: job.candidates.slice(0, b.MaxResults ?? 10) };
    },
    StopAutoMLJob: (b) => {
      const job = autoMLJobs.get(String(b.AutoMLJobName));
      if (!job) throw new ApiError('ResourceNotFound', `Job ${b.AutoMLJobName} not found.`);
      if (job.status !== 'InProgress') throw new ApiError('ValidationException', `Job is in status ${job.status}`);
      job.abort.abort();
      job.status = 'Stopped'; job.secondary = 'Stopped'; job.ended = now();
      return {};
    },
    CreateModel: (b) => {
      if (deployments.models.has(b.ModelName)) throw new ApiError('ValidationException', `Cannot create already existing model "${b.ModelName}".`);
      if (!Array.isArray(b.Containers) && !b.PrimaryContainer) throw new ApiError('ValidationException', 'Containers or PrimaryContainer is required');
      deployments.models.set(b.ModelName, b);
      return { ModelArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model/${b.ModelName.toLowerCase()}` };
    },
    CreateEndpointConfig: (b) => {
      if (deployments.configs.has(b.EndpointConfigName)) throw new ApiError('ValidationException', `Cannot create already existing endpoint configuration "${b.EndpointConfigName}".`);
      for (const v of b.ProductionVariants ?? []) if (!deployments.models.has(v.ModelName)) throw new ApiError('ValidationException', `Could not find model "${v.ModelName}".`);
      deployments.configs.set(b.EndpointConfigName, b);
      return { EndpointConfigArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint-config/${b.EndpointConfigName.toLowerCase()}` };
    },
    CreateEndpoint: (b) => {
      if (deployments.endpoints.has(b.EndpointName)) throw new ApiError('ValidationException', `Cannot create already existing endpoint "${b.EndpointName}".`);
      const config = deployments.configs.get(b.EndpointConfigName);
      if (!config) throw new ApiError('ValidationException', `Could not find endpoint configuration "${b.EndpointConfigName}".`);
      const ep = { config: b.EndpointConfigName, status: 'Creating' as const, created: now() };
      deployments.endpoints.set(b.EndpointName, ep);
      // the endpoint runs the model its containers were trained as: an Autopilot candidate of this server
      const containers: Json[] = deployments.models.get(config.ProductionVariants[0].ModelName)!.Containers;
      const served = [...autoMLJobs.values()].map((j) => j.models.get(containers.at(-1)!.ModelDataUrl)).find(Boolean);
      setTimeout(() => {
        const cur = deployments.endpoints.get(b.EndpointName);
        if (cur !== ep) return;
        if (!served) { (ep as { status: string }).status = 'Failed'; return; }
        (ep as { status: string }).status = 'InService';
        endpoints.set(b.EndpointName, { predict: (rows) => predictCandidate(served, rows) });
      }, delays.startupMs);
      return { EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${b.EndpointName.toLowerCase()}` };
    },
    DescribeEndpoint: (b) => {
      const ep = deployments.endpoints.get(String(b.EndpointName));
      if (!ep) throw new ApiError('ValidationException', `Could not find endpoint "${b.EndpointName}".`);
      return {
        EndpointName: b.EndpointName, EndpointArn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/${String(b.EndpointName).toLowerCase()}`,
        EndpointConfigName: ep.config, EndpointStatus: ep.status, CreationTime: ep.created, LastModifiedTime: ep.created,
        ...(ep.status === 'Failed' ? { FailureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.' } : {}),
      };
    },
    DeleteEndpoint: (b) => {
      if (!deployments.endpoints.delete(String(b.EndpointName))) throw new ApiError('ValidationException', `Could not find endpoint "${b.EndpointName}".`);
      endpoints.delete(String(b.EndpointName));
      return {};
    },
    DeleteEndpointConfig: (b) => {
      if (!deployments.configs.delete(String(b.EndpointConfigName))) throw new ApiError('ValidationException', `Could not find endpoint configuration "${b.EndpointConfigName}".`);
      return {};
    },
    DeleteModel: (b) => {
      if (!deployments.models.delete(String(b.ModelName))) throw new ApiError('ValidationException', `Could not find model "${b.ModelName}".`);
      return {};
    },
    StopTrainingJob: (b) => {
      const job = jobs.get(String(b.TrainingJobName));
      if (!job) throw new ApiError('ValidationException', 'Requested resource not found.');
      if (job.status !== 'InProgress') throw new ApiError('ValidationException', `The request was rejected because the training job is in status ${job.status}.`);
      job.status = 'Stopping';
      transition(job, 'Stopping', 'Stopping the training job');
      job.abort.abort();
      setTimeout(() => finish(job, 'Stopped', 'Stopped', 'Training job stopped by user'), 20);
      return {};
    },
  };

  const endpoints = new Map<string, InferenceEndpoint>();
  const invocations: Invocation[] = [];
  let inFlight = 0;
  const server = createServer((req, res) => { handle(req, res).catch((e) => reply(res, 500, { __type: 'InternalFailure', message: String(e) })); });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const invoke = /^\/endpoints\/([^/?]+)\/invocations$/.exec(req.url ?? '');
    if (invoke && req.method === 'POST') {
      inFlight++;
      self.peakConcurrency = Math.max(self.peakConcurrency, inFlight);
      try { await invokeEndpoint(decodeURIComponent(invoke[1]), req, Buffer.concat(chunks).toString('utf8'), res); } finally { inFlight--; }
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (req.method !== 'POST' || req.url !== '/') throw new ApiError('UnknownOperationException', `${req.method} ${req.url} is not supported`, 404);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) throw new ApiError('SerializationException', 'expected Content-Type application/x-amz-json-1.1');
      if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const op = target.startsWith('SageMaker.') ? ops[target.slice('SageMaker.'.length)] : undefined;
      if (!op) throw new ApiError('UnknownOperationException', `unknown operation ${target}`);
      calls.push(target.slice('SageMaker.'.length));
      let body: Json;
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'); } catch { throw new ApiError('SerializationException', 'request body is not JSON'); }
      reply(res, 200, op(body));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      reply(res, e.status, { __type: e.type, message: e.message });
    }
  }

  /** SageMaker Runtime's REST protocol: POST /endpoints/<name>/invocations, the body passed to the model as it is. */
  async function invokeEndpoint(name: string, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    const contentType = String(req.headers['content-type'] ?? '');
    const targetModel = req.headers['x-amzn-sagemaker-target-model'] as string | undefined;
    const call: Invocation = { endpoint: name, rows: 0, contentType, ...(targetModel ? { targetModel } : {}), status: 200 };
    invocations.push(call);
    const fail = (status: number, type: string, extra: Json) => { call.status = status; reply(res, status, { __type: type, ...extra }, 'application/json'); };
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return fail(403, 'MissingAuthenticationTokenException', { message: 'Missing Authentication Token' });
    const ep = endpoints.get(name);
    if (!ep) return fail(400, 'ValidationError', { message: `Endpoint ${name} of account ${ACCOUNT} not found.` });
    const rows = parseCsvRows(body);
    call.rows = rows.length;
    const fault = ep.faults?.shift();
    if (fault === 'throttle') return fail(429, 'ThrottlingException', { message: 'Rate exceeded' });
    if (fault === 'unavailable') return fail(503, 'ServiceUnavailable', { message: 'Service is unavailable' });
    if (typeof fault === 'object') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault === 'model-error' || !contentType.startsWith('text/csv')) {
      return fail(424, 'ModelError', { Message: 'Received server error (500) from primary with message "model failed". See logs.', OriginalStatusCode: 500, OriginalMessage: fault === 'model-error' ? 'model failed' : `unsupported content type ${contentType}` });
    }
    if (ep.latencyMs) await new Promise((r) => setTimeout(r, ep.latencyMs));
    let answers: string[];
    try { answers = ep.predict(rows, targetModel); } catch (e) {
      return fail(424, 'ModelError', { Message: 'Received client error (400) from primary', OriginalStatusCode: 400, OriginalMessage: (e as Error).message });
    }
    res.writeHead(200, { 'content-type': 'text/csv', 'x-amzn-invoked-production-variant': 'AllTraffic' });
    res.end(answers.map((a) => `${a}\n`).join(''));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const self: SageMakerServer = {
    endpoint: `http://127.0.0.1:${port}`, jobs, calls, delays, modelFormat: o.modelFormat ?? 'json', endpoints, invocations, peakConcurrency: 0, autoMLJobs, deployments, autopilotPipeline: 'xgboost',
    close: async () => {
      for (const j of [...jobs.values(), ...autoMLJobs.values()]) j.abort.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      s3.destroy();
    },
  };
  return self;
}

function reply(res: ServerResponse, status: number, body: Json, contentType = 'application/x-amz-json-1.1'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': `req-${Math.random().toString(36).slice(2)}`, ...(status >= 400 ? { 'x-amzn-errortype': String(body.__type) } : {}) });
  res.end(text);
}

const arn = (name: string) => `arn:aws:sagemaker:${REGION}:${ACCOUNT}:training-job/${name.toLowerCase()}`;

/** The request checks SageMaker makes before accepting a job (ValidationException otherwise). */
function validateCreate(b: Json): void {
  const need = (cond: unknown, msg: string) => { if (!cond) throw new ApiError('ValidationException', msg); };
  need(typeof b.TrainingJobName === 'string' && /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(b.TrainingJobName), `Value '${b.TrainingJobName}' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`);
  need(typeof b.RoleArn === 'string' && /^arn:aws[a-z\-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(b.RoleArn), `Value '${b.RoleArn}' at 'roleArn' failed to satisfy constraint`);
  need(b.AlgorithmSpecification?.TrainingImage && b.AlgorithmSpecification?.TrainingInputMode === 'File', 'AlgorithmSpecification needs TrainingImage and TrainingInputMode File');
  need(/sagemaker-xgboost:/.test(b.AlgorithmSpecification.TrainingImage), `this test server only runs the built-in XGBoost algorithm, not ${b.AlgorithmSpecification.TrainingImage}`);
  need(Array.isArray(b.InputDataConfig) && b.InputDataConfig.some((c: Json) => c.ChannelName === 'train'), "InputDataConfig needs a 'train' channel");
  for (const c of b.InputDataConfig) need(/^s3:\/\/[^/]+\//.test(c.DataSource?.S3DataSource?.S3Uri ?? ''), `channel ${c.ChannelName} needs an S3Uri`);
  need(/^s3:\/\/[^/]+/.test(b.OutputDataConfig?.S3OutputPath ?? ''), 'OutputDataConfig.S3OutputPath must be an s3:// URI');
  need(b.ResourceConfig?.InstanceType && b.ResourceConfig?.InstanceCount >= 1, 'ResourceConfig needs InstanceType and InstanceCount');
  need(Number.isInteger(b.StoppingCondition?.MaxRuntimeInSeconds) && b.StoppingCondition.MaxRuntimeInSeconds >= 1, 'StoppingCondition.MaxRuntimeInSeconds must be an integer >= 1');
  for (const [k, v] of Object.entries(b.HyperParameters ?? {})) need(typeof v === 'string', `hyperparameter ${k} must be a string`);
}

/** What an Autopilot candidate's deployed pipeline answers for raw feature rows: the label (or value). */
function predictCandidate(c: { model: TreeModel; labels: string[] }, rows: string[][]): string[] {
  const cols = rows[0]?.length ?? 0;
  const x = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => r.forEach((v, j) => { x[i * cols + j] = v === '' ? NaN : Number(v); }));
  const out = gbt.predict(c.model, x, rows.length);
  if (!c.labels.length) return Array.from(out, String);
  const k = out.length / rows.length;
  return rows.map((_, i) => {
    let arg = 0;
    for (let j = 1; j < k; j++) if (out[i * k + j] > out[i * k + arg]) arg = j;
    return c.labels[arg];
  });
}

/** CreateAutoMLJobV2's checks (ValidationException otherwise). */
function validateAutoML(b: Json): void {
  const need = (cond: unknown, msg: string) => { if (!cond) throw new ApiError('ValidationException', msg); };
  need(typeof b.AutoMLJobName === 'string' && /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/.test(b.AutoMLJobName), `Value '${b.AutoMLJobName}' at 'autoMLJobName' failed to satisfy constraint: Member must have length less than or equal to 32`);
  need(typeof b.RoleArn === 'string' && /^arn:aws[a-z\-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(b.RoleArn), `Value '${b.RoleArn}' at 'roleArn' failed to satisfy constraint`);
  const inputs = b.AutoMLJobInputDataConfig;
  need(Array.isArray(inputs) && inputs.length >= 1, 'AutoMLJobInputDataConfig needs a channel');
  for (const c of inputs) {
    need(/^s3:\/\/[^/]+\//.test(c.DataSource?.S3DataSource?.S3Uri ?? ''), 'each channel needs an S3Uri');
    need(/^text\/csv;header=present$/.test(c.ContentType ?? 'text/csv;header=present'), `ContentType ${c.ContentType} is not supported for tabular jobs`);
  }
  const tab = b.AutoMLProblemTypeConfig?.TabularJobConfig;
  need(tab && typeof tab.TargetAttributeName === 'string' && tab.TargetAttributeName.length > 0, 'TabularJobConfig.TargetAttributeName is required');
  need(!tab.ProblemType || ['BinaryClassification', 'MulticlassClassification', 'Regression'].includes(tab.ProblemType), `ProblemType ${tab.ProblemType} is not valid`);
  need(/^s3:\/\/[^/]+/.test(b.OutputDataConfig?.S3OutputPath ?? ''), 'OutputDataConfig.S3OutputPath must be an s3:// URI');
}

const defaultMetric = (r: Json) => ({ Regression: 'MSE', BinaryClassification: 'F1', MulticlassClassification: 'Accuracy' } as Record<string, string>)[r.AutoMLProblemTypeConfig.TabularJobConfig.ProblemType ?? 'Regression'];
const OBJECTIVE: Record<string, Objective> = { MSE: 'MSE', Accuracy: 'Accuracy', F1: 'F1', F1macro: 'F1_Macro', AUC: 'AUC' };

/**
 * An Autopilot job's life: read the CSV (with its header), encode the target like scikit-learn's
 * LabelEncoder (sorted labels), tune two XGBoost candidates (max_depth 3 and 6) with Strata's own
 * boosted trees on 80% of the rows, score each on the other 20% with the job's metric, and write
 * each candidate's model.tar.gz; the best comes first.
 */
async function runAutoML(job: AutoMLJob, s3: S3Client, delays: { startupMs: number; trainMs: number }, pipeline: 'xgboost' | 'processing'): Promise<void> {
  const signal = job.abort.signal;
  const r = job.request;
  const tab = r.AutoMLProblemTypeConfig.TabularJobConfig;
  try {
    await sleep(delays.startupMs, signal);
    if (signal.aborted) return;
    job.secondary = 'AnalyzingData';
    let text = '';
    for (const c of r.AutoMLJobInputDataConfig) text += await readChannel(s3, c.DataSource.S3DataSource.S3Uri, c.ChannelType ?? 'training');
    const lines = text.split(/\r?\n/).filter((l) => l !== '');
    const header = lines[0].split(',');
    const ti = header.indexOf(tab.TargetAttributeName);
    if (ti < 0) throw new ClientError(`Target column ${tab.TargetAttributeName} is not in the header (${header.join(', ')})`);
    const rows = lines.slice(1).map((l) => l.split(','));
    if (rows.length < 10) throw new ClientError(`Not enough rows: ${rows.length}`);
    const problem = tab.ProblemType === 'Regression' ? 'REGRESSION' : tab.ProblemType === 'BinaryClassification' ? 'BINARY_CLASSIFICATION' : 'MULTICLASS_CLASSIFICATION';
    const raw = rows.map((c) => c[ti]);
    const numericLabels = raw.every((v) => v !== '' && Number.isFinite(Number(v)));
    const labels = problem === 'REGRESSION' ? [] : [...new Set(raw)].sort((a, b) => (numericLabels ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
    const cols = header.length - 1, n = rows.length;
    const x = new Float32Array(n * cols), y = new Float64Array(n);
    rows.forEach((c, i) => {
      y[i] = problem === 'REGRESSION' ? Number(c[ti]) : labels.indexOf(c[ti]);
      let j = 0;
      for (let k = 0; k < c.length; k++) if (k !== ti) x[i * cols + j++] = c[k] === '' ? NaN : Number(c[k]);
    });
    job.secondary = 'ModelTuning';
    const classes = labels.length;
    const objective = problem === 'REGRESSION' ? 'reg:squarederror' : classes === 2 ? 'binary:logistic' : 'multi:softprob';
    const split = (keep: (i: number) => boolean): FitData => {
      const idx = [...Array(n).keys()].filter(keep);
      const xs = new Float32Array(idx.length * cols);
      idx.forEach((i, k) => xs.set(x.subarray(i * cols, (i + 1) * cols), k * cols));
      return { x: xs, rows: idx.length, cols, y: Float64Array.from(idx, (i) => y[i]) };
    };
    const train = split((i) => i % 5 !== 0), valid = split((i) => i % 5 === 0);
    const metricName = r.AutoMLJobObjective?.MetricName ?? defaultMetric(r);
    const out: { name: string; model: TreeModel; value: number }[] = [];
    for (const depth of [3, 6]) {
      const fitted = await gbt.fit(train, { num_round: '40', max_depth: String(depth), eta: '0.3', objective, ...(classes > 2 ? { num_class: String(classes) } : {}) }, {
        task: { problem, classes: problem === 'REGRESSION' ? 0 : classes }, seed: 1, deadline: Date.now() + 60_000, signal, progress: () => {},
      });
      const value = score(OBJECTIVE[metricName] ?? 'Accuracy', gbt.predict(fitted.model, valid.x, valid.rows), valid.y, problem === 'REGRESSION' ? 0 : classes);
      out.push({ name: `${r.AutoMLJobName.slice(0, 20)}-${String(depth).padStart(3, '0')}-xgb`, model: fitted.model, value });
    }
    await sleep(delays.trainMs, signal);
    if (signal.aborted) return;
    const lower = metricName === 'MSE';
    out.sort((a, b) => (lower ? a.value - b.value : b.value - a.value));
    const base = `${String(r.OutputDataConfig.S3OutputPath).replace(/\/+$/, '')}/${r.AutoMLJobName}`;
    for (const c of out) {
      const uri = `${base}/tuning/${c.name}/output/model.tar.gz`;
      const dump = xgboostJson({ model: c.model, objective, numClass: classes > 2 ? classes : 0, x: train.x, y: train.y, rows: train.rows, cols, lambda: 1 });
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
      await s3.send(new PutObjectCommand({ Bucket: m[1], Key: m[2], Body: writeTarGz([{ name: 'xgboost-model', data: new TextEncoder().encode(JSON.stringify(dump)) }]) }));
      const xgb = { Image: `683313688378.dkr.ecr.${REGION}.amazonaws.com/sagemaker-xgboost:1.7-1`, ModelDataUrl: uri, Environment: {} };
      const processing = { Image: `683313688378.dkr.ecr.${REGION}.amazonaws.com/sagemaker-sklearn-automl:2.5-1-cpu-py3`, ModelDataUrl: `${base}/data-processor-models/dpp0/output/model.tar.gz`, Environment: {} };
      job.models.set(uri, { model: c.model, labels });
      job.candidates.push({
        CandidateName: c.name, CandidateStatus: 'Completed', ObjectiveStatus: 'Succeeded',
        FinalAutoMLJobObjectiveMetric: { MetricName: metricName, Value: c.value, StandardMetricName: metricName },
        InferenceContainers: pipeline === 'xgboost' ? [xgb] : [processing, xgb], CandidateSteps: [],
        CreationTime: job.created, LastModifiedTime: now(), EndTime: now(),
      });
    }
    job.best = { model: out[0].model, labels };
    job.status = 'Completed'; job.secondary = 'Completed'; job.ended = now();
  } catch (e) {
    if (signal.aborted) return;
    job.status = 'Failed'; job.secondary = 'Failed'; job.ended = now();
    job.failureReason = e instanceof ClientError ? `ClientError: ${e.message}` : `AlgorithmError: ${(e as Error).message}`;
  }
}

function transition(job: Job, status: string, message: string): void {
  const t = now();
  const last = job.transitions.at(-1);
  if (last && last.EndTime === undefined) last.EndTime = t;
  job.secondary = status;
  job.transitions.push({ Status: status, StartTime: t, StatusMessage: message });
}

function finish(job: Job, status: Job['status'], secondary: string, message: string, failure?: string): void {
  if (job.status === 'Completed' || job.status === 'Failed' || job.status === 'Stopped') return;
  job.status = status;
  job.failureReason = failure;
  job.ended = now();
  transition(job, secondary, message);
}

class ClientError extends Error {}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/** The job's life: Starting -> Downloading -> Training -> Uploading -> Completed (or Failed / Stopped). */
async function runJob(job: Job, s3: S3Client, delays: { startupMs: number; trainMs: number }, format: 'json' | 'ubjson'): Promise<void> {
  const signal = job.abort.signal;
  const r = job.request;
  try {
    await sleep(delays.startupMs, signal);
    if (signal.aborted) return;
    transition(job, 'Downloading', 'Downloading input data');
    const channels: Record<string, string> = {};
    for (const c of r.InputDataConfig) channels[c.ChannelName] = await readChannel(s3, c.DataSource.S3DataSource.S3Uri, c.ChannelName);
    if (signal.aborted) return;
    transition(job, 'Training', 'Training image download completed. Training in progress.');
    const hp = algorithmParams(r.HyperParameters ?? {});
    const train = parseCsv(channels.train, 'train', hp);
    const valid = channels.validation !== undefined ? parseCsv(channels.validation, 'validation', hp) : undefined;
    if (valid && valid.cols !== train.cols) throw new ClientError(`Validation data has ${valid.cols} features but training data has ${train.cols}`);
    const useValid = valid && hp.early_stopping_rounds !== undefined ? valid : undefined;
    const fitted = await gbt.fit(train, hp, {
      task: { problem: hp.problem, classes: hp.classes }, seed: Number(hp.seed ?? 0), valid: useValid,
      deadline: job.created * 1000 + r.StoppingCondition.MaxRuntimeInSeconds * 1000, signal, progress: () => {},
    });
    if (valid) {
      const out = gbt.predict(fitted.model, valid.x, valid.rows);
      job.metrics.push({ MetricName: `validation:${hp.problem === 'REGRESSION' ? 'rmse' : hp.classes > 2 ? 'mlogloss' : 'logloss'}`, Value: metric(out, valid, hp.classes), Timestamp: now() });
    }
    await sleep(delays.trainMs, signal);
    if (signal.aborted) return;
    transition(job, 'Uploading', 'Uploading generated training model');
    const dump = xgboostJson({
      model: fitted.model, objective: hp.objective, numClass: hp.classes > 2 ? hp.classes : 0, x: train.x, y: train.y, rows: train.rows, cols: train.cols,
      lambda: Number(hp.lambda ?? 1), bestIteration: useValid ? fitted.iterations - 1 : undefined,
    });
    const out = `${String(r.OutputDataConfig.S3OutputPath).replace(/\/+$/, '')}/${r.TrainingJobName}/output/model.tar.gz`;
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(out)!;
    const body = writeTarGz([{ name: 'xgboost-model', data: format === 'ubjson' ? encodeUbjson(dump) : new TextEncoder().encode(JSON.stringify(dump)) }]);
    try { await s3.send(new PutObjectCommand({ Bucket: m[1], Key: m[2], Body: body })); } catch (e) {
      throw new ClientError(`Unable to upload the model to ${out}: ${(e as Error).message}`);
    }
    if (signal.aborted) return;
    job.artifact = out;
    job.model = fitted.model;
    finish(job, 'Completed', 'Completed', 'Training job completed');
  } catch (e) {
    if (signal.aborted) return;
    const reason = e instanceof ClientError ? `ClientError: ${e.message}` : `AlgorithmError: ${(e as Error).message}`;
    finish(job, 'Failed', 'Failed', 'Training job failed', reason);
  }
}

async function readChannel(s3: S3Client, uri: string, channel: string): Promise<string> {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
  const list = await s3.send(new ListObjectsV2Command({ Bucket: m[1], Prefix: m[2] })).catch((e: Error) => {
    throw new ClientError(`Unable to read data channel '${channel}' at ${uri}: ${e.name}`);
  });
  const keys = (list.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('/'));
  if (keys.length === 0) throw new ClientError(`No data found in channel '${channel}' at ${uri}`);
  let text = '';
  for (const key of keys.sort()) {
    const o = await s3.send(new GetObjectCommand({ Bucket: m[1], Key: key }));
    text += await o.Body!.transformToString();
    if (!text.endsWith('\n')) text += '\n';
  }
  return text;
}

interface AlgoParams extends Record<string, any> {
  objective: 'reg:squarederror' | 'binary:logistic' | 'multi:softprob';
  problem: 'REGRESSION' | 'BINARY_CLASSIFICATION' | 'MULTICLASS_CLASSIFICATION';
  classes: number;
}

/** The built-in algorithm's hyperparameter checks (ClientError messages like the container's). */
function algorithmParams(hp: Record<string, string>): AlgoParams {
  const numberOf = (k: string, lo: number, hi: number, int = false) => {
    if (hp[k] === undefined) return;
    const v = Number(hp[k]);
    if (!Number.isFinite(v) || (int && !Number.isInteger(v))) throw new ClientError(`Hyperparameter ${k}: value '${hp[k]}' is not ${int ? 'an integer' : 'a number'}`);
    if (v < lo || v > hi) throw new ClientError(`Hyperparameter ${k}: value ${v} not in range [${lo}, ${hi}]`);
  };
  if (hp.num_round === undefined) throw new ClientError('Missing required hyperparameter: num_round');
  numberOf('num_round', 1, 1e6, true); numberOf('max_depth', 0, 64, true); numberOf('eta', 0, 1); numberOf('subsample', 0, 1);
  numberOf('colsample_bytree', 0, 1); numberOf('min_child_weight', 0, Infinity); numberOf('lambda', 0, Infinity); numberOf('gamma', 0, Infinity);
  numberOf('early_stopping_rounds', 1, 1e6, true); numberOf('num_class', 2, 1e6, true);
  const objective = hp.objective ?? 'reg:squarederror';
  if (objective === 'reg:squarederror' || objective === 'reg:linear') return { ...hp, objective: 'reg:squarederror', problem: 'REGRESSION', classes: 0 };
  if (objective === 'binary:logistic') return { ...hp, objective, problem: 'BINARY_CLASSIFICATION', classes: 2 };
  if (objective === 'multi:softprob' || objective === 'multi:softmax') {
    if (hp.num_class === undefined) throw new ClientError('Hyperparameter num_class is required for multi:softprob');
    return { ...hp, objective: 'multi:softprob', problem: 'MULTICLASS_CLASSIFICATION', classes: Number(hp.num_class) };
  }
  throw new ClientError(`Hyperparameter objective: value '${objective}' is not supported by this test server`);
}

/** Label-first CSV without a header; empty feature cells are missing values (NaN). */
function parseCsv(text: string, channel: string, hp: AlgoParams): FitData {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new ClientError(`Channel '${channel}' has no rows`);
  const width = lines[0].split(',').length;
  if (width < 2) throw new ClientError(`Channel '${channel}': rows need a label and at least one feature`);
  const rows = lines.length, cols = width - 1;
  const x = new Float32Array(rows * cols), y = new Float64Array(rows);
  lines.forEach((line, r) => {
    const cells = line.split(',');
    if (cells.length !== width) throw new ClientError(`Channel '${channel}' line ${r + 1} has ${cells.length} columns, expected ${width}`);
    const label = Number(cells[0]);
    if (cells[0].trim() === '' || !Number.isFinite(label)) throw new ClientError(`Unable to parse CSV: channel '${channel}' line ${r + 1} has label '${cells[0]}', which is not a number`);
    if (hp.problem === 'BINARY_CLASSIFICATION' && (label < 0 || label > 1)) throw new ClientError(`label must be in [0,1] for logistic regression (channel '${channel}' line ${r + 1}: ${label})`);
    if (hp.problem === 'MULTICLASS_CLASSIFICATION' && !(Number.isInteger(label) && label >= 0 && label < hp.classes)) throw new ClientError(`label must be in [0, num_class) (channel '${channel}' line ${r + 1}: ${label})`);
    y[r] = label;
    for (let j = 1; j < width; j++) {
      const c = cells[j].trim();
      const v = c === '' ? NaN : Number(c);
      if (c !== '' && !Number.isFinite(v)) throw new ClientError(`Unable to parse CSV: channel '${channel}' line ${r + 1} column ${j + 1} ('${c}') is not a number`);
      x[r * cols + j - 1] = v;
    }
  });
  return { x, rows, cols, y };
}

/** CSV rows as a model container reads them: quoted cells may hold commas, quotes and newlines. */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], cell = '', quoted = false, any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') { quoted = true; any = true; } else if (ch === ',') { row.push(cell); cell = ''; any = true; } else if (ch === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; any = false;
    } else if (ch !== '\r') { cell += ch; any = true; }
  }
  if (any) { row.push(cell); rows.push(row); }
  return rows;
}

function metric(out: Float64Array, d: FitData, classes: number): number {
  let s = 0;
  if (classes === 0) { for (let i = 0; i < d.rows; i++) s += (out[i] - d.y[i]) ** 2; return Math.sqrt(s / d.rows); }
  const w = out.length / d.rows;
  for (let i = 0; i < d.rows; i++) s -= Math.log(Math.max(out[i * w + d.y[i]], 1e-15));
  return s / d.rows;
}
