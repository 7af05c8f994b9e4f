// CREATE MODEL ... SETTINGS (TRAINER 'sagemaker') through SQL, against the local S3 and SageMaker
// test servers (test/servers): the model comes back READY and predicts like a local one.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelEventPayload } from '../../../ml/sql/jobs.ts';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../../servers/s3-server.ts';
import { type SageMakerServer, startSageMakerServer } from '../../servers/sagemaker-server.ts';
import { type TestDb, eventsUntil, makePoints, openDb } from './helpers.ts';

const BUCKET = 'strata-ml';
const ROLE = 'arn:aws:iam::123456789012:role/StrataSageMaker';
const ENV = ['STRATA_S3_ENDPOINT', 'STRATA_SAGEMAKER_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'STRATA_SAGEMAKER_POLL_MS'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let s3: S3Server;
let sm: SageMakerServer;
let t: TestDb;
beforeAll(async () => {
  s3 = await startS3Server([BUCKET]);
  sm = await startSageMakerServer({ s3: { endpoint: s3.endpoint, credentials: S3_CREDENTIALS }, startupMs: 100 });
  Object.assign(process.env, {
    STRATA_S3_ENDPOINT: s3.endpoint, STRATA_SAGEMAKER_ENDPOINT: sm.endpoint, STRATA_SAGEMAKER_POLL_MS: '40',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });
  t = await openDb();
  await makePoints(t);
});
afterAll(async () => {
  await t?.close();
  await sm?.close();
  await s3?.close();
  for (const k of ENV) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});

describe("TRAINER 'sagemaker'", () => {
  it('trains remotely in the background, then predicts in SQL', async () => {
    const done = eventsUntil(t.db, 'remote', ['ready', 'failed']);
    await t.s.execute(`CREATE MODEL remote FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION remote_fn
      MODEL_TYPE XGBOOST IAM_ROLE '${ROLE}' SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', REGION 'us-east-1', SEED 7)`);
    const events = await done;
    expect(events.some((e) => e.message?.startsWith('sagemaker: job'))).toBe(true);
    expect(events.at(-1)).toMatchObject({ kind: 'ready', state: 'READY' });
    const m = await t.show('remote');
    expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'XGBOOST', 'Problem Type': 'BINARY_CLASSIFICATION' });
    expect(m.Hyperparameters).toMatch(/trainer=sagemaker/);
    const [[acc]] = await t.rows('SELECT avg(CASE WHEN remote_fn(x1, x2) = label THEN 1.0 ELSE 0.0 END::FLOAT) FROM pts');
    expect(Number(acc)).toBeGreaterThan(0.9);
  }, 60_000);

  it('a restart leaves the SageMaker job running and resumes polling it: the model becomes READY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-ml-resume-'));
    const first = await openDb({ dir });
    await makePoints(first);
    sm.delays.trainMs = 1500; // the job is still training when the server stops
    let second: TestDb | undefined;
    try {
      const started = new Promise<string>((resolve) => first.db.events.on('model', (e: ModelEventPayload) => {
        const m = /started SageMaker training job (\S+)/.exec(e.message ?? '');
        if (m) resolve(m[1]);
      }));
      await first.s.execute(`CREATE MODEL resumed FROM (SELECT x1, x2, label FROM pts) TARGET label FUNCTION resumed_fn
        MODEL_TYPE XGBOOST IAM_ROLE '${ROLE}' SETTINGS (TRAINER 'sagemaker', S3_BUCKET '${BUCKET}', REGION 'us-east-1', SEED 7)`);
      const job = await started;
      await first.close(false); // the server stops mid-job
      expect(sm.jobs.get(job)!.status).toBe('InProgress');
      expect(sm.calls).not.toContain('StopTrainingJob');
      expect((await s3Keys(`strata/${job}/`)).length).toBe(2); // the CSVs stay for the resumed job

      second = await openDb({ dir });
      expect((await second.show('resumed'))['Model State']).toBe('TRAINING');
      let state = '';
      for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 50))) {
        state = (await second.show('resumed'))['Model State'];
        if (state !== 'TRAINING') break;
      }
      expect(state).toBe('READY');
      const m = await second.show('resumed');
      expect(m.Hyperparameters).toContain(`training_job=${job}`);
      const [[acc]] = await second.rows('SELECT avg(CASE WHEN resumed_fn(x1, x2) = label THEN 1.0 ELSE 0.0 END::FLOAT) FROM pts');
      expect(Number(acc)).toBeGreaterThan(0.9);
      expect(await s3Keys(`strata/${job}/`)).toEqual([]); // S3_GARBAGE_COLLECT after the import
    } finally {
      sm.delays.trainMs = 0;
      await second?.close();
    }
  }, 60_000);
});

async function s3Keys(prefix: string): Promise<string[]> {
  const c = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
  try { return ((await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!); } finally { c.destroy(); }
}
