// Remote inference from GraphQL and the one-shot CLI: a SAGEMAKER model is created, called and
// shown through each, against the local SageMaker test server's InvokeEndpoint; and an Autopilot
// training the CLI waits for (CREATE MODEL ... AUTO ON with TRAINER 'sagemaker').
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../servers/s3-server.ts';
import { type SageMakerServer, startSageMakerServer } from '../servers/sagemaker-server.ts';
import { inProcess, ok } from '../api/helpers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ENV = ['STRATA_SAGEMAKER_RUNTIME_ENDPOINT', 'STRATA_S3_ENDPOINT', 'STRATA_SAGEMAKER_ENDPOINT', 'STRATA_SAGEMAKER_POLL_MS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let s3: S3Server;
let sm: SageMakerServer;
beforeAll(async () => {
  s3 = await startS3Server(['strata-cli']);
  sm = await startSageMakerServer({ s3: { endpoint: s3.endpoint, credentials: S3_CREDENTIALS } });
  // the endpoint's model: the sum of the row's numbers
  sm.endpoints.set('sum-ep', { predict: (rows) => rows.map((r) => String(r.reduce((s, c) => s + Number(c), 0))) });
  Object.assign(process.env, {
    STRATA_SAGEMAKER_RUNTIME_ENDPOINT: sm.endpoint, AWS_REGION: 'us-east-1',
    STRATA_S3_ENDPOINT: s3.endpoint, STRATA_SAGEMAKER_ENDPOINT: sm.endpoint, STRATA_SAGEMAKER_POLL_MS: '40',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });
});
afterAll(async () => {
  await sm?.close();
  await s3?.close();
  for (const k of ENV) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});

it('GraphQL: a SAGEMAKER model is created, shown with its endpoint, and called', async () => {
  const t = await inProcess();
  try {
    ok(await t.admin('mutation($s: String!) { executeScript(sql: $s) { command } }', {
      s: `CREATE TABLE g (a INTEGER, b INTEGER); INSERT INTO g VALUES (1, 2), (3, 4), (5, 6);
        CREATE MODEL gsum FUNCTION gsum_fn(INTEGER, INTEGER) RETURNS INTEGER SAGEMAKER 'sum-ep':'v1' SETTINGS (MAX_BATCH_ROWS 2)`,
    }));
    const d = ok(await t.admin('{ model(name: "gsum") { state modelType source endpoint endpointModel functionSignature settings } }'));
    expect(d.model).toEqual({
      state: 'READY', modelType: 'REMOTE (SAGEMAKER)', source: 'sagemaker:sum-ep:v1', endpoint: 'sum-ep', endpointModel: 'v1',
      functionSignature: 'gsum_fn(INTEGER, INTEGER) RETURNS INTEGER', settings: { MAX_BATCH_ROWS: '2' },
    });
    const q = ok(await t.admin('{ query(sql: "SELECT a, gsum_fn(a, b) AS s FROM g ORDER BY a") { rows } }'));
    expect(q.query.rows).toEqual([[1, 3], [3, 7], [5, 11]]);
  } finally {
    await t.close();
  }
}, 60_000);

it('strata sql: a script creates a SAGEMAKER model, calls it and shows it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ml-remote-cli-'));
  try {
    const script = `CREATE MODEL csum FUNCTION csum_fn(REAL, REAL) RETURNS REAL SAGEMAKER 'sum-ep';
      SELECT csum_fn(1.5, 2) AS s; SHOW MODEL csum;`;
    const { stdout } = await promisify(execFile)('node', [join(root, 'bin/strata.js'), 'sql', '--data', dir, '--slices', '2', '--format', 'csv', script], { cwd: root, env: process.env });
    expect(stdout).toMatch(/s\r?\n3\.5\r?\n/);
    expect(stdout).toMatch(/Model Type,REMOTE \(SAGEMAKER\)/);
    expect(stdout).toMatch(/SageMaker Endpoint,sum-ep/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it('strata sql: CREATE MODEL with TRAINER sagemaker and AUTO ON waits for the Autopilot job, then predicts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ml-autopilot-cli-'));
  try {
    const rows = Array.from({ length: 80 }, (_, i) => `(${i % 9}, ${(i * 5) % 13}, ${(i % 9) > 4 ? 1 : 0})`).join(', ');
    const script = `CREATE TABLE c (a REAL, b REAL, y INTEGER); INSERT INTO c VALUES ${rows};
      CREATE MODEL cap FROM c TARGET y FUNCTION cap_fn IAM_ROLE 'arn:aws:iam::123456789012:role/R' SETTINGS (TRAINER 'sagemaker', S3_BUCKET 'strata-cli');
      SELECT count(*) AS correct FROM c WHERE cap_fn(a, b) = y;`;
    const { stdout, stderr } = await promisify(execFile)('node', [join(root, 'bin/strata.js'), 'sql', '--data', dir, '--slices', '2', '--format', 'csv', script], { cwd: root, env: process.env });
    expect(stderr).toMatch(/autopilot: started SageMaker Autopilot job strata-ap-/);
    expect(Number(/correct\r?\n(\d+)/.exec(stdout)![1])).toBeGreaterThan(70);
    expect([...sm.autoMLJobs.values()].some((j) => j.status === 'Completed')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
