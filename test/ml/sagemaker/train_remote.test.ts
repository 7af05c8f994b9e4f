// trainRemote end to end against local servers, through the real AWS SDK clients: s3rver for S3 and
// test/servers/sagemaker-server.ts for SageMaker (it trains with Strata's boosted trees and returns an
// XGBoost JSON model). Checks predictions through the Predictor, scores against the local XGBOOST
// trainer, and the failure paths: bucket, endpoints, failed job, MAX_RUNTIME, cancel.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Predictor, trainModel, type TrainedModel, type TrainingColumn, type TrainProgress, type TrainSpec } from '../../../ml/index.ts';
import { type RemoteOptions, remoteOptions, trainRemote, xgboostImage } from '../../../ml/sagemaker/index.ts';
import { applyPrep } from '../../../ml/prep/apply.ts';
import type { FittedPrep } from '../../../ml/prep/plan.ts';
import { gbt } from '../../../ml/train/gbt.ts';
import { r2 } from '../../../ml/train/metrics.ts';
import { labelAt } from '../../../ml/util/values.ts';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../../servers/s3-server.ts';
import { type SageMakerServer, startSageMakerServer } from '../../servers/sagemaker-server.ts';
import { readCsv } from '../csv.ts';
import { synth } from '../synth.ts';

/** The example datasets shipped in the repo (`examples/data`). */
const DATASETS = fileURLToPath(new URL('../../../examples/data', import.meta.url));
const HAVE_DATASETS = existsSync(`${DATASETS}/diabetes_train.csv`);
if (!HAVE_DATASETS) console.warn(`[ml/sagemaker] skipping end-to-end dataset tests: ${DATASETS} not found`);

const BUCKET = 'strata-ml';
const ROLE = 'arn:aws:iam::123456789012:role/StrataSageMaker';
const HP = { num_round: '200', eta: '0.1', max_depth: '3', early_stopping_rounds: '20' };

let s3: S3Server;
let sm: SageMakerServer;

beforeAll(async () => {
  s3 = await startS3Server([BUCKET]);
  sm = await startSageMakerServer({ s3: { endpoint: s3.endpoint, credentials: S3_CREDENTIALS }, startupMs: 100 });
});
afterAll(async () => { await sm?.close(); await s3?.close(); });

const opts = (extra: Partial<RemoteOptions> = {}): RemoteOptions => ({
  s3Bucket: BUCKET, roleArn: ROLE, region: 'us-east-1', endpoint: { s3: s3.endpoint, sagemaker: sm.endpoint },
  credentials: S3_CREDENTIALS, pollMs: 40, ...extra,
});
const spec = (target: string, extra: Partial<TrainSpec> = {}): TrainSpec => ({
  target, modelType: 'XGBOOST', auto: false, hyperparameters: HP, settings: { SEED: '7' }, ...extra,
});

/** Scores a model's ONNX graph on a test split through the Predictor: R² or accuracy. */
async function testScore(m: TrainedModel, test: TrainingColumn[], target: string): Promise<number> {
  const p = await Predictor.create(m.onnx);
  const truth = test.find((c) => c.name === target)!.vector;
  const n = truth.length;
  const out = await p.predict(m.inputs.map((i) => test.find((c) => c.name === i.name)!.vector), n);
  await p.release();
  const y = Array.from({ length: n }, (_, i) => labelAt(truth, i));
  const pred = Array.from({ length: n }, (_, i) => labelAt(out, i));
  if (m.problemType === 'REGRESSION') return r2(pred as number[], y as number[]);
  return pred.filter((v, i) => v === y[i]).length / n;
}

/** The imported graph reproduces what the server trained (through XGBoost JSON and back), preprocessing included. */
async function expectSameAsServer(m: TrainedModel, test: TrainingColumn[]): Promise<void> {
  const trained = sm.jobs.get(m.hyperparameters.training_job)!.model!;
  const args = m.inputs.map((i) => test.find((c) => c.name === i.name)!.vector);
  const n = args[0].length;
  const mem = gbt.predict(trained, applyPrep(m.preprocessing as FittedPrep, args, n).data, n);
  const p = await Predictor.create(m.onnx);
  const out = m.labels ? (await p.predictProba(args, n)).probs : (await p.predict(args, n)).values;
  await p.release();
  for (let i = 0; i < mem.length; i++) expect(Math.abs(out[i] - mem[i]) / Math.max(1, Math.abs(mem[i]))).toBeLessThan(1e-5);
}

async function listKeys(prefix: string): Promise<string[]> {
  const c = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
  const r = await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  c.destroy();
  return (r.Contents ?? []).map((o) => o.Key!);
}

describe.skipIf(!HAVE_DATASETS)('trainRemote on the shared datasets', () => {
  const compare = async (name: string, target: string, tolerance: number, extra: Partial<TrainSpec> = {}) => {
    const train = readCsv(`${DATASETS}/${name}_train.csv`), test = readCsv(`${DATASETS}/${name}_test.csv`);
    const events: TrainProgress[] = [];
    const remote = await trainRemote(train, spec(target, extra), opts(), (p) => events.push(p));
    const local = await trainModel(train, spec(target, extra));
    const [rs, ls] = [await testScore(remote, test, target), await testScore(local, test, target)];
    console.log(`[ml/sagemaker] ${name}: remote ${rs.toFixed(4)} vs local ${ls.toFixed(4)} (${remote.problemType}); held-out ${remote.objective} ${remote.validationScore.toFixed(4)}; ${remote.trainingSeconds.toFixed(1)} s`);
    expect(Math.abs(rs - ls)).toBeLessThan(tolerance);
    await expectSameAsServer(remote, test);
    return { remote, events, rs };
  };

  it('regression (diabetes): R² close to the local XGBOOST trainer', async () => {
    const { remote, events, rs } = await compare('diabetes', 'progression', 0.06);
    expect(rs).toBeGreaterThan(0.35);
    expect(remote).toMatchObject({ problemType: 'REGRESSION', modelType: 'XGBOOST', objective: 'MSE', trainingRows: 331 });
    expect(remote.hyperparameters).toMatchObject({ objective: 'reg:squarederror', eta: '0.1', max_depth: '3', trainer: 'sagemaker' });
    const job = sm.jobs.get(remote.hyperparameters.training_job)!;
    expect(job.status).toBe('Completed');
    expect(job.request).toMatchObject({
      AlgorithmSpecification: { TrainingImage: xgboostImage('us-east-1'), TrainingInputMode: 'File' },
      StoppingCondition: { MaxRuntimeInSeconds: 5400 }, RoleArn: ROLE,
      InputDataConfig: [{ ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3Uri: `s3://${BUCKET}/strata/${job.request.TrainingJobName}/train/` } } }, { ChannelName: 'validation' }],
    });
    const messages = events.map((e) => e.message ?? '');
    expect(messages.some((m) => m.includes('InProgress'))).toBe(true);
    expect(messages.some((m) => m.includes('Completed'))).toBe(true);
    expect(events.at(-1)!.validationScore).toBe(remote.validationScore);
    const total = remote.featureImportance.reduce((s, f) => s + f.importance, 0);
    expect(total).toBeCloseTo(1, 9);
    expect(['bmi', 's5']).toContain(remote.featureImportance[0].feature);
    expect(await listKeys(`strata/${job.request.TrainingJobName}/`)).toEqual([]); // S3_GARBAGE_COLLECT
  }, 60_000);

  it('binary classification (breast_cancer): accuracy close to the local trainer', async () => {
    const { remote, rs } = await compare('breast_cancer', 'malignant', 0.04);
    expect(rs).toBeGreaterThan(0.92);
    expect(remote.labels).toEqual([0, 1]);
    expect(remote.hyperparameters.objective).toBe('binary:logistic');
  }, 60_000);

  it('multiclass (iris): multi:softprob with num_class', async () => {
    const { remote, rs } = await compare('iris', 'species', 0.08, { problemType: 'MULTICLASS_CLASSIFICATION' });
    expect(rs).toBeGreaterThan(0.85);
    expect(remote.hyperparameters).toMatchObject({ objective: 'multi:softprob', num_class: '3' });
  }, 60_000);
});

describe('trainRemote with mixed types and failures', { timeout: 30_000 }, () => {
  const data = synth(300, 'binary', 3);

  it('text, booleans and NULLs are preprocessed locally and compiled into the graph; S3_GARBAGE_COLLECT OFF keeps the files', async () => {
    const m = await trainRemote(data, spec('y', { settings: { SEED: '3', S3_GARBAGE_COLLECT: 'off' } }), opts());
    expect(m.inputs.map((i) => i.name)).toEqual(['id', 'a', 'b', 'c', 'd']);
    const keys = await listKeys(`strata/${m.hyperparameters.training_job}/`);
    expect(keys.some((k) => k.endsWith('/train/train.csv'))).toBe(true);
    expect(keys.some((k) => k.endsWith('/output/model.tar.gz'))).toBe(true);
    const test = synth(300, 'binary', 4);
    expect(await testScore(m, test, 'y')).toBeGreaterThan(0.75);
    await expectSameAsServer(m, test);
    expect(m.featureImportance.find((f) => f.feature === 'id')!.importance).toBe(0); // dropped as id-like
  }, 30_000);

  it('a UBJSON xgboost-model (XGBoost 2.1+ containers) is imported the same way', async () => {
    sm.modelFormat = 'ubjson';
    try {
      const m = await trainRemote(data, spec('y', { settings: { SEED: '5' } }), opts());
      const test = synth(200, 'binary', 6);
      await expectSameAsServer(m, test);
      expect(await testScore(m, test, 'y')).toBeGreaterThan(0.75);
    } finally { sm.modelFormat = 'json'; }
  }, 30_000);

  it('missing or unknown bucket', async () => {
    await expect(trainRemote(data, spec('y'), opts({ s3Bucket: '' }))).rejects.toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/S3_BUCKET/) });
    const before = sm.calls.length;
    await expect(trainRemote(data, spec('y'), opts({ s3Bucket: 'no-such-bucket' }))).rejects.toMatchObject({ code: 'UNDEFINED_OBJECT', message: expect.stringMatching(/bucket 'no-such-bucket' does not exist/) });
    expect(sm.calls.length).toBe(before);
  });

  it('unreachable endpoints name the endpoint and its variable', async () => {
    await expect(trainRemote(data, spec('y'), opts({ endpoint: { s3: 'http://127.0.0.1:1', sagemaker: sm.endpoint }, maxAttempts: 1 })))
      .rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1 .*STRATA_S3_ENDPOINT/);
    await expect(trainRemote(data, spec('y'), opts({ endpoint: { s3: s3.endpoint, sagemaker: 'http://127.0.0.1:1' }, maxAttempts: 1 })))
      .rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:1 while creating SageMaker training job .*STRATA_SAGEMAKER_ENDPOINT/);
  });

  it('IAM role and MODEL_TYPE checks come before any AWS call', async () => {
    const saved = process.env.STRATA_SAGEMAKER_ROLE_ARN;
    delete process.env.STRATA_SAGEMAKER_ROLE_ARN;
    try {
      await expect(trainRemote(data, spec('y'), opts({ roleArn: undefined }))).rejects.toThrow(/needs an IAM role/);
      await expect(trainRemote(data, spec('y'), opts({ roleArn: 'StrataRole' }))).rejects.toThrow(/not an IAM role ARN/);
    } finally { if (saved !== undefined) process.env.STRATA_SAGEMAKER_ROLE_ARN = saved; }
    await expect(trainRemote(data, spec('y', { modelType: 'MLP' }), opts())).rejects.toMatchObject({ code: 'FEATURE_NOT_SUPPORTED' });
    await expect(trainRemote(data, spec('y', { hyperparameters: { num_round: 'ten' } }), opts())).rejects.toThrow(/NUM_ROUND must be a number/);
  });

  it('a failed job reports its FailureReason', async () => {
    await expect(trainRemote(data, spec('y', { hyperparameters: { eta: '2' } }), opts()))
      .rejects.toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/training job strata-xgb-\S+ failed: ClientError: Hyperparameter eta: value 2 not in range \[0, 1\]/) });
  });

  it('the server fails a job whose CSV is not numeric (as the built-in algorithm does)', async () => {
    const s3c = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
    const smc = new SageMakerClient({ region: 'us-east-1', endpoint: sm.endpoint, credentials: S3_CREDENTIALS });
    await s3c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad/train/train.csv', Body: '1,2,3\n0,x,4\n' }));
    await smc.send(new CreateTrainingJobCommand({
      TrainingJobName: 'bad-input', RoleArn: ROLE, AlgorithmSpecification: { TrainingImage: xgboostImage('us-east-1'), TrainingInputMode: 'File' },
      HyperParameters: { num_round: '5', objective: 'reg:squarederror' },
      InputDataConfig: [{ ChannelName: 'train', ContentType: 'text/csv', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/bad/train/` } } }],
      OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/bad/output` }, ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 1 },
      StoppingCondition: { MaxRuntimeInSeconds: 60 },
    }));
    await expect(smc.send(new CreateTrainingJobCommand({ TrainingJobName: 'bad-input' } as never))).rejects.toMatchObject({ name: 'ValidationException' });
    let d;
    for (let i = 0; i < 300; i++) {
      d = await smc.send(new DescribeTrainingJobCommand({ TrainingJobName: 'bad-input' }));
      if (d.TrainingJobStatus !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(d!.TrainingJobStatus).toBe('Failed');
    expect(d!.FailureReason).toMatch(/ClientError: Unable to parse CSV: channel 'train' line 2 column 2 \('x'\) is not a number/);
    expect(d!.CreationTime).toBeInstanceOf(Date);
    s3c.destroy(); smc.destroy();
  });

  it('MAX_RUNTIME: SageMaker stops the job and the error says so', async () => {
    sm.delays.trainMs = 3000;
    try {
      await expect(trainRemote(data, spec('y'), opts({ maxRuntimeSeconds: 1 })))
        .rejects.toMatchObject({ code: 'QUERY_CANCELED', message: expect.stringMatching(/exceeded MAX_RUNTIME \(1 s\)/) });
    } finally { sm.delays.trainMs = 0; }
  });

  it('cancel stops the SageMaker job (StopTrainingJob)', async () => {
    sm.delays.startupMs = 5000;
    const ac = new AbortController();
    let job = '';
    try {
      const run = trainRemote(data, spec('y'), opts({ signal: ac.signal }), (p) => {
        const m = /job (strata-\S+): InProgress/.exec(p.message ?? '');
        if (m) { job = m[1]; ac.abort(); }
      });
      await expect(run).rejects.toMatchObject({ code: 'QUERY_CANCELED', message: expect.stringMatching(/canceled; stopped SageMaker training job/) });
    } finally { sm.delays.startupMs = 100; }
    expect(sm.calls.at(-1)).toBe('StopTrainingJob');
    await new Promise((r) => setTimeout(r, 60));
    expect(sm.jobs.get(job)!.status).toBe('Stopped');
  });

  it('remoteOptions maps SETTINGS and IAM_ROLE', () => {
    expect(remoteOptions({ TRAINER: 'local' })).toBeNull();
    expect(remoteOptions({})).toBeNull();
    expect(remoteOptions({ TRAINER: 'sagemaker', S3_BUCKET: 'b/pre', MAX_RUNTIME: '600', REGION: 'eu-west-1' }, ROLE))
      .toEqual({ s3Bucket: 'b/pre', roleArn: ROLE, region: 'eu-west-1', maxRuntimeSeconds: 600 });
    expect(remoteOptions({ trainer: 'SageMaker', s3_bucket: 'b' }, { arn: ROLE })).toMatchObject({ s3Bucket: 'b', roleArn: ROLE });
    expect(remoteOptions({ TRAINER: 'sagemaker', S3_BUCKET: 'b' }, { default: true })!.roleArn).toBeUndefined();
    expect(() => remoteOptions({ TRAINER: 'SageMaker' })).toThrow(/S3_BUCKET/);
  });
});
