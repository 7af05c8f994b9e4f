// Remote inference: CREATE MODEL ... FUNCTION f(types) RETURNS t SAGEMAKER 'endpoint' through SQL,
// against the local SageMaker test server's InvokeEndpoint (test/servers/sagemaker-server.ts):
// answers checked against the formula the endpoint runs, batches, concurrency, retries, errors,
// the statement timeout, and names that must not reach the network.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../../servers/s3-server.ts';
import { type SageMakerServer, startSageMakerServer } from '../../servers/sagemaker-server.ts';
import { type TestDb, makePoints, openDb } from './helpers.ts';

const ENV = ['STRATA_SAGEMAKER_RUNTIME_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let s3: S3Server;
let sm: SageMakerServer;
let t: TestDb;
/** The endpoint's model: 2 x1 - 3 x2 + length(tag); a NULL cell gives an empty answer (NULL). */
const linear = (r: string[]) => (r.some((c) => c === '') ? '' : String(2 * Number(r[0]) - 3 * Number(r[1]) + r[2].length));

beforeAll(async () => {
  s3 = await startS3Server([]);
  sm = await startSageMakerServer({ s3: { endpoint: s3.endpoint, credentials: S3_CREDENTIALS } });
  Object.assign(process.env, {
    STRATA_SAGEMAKER_RUNTIME_ENDPOINT: sm.endpoint, AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  });
  t = await openDb({ slices: 2 });
  await makePoints(t, 'pts', 120);
  // tags with a comma, a quote and a NULL: the CSV body must carry them intact
  await t.s.execute(`ALTER TABLE pts ADD COLUMN tag VARCHAR(20);
    UPDATE pts SET tag = CASE WHEN id % 4 = 0 THEN 'a,b' WHEN id % 4 = 1 THEN 'say "hi"' WHEN id % 4 = 2 THEN 'plain' END`);
  await t.s.execute(`CREATE MODEL lin FUNCTION lin_fn(REAL, REAL, VARCHAR) RETURNS DOUBLE PRECISION
    SAGEMAKER 'linear-ep' IAM_ROLE default SETTINGS (MAX_BATCH_ROWS 7, MAX_CONCURRENT_CALLS 2)`);
});
afterAll(async () => {
  await t?.close();
  await sm?.close();
  await s3?.close();
  for (const k of ENV) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});
beforeEach(() => {
  sm.endpoints.set('linear-ep', { predict: (rows) => rows.map(linear) });
  sm.invocations.length = 0;
  sm.peakConcurrency = 0;
});

describe('CREATE MODEL ... SAGEMAKER (remote inference)', () => {
  it('answers every row from the endpoint, in batches of MAX_BATCH_ROWS with bounded concurrency', async () => {
    sm.endpoints.get('linear-ep')!.latencyMs = 20; // answers overlap, so the server sees how many calls are in flight
    const rows = await t.rows(`SELECT id, lin_fn(x1, x2, tag), 2 * x1 - 3 * x2 + length(tag) FROM pts ORDER BY id`);
    expect(rows).toHaveLength(120);
    for (const [id, got, want] of rows as [number, number | null, number | null][]) {
      if (want === null) expect(got, `row ${id}`).toBeNull();
      else expect(Math.abs(Number(got) - Number(want)), `row ${id}`).toBeLessThan(1e-5);
    }
    expect(sm.invocations.every((c) => c.rows <= 7 && c.contentType.startsWith('text/csv') && c.status === 200)).toBe(true);
    expect(sm.invocations.reduce((s, c) => s + c.rows, 0)).toBe(120);
    expect(sm.peakConcurrency).toBeGreaterThanOrEqual(2); // a slice's batch of ~60 rows is 9 calls, 2 at a time
    expect(sm.peakConcurrency).toBeLessThanOrEqual(2 * 2); // MAX_CONCURRENT_CALLS per slice, two slices
  });

  it('runs only on rows that pass the filter, and at the leader over VALUES', async () => {
    const [[n]] = await t.rows('SELECT count(*) FROM pts WHERE id < 10 AND lin_fn(x1, x2, tag) > -1000');
    expect(Number(n)).toBe(10 - 2); // ids 3 and 7 have a NULL tag, so a NULL answer
    expect(sm.invocations.reduce((s, c) => s + c.rows, 0)).toBe(10);
    expect(await t.rows(`SELECT lin_fn(1.5, 2, 'abc')`)).toEqual([[2 * 1.5 - 6 + 3]]);
  });

  it('retries throttling and 5xx with backoff, then succeeds', async () => {
    sm.endpoints.get('linear-ep')!.faults = ['throttle', 'unavailable', 'throttle'];
    const [[got]] = await t.rows(`SELECT lin_fn(1, 1, 'x')`);
    expect(got).toBe(0);
    expect(sm.invocations.map((c) => c.status)).toEqual([429, 503, 429, 200]);
  });

  it("a model container's error fails the statement at once, with the container's message", async () => {
    sm.endpoints.get('linear-ep')!.faults = ['model-error'];
    const e = await t.error(`SELECT lin_fn(1, 1, 'x')`);
    expect(e.code).toBe('INVALID_PARAMETER');
    expect(e.message).toMatch(/endpoint 'linear-ep'.*answered 500: model failed/);
    expect(sm.invocations).toHaveLength(1);
  });

  it('an endpoint that does not exist is UNDEFINED_OBJECT; a wrong answer count or type is a clear error', async () => {
    await t.s.execute(`CREATE MODEL gone FUNCTION gone_fn(INTEGER) RETURNS INTEGER SAGEMAKER 'no-such-endpoint'`);
    const e = await t.error('SELECT gone_fn(1)');
    expect(e).toMatchObject({ code: 'UNDEFINED_OBJECT' });
    expect(e.message).toMatch(/no-such-endpoint.*not found/);
    sm.endpoints.set('linear-ep', { predict: (rows) => rows.slice(1).map(linear) });
    expect((await t.error(`SELECT lin_fn(x1, x2, tag) FROM pts WHERE id < 3`)).message).toMatch(/returned 2 values for 3 rows/);
    // exact values both ways: DECIMAL scale, BIGINT past 2^53, dates
    sm.endpoints.set('echo', { predict: (rows) => rows.map((r) => r[0]) });
    await t.s.execute(`CREATE MODEL echo_dec FUNCTION echo_dec_fn(DECIMAL(12,3)) RETURNS DECIMAL(12,3) SAGEMAKER 'echo';
      CREATE MODEL echo_big FUNCTION echo_big_fn(BIGINT) RETURNS BIGINT SAGEMAKER 'echo';
      CREATE MODEL echo_date FUNCTION echo_date_fn(DATE) RETURNS DATE SAGEMAKER 'echo'`);
    expect(await t.rows(`SELECT echo_dec_fn(123.456), echo_big_fn(9007199254740993), echo_date_fn(DATE '2024-02-29')`))
      .toEqual(await t.rows(`SELECT 123.456::DECIMAL(12,3), 9007199254740993::BIGINT, DATE '2024-02-29'`));
    expect(String((await t.rows(`SELECT echo_big_fn(9007199254740993)`))[0][0])).toBe('9007199254740993');
    // a NULL single argument is a blank CSV line: NULL, without sending it
    const before = sm.invocations.length;
    expect(await t.rows('SELECT echo_big_fn(NULL::BIGINT)')).toEqual([[null]]);
    expect(sm.invocations.length).toBe(before);
    sm.endpoints.set('linear-ep', { predict: (rows) => rows.map(() => 'cat') });
    expect(await t.error(`SELECT lin_fn(1, 1, 'x')`)).toMatchObject({ code: 'DATATYPE_MISMATCH', message: expect.stringMatching(/returned 'cat' for row 1.*DOUBLE PRECISION/) });
  });

  it('stops waiting at the statement timeout', async () => {
    sm.endpoints.get('linear-ep')!.faults = [{ delayMs: 3000 }];
    await t.s.execute('SET statement_timeout = 300');
    try {
      expect(await t.error(`SELECT lin_fn(1, 1, 'x')`)).toMatchObject({ code: 'QUERY_CANCELED', message: expect.stringMatching(/statement timeout/) });
    } finally {
      await t.s.execute('SET statement_timeout = 0');
    }
  });

  it('takes endpoint and model names, never URLs or hosts: bad names fail before any call', async () => {
    const bad = [
      `SAGEMAKER 'http://169.254.169.254/latest/meta-data'`,
      `SAGEMAKER '../../admin'`,
      `SAGEMAKER 'ep':'model\nX-Injected: 1'`,
      `SAGEMAKER 'ep' SETTINGS (REGION 'evil.example.com/x')`,
      `SAGEMAKER 'ep' SETTINGS (MAX_BATCH_ROWS 0)`,
      `SAGEMAKER 'ep' SETTINGS (MAX_CONCURRENT_CALLS 1000)`,
      `SAGEMAKER 'ep' SETTINGS (ENDPOINT_URL 'http://localhost')`,
    ];
    for (const clause of bad) {
      const e = await t.error(`CREATE MODEL evil FUNCTION evil_fn(INTEGER) RETURNS INTEGER ${clause}`);
      expect(e.code, clause).toBe('INVALID_PARAMETER');
    }
    expect((await t.error('SHOW MODEL evil')).code).toBe('UNDEFINED_OBJECT');
    expect(sm.invocations).toHaveLength(0);
  });

  it('SHOW MODEL says where it runs; no probabilities, explanations, export or drift monitor', async () => {
    const m = await t.show('lin');
    expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'REMOTE (SAGEMAKER)', 'SageMaker Endpoint': 'linear-ep', 'Function Return Type': 'DOUBLE PRECISION' });
    expect(m.Settings).toBe('MAX_BATCH_ROWS=7, MAX_CONCURRENT_CALLS=2');
    expect((await t.error(`SELECT lin_fn_prob(1, 1, 'x')`)).code).toBe('UNDEFINED_FUNCTION');
    expect((await t.error(`SELECT lin_fn_explain(1, 1, 'x')`)).code).toBe('FEATURE_NOT_SUPPORTED');
    expect((await t.error(`EXPORT MODEL lin TO '${t.dir}/lin.onnx'`)).code).toBe('FEATURE_NOT_SUPPORTED');
    expect(await t.error('CREATE MONITOR lin_mon ON MODEL lin USING (SELECT x1 AS arg1, x2 AS arg2, tag AS arg3 FROM pts)')).toMatchObject({ code: 'FEATURE_NOT_SUPPORTED', message: expect.stringMatching(/runs on SageMaker endpoint 'linear-ep'/) });
    expect(sm.invocations).toHaveLength(0);
  });

  it('a multi-model endpoint gets its target model; a user without EXECUTE gets nothing', async () => {
    sm.endpoints.set('multi', { predict: (rows, target) => rows.map(() => `${target}`) });
    await t.s.execute(`CREATE MODEL pick FUNCTION pick_fn(INTEGER) RETURNS VARCHAR SAGEMAKER 'multi':'models/a.tar.gz'`);
    expect(await t.rows('SELECT pick_fn(1)')).toEqual([['models/a.tar.gz']]);
    await t.s.execute(`CREATE USER bob PASSWORD 'Bob12345'`);
    const bob = t.db.connect({ user: 'bob' });
    await expect(bob.execute('SELECT pick_fn(1)')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(sm.invocations).toHaveLength(1);
  });
});
