// AWS plumbing for remote training: SDK clients (with endpoint overrides), S3 locations, and
// turning SDK and network failures into SqlErrors that say what to fix.
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SqlError } from '../../engine/errors.ts';

/** Static credentials (tests, or callers that manage credentials themselves); otherwise the SDK's default chain. */
export interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

/** Where and how to reach AWS: region, endpoint overrides (opts, else STRATA_S3_ENDPOINT / STRATA_SAGEMAKER_ENDPOINT). */
export interface Connection { region?: string; endpoint?: { s3?: string; sagemaker?: string }; credentials?: Credentials; maxAttempts?: number }

/** The two clients plus what the error messages name. */
export interface Aws { s3: S3Client; sm: SageMakerClient; region: string; s3Endpoint: string; smEndpoint: string }

export function connect(c: Connection): Aws {
  const region = c.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
  const s3Url = c.endpoint?.s3 || process.env.STRATA_S3_ENDPOINT || undefined;
  const smUrl = c.endpoint?.sagemaker || process.env.STRATA_SAGEMAKER_ENDPOINT || undefined;
  const common = { region, credentials: c.credentials, maxAttempts: c.maxAttempts ?? 3 };
  return {
    // A custom S3 endpoint (MinIO, s3rver, ...) needs path-style addressing and no default checksums.
    s3: new S3Client(s3Url ? { ...common, endpoint: s3Url, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : common),
    sm: new SageMakerClient(smUrl ? { ...common, endpoint: smUrl } : common),
    region,
    s3Endpoint: s3Url ?? `S3 in ${region}`,
    smEndpoint: smUrl ?? `SageMaker in ${region}`,
  };
}

/** A bucket plus key prefix: S3_BUCKET 'b', 'b/prefix' or 's3://b/prefix'. */
export interface S3Place { bucket: string; prefix: string }

export function parseBucket(raw: string | undefined): S3Place {
  const s = (raw ?? '').trim().replace(/^s3:\/\//i, '').replace(/\/+$/, '');
  const [bucket, ...rest] = s.split('/');
  if (!bucket) throw new SqlError('INVALID_PARAMETER', "TRAINER 'sagemaker' needs an S3 bucket for the training data: SETTINGS (S3_BUCKET 'bucket-name')");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new SqlError('INVALID_PARAMETER', `S3_BUCKET '${bucket}' is not a valid bucket name`);
  return { bucket, prefix: rest.length ? `${rest.join('/')}/` : '' };
}

/** Splits s3://bucket/key. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new SqlError('INVALID_PARAMETER', `not an S3 URI: '${uri}'`);
  return { bucket: m[1], key: m[2] };
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Maps an SDK or network error to a SqlError; `doing` says what failed ("uploading s3://b/k"). */
export function awsError(e: unknown, doing: string, endpoint: string, envVar: string): SqlError {
  if (e instanceof SqlError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const name = err?.name ?? '';
  const code = err?.code ?? err?.cause?.code ?? '';
  const msg = err?.message || name || String(e);
  if (name === 'AbortError') return new SqlError('QUERY_CANCELED', 'model training was canceled');
  if (NETWORK.has(code) || name === 'TimeoutError' || /ECONNREFUSED|ENOTFOUND|socket hang up/.test(msg)) {
    return new SqlError('INVALID_PARAMETER', `cannot reach ${endpoint} while ${doing}: ${msg} (check ${envVar} or the region)`);
  }
  const status = err?.$metadata?.httpStatusCode;
  if (name === 'NoSuchBucket') return new SqlError('UNDEFINED_OBJECT', `S3 bucket for ${doing} does not exist`);
  if (status === 403 || /AccessDenied|Forbidden|UnrecognizedClient|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken/.test(name)) {
    return new SqlError('PERMISSION_DENIED', `${doing}: access denied by AWS (${name}: ${msg})`);
  }
  return new SqlError('INVALID_PARAMETER', `${doing} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${msg}`);
}
