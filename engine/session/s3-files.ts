// COPY FROM 's3://bucket/key' and UNLOAD TO 's3://bucket/key' through the AWS SDK (loaded only
// when a statement names S3). The server never lends its own AWS identity to API clients: through
// the server a statement must carry CREDENTIALS 'aws_access_key_id=...;aws_secret_access_key=...'
// (as Redshift asks for IAM_ROLE or CREDENTIALS); the one-shot CLI may also use the local user's
// default credential chain. STRATA_S3_ENDPOINT points at another S3 (MinIO, s3rver).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { SqlError, type SourcePosition } from '../errors.ts';
import type { StatementContext } from './context.ts';

export const isS3 = (uri: string) => /^s3:\/\//i.test(uri);

interface S3Object { bucket: string; key: string; uri: string }
interface AccessOptions { credentials?: string; iamRole?: unknown; region?: string }

function parseUri(uri: string, pos?: SourcePosition): S3Object {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/i.exec(uri);
  if (!m) throw new SqlError('INVALID_PARAMETER', `'${uri}' is not an S3 URI of the form s3://bucket/key`, pos);
  return { bucket: m[1], key: m[2], uri };
}

/** CREDENTIALS 'aws_access_key_id=K;aws_secret_access_key=S[;token=T]' (secrets never echoed). */
function parseCredentials(text: string, what: string, pos?: SourcePosition) {
  const kv = new Map(text.split(';').map((p) => p.trim()).filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
  }));
  const accessKeyId = kv.get('aws_access_key_id'), secretAccessKey = kv.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) throw new SqlError('INVALID_PARAMETER', `${what} CREDENTIALS must be 'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'`, pos);
  const sessionToken = kv.get('token');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** Throws unless this session may reach S3 with these options (checked before any work is done). */
export function checkS3Access(ctx: StatementContext, uri: string, o: AccessOptions, what: string, pos?: SourcePosition): void {
  parseUri(uri, pos);
  if (o.iamRole !== undefined && !o.credentials) throw new SqlError('FEATURE_NOT_SUPPORTED', `${what} with IAM_ROLE is not supported here; give CREDENTIALS 'aws_access_key_id=...;aws_secret_access_key=...'`, pos);
  if (!o.credentials && ctx.files.mode === 'restricted') {
    throw new SqlError('PERMISSION_DENIED', `${what} on S3 through the server needs CREDENTIALS 'aws_access_key_id=...;aws_secret_access_key=...': the server does not lend its own AWS identity to clients`, pos);
  }
  if (o.credentials) parseCredentials(o.credentials, what, pos);
}

async function clientFor(ctx: StatementContext, obj: S3Object, o: AccessOptions, what: string, pos?: SourcePosition): Promise<S3Client> {
  checkS3Access(ctx, obj.uri, o, what, pos);
  const credentials = o.credentials ? parseCredentials(o.credentials, what, pos) : undefined;
  const { S3Client } = await import('@aws-sdk/client-s3');
  const region = o.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpoint = process.env.STRATA_S3_ENDPOINT || undefined;
  return new S3Client({
    region, credentials, maxAttempts: 3,
    ...(endpoint ? { endpoint, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

/** An SDK failure as a SqlError naming the object, never the credentials. */
function s3Error(e: unknown, what: string, obj: S3Object, pos?: SourcePosition): SqlError {
  if (e instanceof SqlError) return e;
  const name = (e as { name?: string }).name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404) return new SqlError('BAD_COPY_FILE', `${what}: ${obj.uri} does not exist`, pos);
  if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || status === 403) return new SqlError('PERMISSION_DENIED', `${what}: S3 refused access to ${obj.uri} with the given credentials`, pos);
  return new SqlError('BAD_COPY_FILE', `${what}: S3 request for ${obj.uri} failed (${name || (e as Error).message})`, pos);
}

/** Downloads an object to a private temporary file for COPY to read; `done()` removes it. */
export async function downloadS3(ctx: StatementContext, uri: string, o: AccessOptions, pos?: SourcePosition): Promise<{ path: string; done(): Promise<void> }> {
  const obj = parseUri(uri, pos);
  const s3 = await clientFor(ctx, obj, o, 'COPY', pos);
  const dir = await mkdtemp(join(tmpdir(), 'strata-s3-copy-'));
  const done = () => rm(dir, { recursive: true, force: true });
  try {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const r = await s3.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }), { abortSignal: ctx.signal });
    const path = join(dir, 'object');
    await pipeline(r.Body as Readable, createWriteStream(path, { mode: 0o600 }));
    return { path, done };
  } catch (e) {
    await done();
    throw s3Error(e, 'COPY', obj, pos);
  } finally {
    s3.destroy();
  }
}

/** Writes UNLOAD's output as one object, refusing to replace one without ALLOWOVERWRITE. */
export async function uploadS3(ctx: StatementContext, uri: string, data: string | Uint8Array, o: AccessOptions & { allowOverwrite?: boolean }, pos?: SourcePosition): Promise<void> {
  const obj = parseUri(uri, pos);
  const s3 = await clientFor(ctx, obj, o, 'UNLOAD', pos);
  try {
    const { HeadObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
    if (!o.allowOverwrite) {
      let exists = true;
      try { await s3.send(new HeadObjectCommand({ Bucket: obj.bucket, Key: obj.key })); } catch (e) {
        const err = s3Error(e, 'UNLOAD', obj, pos);
        if (err.code !== 'BAD_COPY_FILE' || !/does not exist/.test(err.message)) throw err;
        exists = false;
      }
      if (exists) throw new SqlError('DUPLICATE_OBJECT', `UNLOAD target "${uri}" exists; add ALLOWOVERWRITE`, pos);
    }
    await s3.send(new PutObjectCommand({ Bucket: obj.bucket, Key: obj.key, Body: data }), { abortSignal: ctx.signal });
  } catch (e) {
    throw s3Error(e, 'UNLOAD', obj, pos);
  } finally {
    s3.destroy();
  }
}
