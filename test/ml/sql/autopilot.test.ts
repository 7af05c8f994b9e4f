// AUTO ON with TRAINER 'sagemaker': a SageMaker Autopilot job (CreateAutoMLJobV2) through SQL, against
// the local S3 and SageMaker test servers. The test server tunes real XGBoost candidates (Strata's
// boosted trees dumped as XGBoost JSON); the imported best candidate must predict exactly what the
// server's model predicts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gbt } from '../../../ml/train/gbt.ts';
import type { ModelEventPayload } from '../../../ml/sql/jobs.ts';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../../servers/s3-server.ts';
import { type SageMakerServer, startSageMakerServer } from '../../servers/sagemaker-server.ts';
import { type TestDb, eventsUntil, makePoints, openDb } from './helpers.ts';

const BUCKET = 'strata-ap';
const ROLE = 'arn:aws:iam::123456789012:role/StrataSageMaker';
const ENV = ['STRATA_S3_ENDPOINT', 'STRATA_SAGEMAKER_ENDPOINT', 'STRATA_SAGEMAKER_RUNTIME_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'STRATA_SAGEMAKER_POLL_MS'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
const settings = `IAM_ROLE '${ROLE}' SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', REGION 'us-east-1')`;

let s3: S3Server;
let sm: SageMakerServer;
let t: TestDb;
beforeAll(async () => {
  s3 = await startS3Server([BUCKET]);
  sm = await startSageMakerServer({ s3: { endpoint: s3.endpoint, credentials: S3_CREDENTIALS }, startupMs: 50 });
  Object.assign(process.env, {
    STRATA_S3_ENDPOINT: s3.endpoint, STRATA_SAGEMAKER_ENDPOINT: sm.endpoint, STRATA_SAGEMAKER_RUNTIME_ENDPOINT: sm.endpoint, STRATA_SAGEMAKER_POLL_MS: '40',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });
  t = await openDb();
  await makePoints(t, 'pts', 300);
});
afterAll(async () => {
  await t?.close();
  await sm?.close();
  await s3?.close();
  for (const k of ENV) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});

/** The server's best model's answers for the table's rows (class labels, or values). */
async function serverPredictions(db: TestDb, job: string, cols: string[]): Promise<(number | string)[]> {
  const best = sm.autoMLJobs.get(job)!.best!;
  const rows = await db.rows(`SELECT ${cols.join(', ')} FROM pts ORDER BY id`);
  const x = Float32Array.from(rows.flat() as number[]);
  const out = gbt.predict(best.model, x, rows.length);
  if (!best.labels.length) return Array.from(out);
  const k = out.length / rows.length;
  return rows.map((_, r) => {
    let arg = 0;
    for (let j = 1; j < k; j++) if (out[r * k + j] > out[r * k + arg]) arg = j;
    return Number(best.labels[arg]);
  });
}

const jobOf = (m: Record<string, string>) => /autopilot_job=([\w-]+)/.exec(m.Hyperparameters)![1];

describe("AUTO ON with TRAINER 'sagemaker' (Autopilot)", () => {
  it('runs CreateAutoMLJobV2 and imports the best XGBoost candidate: predictions equal the server model', async () => {
    const done = eventsUntil(t.db, 'ap', ['ready', 'failed']);
    await t.s.execute(`CREATE MODEL ap FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION ap_fn ${settings}`);
    const events = await done;
    expect(events.at(-1)).toMatchObject({ kind: 'ready', state: 'READY' });
    expect(events.some((e) => /autopilot: job strata-ap-.*: InProgress \(ModelTuning\)/.test(e.message ?? ''))).toBe(true);
    const m = await t.show('ap');
    expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'XGBOOST', 'Problem Type': 'BINARY_CLASSIFICATION', Objective: 'F1' });
    expect(m.Candidates.split(', ')).toHaveLength(2);
    expect(m.Preprocessing).toBe('x1: numeric (as is; NULL is a missing value for the trees); x2: numeric (as is; NULL is a missing value for the trees)');
    const job = jobOf(m);
    const req = sm.autoMLJobs.get(job)!.request;
    expect(req.AutoMLProblemTypeConfig.TabularJobConfig).toMatchObject({ TargetAttributeName: 'label', ProblemType: 'BinaryClassification', Mode: 'HYPERPARAMETER_TUNING' });
    expect(req.AutoMLJobInputDataConfig[0].ContentType).toBe('text/csv;header=present');
    expect(sm.calls).toEqual(expect.arrayContaining(['CreateAutoMLJobV2', 'DescribeAutoMLJobV2', 'ListCandidatesForAutoMLJob']));
    expect(sm.calls).not.toContain('CreateTrainingJob');
    // validation score is the best candidate's metric as Autopilot reported it
    expect(Number(m['Validation Score'].split(' ')[1])).toBeCloseTo(sm.autoMLJobs.get(job)!.candidates[0].FinalAutoMLJobObjectiveMetric.Value, 4);
    const got = (await t.rows('SELECT ap_fn(x1, x2) FROM pts ORDER BY id')).map((r) => Number(r[0]));
    expect(got).toEqual(await serverPredictions(t, job, ['x1', 'x2']));
    expect(await s3Keys(`strata/${job}/`)).toEqual([]); // S3_GARBAGE_COLLECT: input and Autopilot's output
  }, 60_000);

  it('EXPLAIN CREATE MODEL says it will run Autopilot and what happens to the best candidate', async () => {
    const plan = (await t.rows(`EXPLAIN CREATE MODEL apz FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION apz_fn ${settings}`)).map((r) => r[0]).join('\n');
    expect(plan).toMatch(/remote training \(TRAINER 'sagemaker'\), AUTO ON/);
    expect(plan).toMatch(/features: the 2 input columns as they are/);
    expect(plan).toMatch(/candidates: a SageMaker Autopilot job \(CreateAutoMLJobV2/);
    expect(plan).toMatch(/else the model FAILS \(SETTINGS DEPLOY_INSTANCE_TYPE/);
    expect(sm.calls.filter((c) => c === 'CreateAutoMLJobV2')).toHaveLength(1); // only the first test's job
  });

  it("a candidate behind Autopilot's feature processing is not imported: the model FAILS saying why", async () => {
    sm.autopilotPipeline = 'processing';
    try {
      const done = eventsUntil(t.db, 'apx', ['ready', 'failed']);
      await t.s.execute(`CREATE MODEL apx FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION apx_fn ${settings}`);
      expect((await done).at(-1)).toMatchObject({ kind: 'failed' });
      const m = await t.show('apx');
      expect(m['Model State']).toBe('FAILED');
      expect(m['Failure Reason']).toMatch(/best candidate \S+ of SageMaker Autopilot job strata-ap-\S+ is a pipeline of 2 containers \(sagemaker-sklearn-automl.*, sagemaker-xgboost:1.7-1\)/);
    } finally {
      sm.autopilotPipeline = 'xgboost';
    }
  }, 60_000);

  it('DEPLOY_INSTANCE_TYPE: such a candidate is deployed to an endpoint that serves the function; DROP MODEL deletes it', async () => {
    expect((await t.error(`CREATE MODEL bad FROM pts TARGET label FUNCTION bad_fn IAM_ROLE '${ROLE}' SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', DEPLOY_INSTANCE_TYPE 'http://evil')`)).code).toBe('INVALID_PARAMETER');
    sm.autopilotPipeline = 'processing';
    try {
      const done = eventsUntil(t.db, 'aps', ['ready', 'failed']);
      await t.s.execute(`CREATE MODEL aps FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION aps_fn IAM_ROLE '${ROLE}'
        SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', REGION 'us-east-1', DEPLOY_INSTANCE_TYPE 'ml.m5.large')`);
      expect((await done).at(-1)).toMatchObject({ kind: 'ready', state: 'READY' });
      const m = await t.show('aps');
      const job = jobOf(m);
      expect(m).toMatchObject({ 'Model Type': 'AUTOPILOT (SAGEMAKER ENDPOINT)', 'SageMaker Endpoint': `${job} in us-east-1`, 'Problem Type': 'BINARY_CLASSIFICATION' });
      expect(sm.deployments.models.get(job)!.Containers).toHaveLength(2); // the whole pipeline, as Autopilot made it
      expect(sm.deployments.configs.get(job)!.ProductionVariants[0]).toMatchObject({ InstanceType: 'ml.m5.large', InitialInstanceCount: 1 });
      const got = (await t.rows('SELECT aps_fn(x1, x2) FROM pts ORDER BY id')).map((r) => Number(r[0]));
      expect(got).toEqual(await serverPredictions(t, job, ['x1', 'x2']));
      expect(sm.invocations.filter((c) => c.endpoint === job).reduce((n, c) => n + c.rows, 0)).toBe(300);
      expect(await s3Keys(`strata/${job}/input/`)).toEqual([]); // the input is collected; the artifacts stay for the endpoint
      const artifacts = await s3Keys(`strata/${job}/`);
      expect(artifacts.length).toBeGreaterThan(0);
      // a neighbour whose name starts like the job's is not the job's
      await s3Put(`strata/${job}x/keep.csv`);
      await t.s.execute('DROP MODEL aps');
      for (const t0 = Date.now(); Date.now() - t0 < 10_000 && (sm.deployments.endpoints.has(job) || (await s3Keys(`strata/${job}/`)).length); await new Promise((r) => setTimeout(r, 20)));
      expect([sm.deployments.endpoints.has(job), sm.deployments.configs.has(job), sm.deployments.models.has(job)]).toEqual([false, false, false]);
      expect(await s3Keys(`strata/${job}/`)).toEqual([]); // what the endpoint served from goes with it
      expect(await s3Keys(`strata/${job}x/`)).toEqual([`strata/${job}x/keep.csv`]);
    } finally {
      sm.autopilotPipeline = 'xgboost';
    }
  }, 60_000);

  it('a restart while the endpoint deploys resumes waiting for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ml-ap-deploy-'));
    const first = await openDb({ dir });
    await makePoints(first, 'pts', 300);
    sm.autopilotPipeline = 'processing';
    // the job and then the endpoint each take 1.5 s to come up
    sm.delays.startupMs = 1500;
    const callsBefore = sm.calls.length;
    let second: TestDb | undefined;
    try {
      const deploying = new Promise<string>((resolve) => first.db.events.on('model', (e: ModelEventPayload) => {
        const m = /to endpoint (\S+) on/.exec(e.message ?? '');
        if (e.model === 'apx' && m) resolve(m[1]);
      }));
      await first.s.execute(`CREATE MODEL apx FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION apx_fn IAM_ROLE '${ROLE}'
        SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', REGION 'us-east-1', DEPLOY_INSTANCE_TYPE 'ml.m5.large')`);
      const job = await deploying;
      for (const t0 = Date.now(); Date.now() - t0 < 10_000 && !sm.deployments.endpoints.has(job); await new Promise((r) => setTimeout(r, 10)));
      await first.close(false);
      expect(sm.deployments.endpoints.get(job)?.status).toBe('Creating');
      expect((await s3Keys(`strata/${job}/`)).length).toBeGreaterThan(0); // left for the resumed deployment

      second = await openDb({ dir });
      let state = '';
      for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 50))) {
        state = (await second.show('apx'))['Model State'];
        if (state !== 'TRAINING') break;
      }
      expect(state).toBe('READY');
      expect(sm.deployments.endpoints.get(job)?.status).toBe('InService');
      // the resumed deployment found the endpoint there and waited for it
      expect(sm.calls.slice(callsBefore).filter((c) => c === 'CreateEndpoint')).toHaveLength(2);
      expect(sm.calls.slice(callsBefore)).not.toContain('DeleteEndpoint');
      const got = (await second.rows('SELECT apx_fn(x1, x2) FROM pts ORDER BY id')).map((r) => Number(r[0]));
      expect(got).toEqual(await serverPredictions(second, job, ['x1', 'x2']));
      await second.s.execute('DROP MODEL apx');
      for (const t0 = Date.now(); Date.now() - t0 < 10_000 && (sm.deployments.endpoints.has(job) || (await s3Keys(`strata/${job}/`)).length); await new Promise((r) => setTimeout(r, 20)));
      expect([sm.deployments.endpoints.has(job), (await s3Keys(`strata/${job}/`)).length]).toEqual([false, 0]);
    } finally {
      sm.autopilotPipeline = 'xgboost';
      sm.delays.startupMs = 50;
      await second?.close();
    }
  }, 60_000);

  it('DROP MODEL stops the Autopilot job', async () => {
    sm.delays.trainMs = 5000;
    try {
      const started = new Promise<string>((resolve) => t.db.events.on('model', (e: ModelEventPayload) => {
        const m = /started SageMaker Autopilot job (\S+)/.exec(e.message ?? '');
        if (e.model === 'apd' && m) resolve(m[1]);
      }));
      await t.s.execute(`CREATE MODEL apd FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION apd_fn ${settings}`);
      const job = await started;
      await t.s.execute('DROP MODEL apd');
      for (const t0 = Date.now(); Date.now() - t0 < 10_000 && sm.autoMLJobs.get(job)!.status !== 'Stopped'; await new Promise((r) => setTimeout(r, 20)));
      expect(sm.autoMLJobs.get(job)!.status).toBe('Stopped');
      expect(sm.calls).toContain('StopAutoMLJob');
    } finally {
      sm.delays.trainMs = 0;
    }
  }, 60_000);

  it('a restart resumes polling the Autopilot job; a regression with OBJECTIVE MSE imports exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ml-ap-resume-'));
    const first = await openDb({ dir });
    await makePoints(first, 'pts', 300);
    sm.delays.trainMs = 1500;
    const callsBefore = sm.calls.length;
    let second: TestDb | undefined;
    try {
      const started = new Promise<string>((resolve) => first.db.events.on('model', (e: ModelEventPayload) => {
        const m = /started SageMaker Autopilot job (\S+)/.exec(e.message ?? '');
        if (m) resolve(m[1]);
      }));
      await first.s.execute(`CREATE MODEL apr FROM (SELECT x1, x2, y FROM pts) TARGET y FUNCTION apr_fn PROBLEM_TYPE REGRESSION OBJECTIVE 'MSE' ${settings}`);
      const job = await started;
      await first.close(false);
      expect(sm.autoMLJobs.get(job)!.status).toBe('InProgress');
      expect(sm.calls.slice(callsBefore)).not.toContain('StopAutoMLJob');
      expect(sm.autoMLJobs.get(job)!.request.AutoMLJobObjective).toEqual({ MetricName: 'MSE' });

      second = await openDb({ dir });
      let state = '';
      for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 50))) {
        state = (await second.show('apr'))['Model State'];
        if (state !== 'TRAINING') break;
      }
      expect(state).toBe('READY');
      const got = (await second.rows('SELECT apr_fn(x1, x2) FROM pts ORDER BY id')).map((r) => Number(r[0]));
      const want = await serverPredictions(second, job, ['x1', 'x2']);
      got.forEach((g, i) => expect(Math.abs(g - (want[i] as number)), `row ${i}`).toBeLessThan(1e-4));
      expect(await s3Keys(`strata/${job}/`)).toEqual([]);
    } finally {
      sm.delays.trainMs = 0;
      await second?.close();
    }
  }, 60_000);
});

async function s3Put(key: string): Promise<void> {
  const c = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
  try { await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' })); } finally { c.destroy(); }
}

async function s3Keys(prefix: string): Promise<string[]> {
  const c = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
  try { return ((await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!); } finally { c.destroy(); }
}
