// COPY FROM / UNLOAD TO s3:// through the real HTTP server and the AWS SDK, against a local S3
// (s3rver): clients must bring their own CREDENTIALS (the server's AWS identity is not lent
// out), errors name the object but never the secret, and a round trip loads what was unloaded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, ok } from '../api/helpers.ts';
import { startS3Server, S3_CREDENTIALS, type S3Server } from '../servers/s3-server.ts';
import { secureServer, message, type Caller, type SecureServer } from './helpers.ts';

let s3: S3Server;
let srv: SecureServer;
let acme: Caller;
const saved = process.env.STRATA_S3_ENDPOINT;
const CREDS = `CREDENTIALS 'aws_access_key_id=${S3_CREDENTIALS.accessKeyId};aws_secret_access_key=${S3_CREDENTIALS.secretAccessKey}'`;

beforeAll(async () => {
  s3 = await startS3Server(['lake']);
  process.env.STRATA_S3_ENDPOINT = s3.endpoint;
  srv = await secureServer({ accounts: ['acme'] });
  acme = srv.as(await srv.token('acme'));
  ok(await acme.sql("CREATE TABLE src (id INT, name VARCHAR(10)); INSERT INTO src VALUES (1, 'one'), (2, 'two, too'), (3, NULL); CREATE TABLE dst (id INT, name VARCHAR(10))"));
}, 60_000);
afterAll(async () => {
  await srv?.close();
  await s3?.close();
  if (saved === undefined) delete process.env.STRATA_S3_ENDPOINT; else process.env.STRATA_S3_ENDPOINT = saved;
});

describe('S3 through the server', () => {
  it('refuses S3 without the client\'s own CREDENTIALS', async () => {
    const r = await acme.sql("COPY dst FROM 's3://lake/x.csv' FORMAT CSV");
    expect(code(r)).toBe('PERMISSION_DENIED');
    expect(message(r)).toMatch(/needs CREDENTIALS/);
    expect(code(await acme.sql("UNLOAD ('SELECT * FROM src') TO 's3://lake/x.csv' FORMAT CSV"))).toBe('PERMISSION_DENIED');
    expect(code(await acme.sql("COPY dst FROM 's3://lake/x.csv' IAM_ROLE 'arn:aws:iam::1:role/r' FORMAT CSV"))).toBe('FEATURE_NOT_SUPPORTED');
  });

  it('unloads and loads back the same rows', async () => {
    ok(await acme.sql(`UNLOAD ('SELECT id, name FROM src ORDER BY id') TO 's3://lake/out/src.csv' ${CREDS} FORMAT CSV`));
    expect(code(await acme.sql(`UNLOAD ('SELECT 1') TO 's3://lake/out/src.csv' ${CREDS} FORMAT CSV`))).toBe('DUPLICATE_OBJECT');
    ok(await acme.sql(`COPY dst FROM 's3://lake/out/src.csv' ${CREDS} FORMAT CSV`));
    expect(ok(await acme.sql('SELECT id, name FROM dst ORDER BY id')).execute.rows).toEqual([[1, 'one'], [2, 'two, too'], [3, null]]);
    ok(await acme.sql(`UNLOAD ('SELECT id, name FROM src ORDER BY id') TO 's3://lake/out/src.parquet' ${CREDS} FORMAT PARQUET`));
    ok(await acme.sql(`DELETE FROM dst; COPY dst FROM 's3://lake/out/src.parquet' ${CREDS} FORMAT PARQUET`));
    expect(ok(await acme.sql('SELECT count(*), sum(id) FROM dst')).execute.rows).toEqual([[3, 6]]);
  });

  it('names a missing object or a wrong key, never the secret', async () => {
    const missing = await acme.sql(`COPY dst FROM 's3://lake/nope.csv' ${CREDS} FORMAT CSV`);
    expect(code(missing)).toBe('BAD_COPY_FILE');
    expect(message(missing)).toMatch(/s3:\/\/lake\/nope\.csv does not exist/);
    const wrong = await acme.sql("COPY dst FROM 's3://lake/out/src.csv' CREDENTIALS 'aws_access_key_id=WRONG;aws_secret_access_key=topsecret' FORMAT CSV");
    expect(code(wrong)).toBe('PERMISSION_DENIED');
    expect(message(wrong)).not.toContain('topsecret');
    expect(code(await acme.sql("COPY dst FROM 's3://lake/out/src.csv' CREDENTIALS 'garbage' FORMAT CSV"))).toBe('INVALID_PARAMETER');
  });
});
