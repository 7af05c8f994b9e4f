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

/** Bytes of UNLOAD's output held before they go to S3 as a part: S3's least part size. */
export const S3_PART_BYTES = 5 << 20;
/** Parts past which each further thousand are twice as big (S3 takes at most 10,000 parts). */
const PARTS_PER_SIZE = 1000;

/**
 * Writes UNLOAD's output as one object, refusing to replace one without ALLOWOVERWRITE. `fill`
 * writes the content in pieces as it is made: they are held until they make a part
 * (S3_PART_BYTES), so output that fits in one part is one PutObject and longer output a multipart
 * upload of parts sent as they fill, completed at the end. On any failure (the query's, S3's, a
 * cancel) the upload is aborted, so no object, whole or partial, appears.
 */
export async function uploadS3(ctx: StatementContext, uri: string, o: AccessOptions & { allowOverwrite?: boolean }, pos: SourcePosition | undefined,
  fill: (write: (data: string | Uint8Array) => Promise<void>) => Promise<void>): Promise<void> {
  const obj = parseUri(uri, pos);
  const s3 = await clientFor(ctx, obj, o, 'UNLOAD', pos);
  const sdk = await import('@aws-sdk/client-s3');
  const target = { Bucket: obj.bucket, Key: obj.key };
  let uploadId: string | undefined;
  const parts: { PartNumber: number; ETag?: string }[] = [];
  let held: Buffer[] = [], heldBytes = 0;
  const take = () => {
    const body = Buffer.concat(held);
    held = [];
    heldBytes = 0;
    return body;
  };
  const sendPart = async () => {
    const Body = take();
    // not under the statement's signal: a cancel while S3 makes the upload would leave one whose
    // id never came back, so no abort; the part below stops at the cancel instead
    uploadId ??= (await s3.send(new sdk.CreateMultipartUploadCommand(target))).UploadId;
    const PartNumber = parts.length + 1;
    const r = await s3.send(new sdk.UploadPartCommand({ ...target, UploadId: uploadId, PartNumber, Body }), { abortSignal: ctx.signal });
    parts.push({ PartNumber, ETag: r.ETag });
  };
  try {
    if (!o.allowOverwrite) {
      let exists = true;
      try { await s3.send(new sdk.HeadObjectCommand(target)); } catch (e) {
        const err = s3Error(e, 'UNLOAD', obj, pos);
        if (err.code !== 'BAD_COPY_FILE' || !/does not exist/.test(err.message)) throw err;
        exists = false;
      }
      if (exists) throw new SqlError('DUPLICATE_OBJECT', `UNLOAD target "${uri}" exists; add ALLOWOVERWRITE`, pos);
    }
    await fill(async (d) => {
      const b = Buffer.from(d as Uint8Array); // a copy: a piece may be a view the writer reuses
      if (!b.length) return;
      held.push(b);
      heldBytes += b.length;
      if (heldBytes >= S3_PART_BYTES * 2 ** Math.floor(parts.length / PARTS_PER_SIZE)) await sendPart();
    });
    ctx.guard.check();
    if (uploadId === undefined) {
      await s3.send(new sdk.PutObjectCommand({ ...target, Body: take() }), { abortSignal: ctx.signal });
      return;
    }
    if (heldBytes) await sendPart();
    await s3.send(new sdk.CompleteMultipartUploadCommand({ ...target, UploadId: uploadId, MultipartUpload: { Parts: parts } }), { abortSignal: ctx.signal });
    uploadId = undefined;
  } catch (e) {
    ctx.guard.check(); // a request cut short by a cancel or the deadline fails as QUERY_CANCELED
    throw s3Error(e, 'UNLOAD', obj, pos);
  } finally {
    held = [];
    // not under the statement's signal, which a cancel has already aborted
    if (uploadId !== undefined) await s3.send(new sdk.AbortMultipartUploadCommand({ ...target, UploadId: uploadId })).catch(() => undefined);
    s3.destroy();
  }
}
