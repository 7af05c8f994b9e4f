// Remote inference (Redshift's BYOM remote): CREATE MODEL m FUNCTION f(types) RETURNS type
// SAGEMAKER 'endpoint'[:'model'] [IAM_ROLE ...] [SETTINGS (MAX_BATCH_ROWS n, MAX_CONCURRENT_CALLS n, REGION 'r')].
// Registers f; its calls go to InvokeEndpoint from the slices (ml/sagemaker/invoke.ts). The
// statement stores names only: which host and credentials a call uses is the server's configuration.
import { SqlError } from '../../engine/errors.ts';
import type { RemoteModelRef } from '../../engine/plan/bound.ts';
import type { Result } from '../../engine/result.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import { done } from '../../engine/session/session.ts';
import type * as A from '../../engine/sql/ast.ts';
import { isNullType, resolveTypeName, typeName, type SqlType } from '../../engine/types/types.ts';
import type { ModelVersion } from './catalog.ts';
import type { ModelJobs } from './jobs.ts';
import { optionsRecord } from './spec.ts';
import { insertVersion, versionTarget } from './versions.ts';

/** SageMaker's endpoint name rule: it becomes a URL path segment, so nothing else gets through. */
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** A multi-model endpoint's model: a relative S3 key, sent as a header (no control characters). */
const TARGET_MODEL = /^[\w][\w\-./]{0,1023}$/;
/** AWS region names: they pick the AWS host, so only this shape is accepted. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const DEFAULT_BATCH_ROWS = 1000;
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

export async function createRemoteModel(stmt: A.CreateModelExternal, ctx: StatementContext, jobs: ModelJobs): Promise<Result> {
  const remote = remoteRef(stmt);
  const target = versionTarget(ctx, stmt.name, stmt.function, stmt.pos);
  const { key } = target;
  const argTypes = stmt.argTypes.map((t) => sqlType(t, 'argument'));
  const returns = sqlType(stmt.returns, 'RETURNS');
  const now = ctx.now().toISOString();
  const source = `sagemaker:${remote.endpoint}${remote.targetModel ? `:${remote.targetModel}` : ''}`;
  const version: Omit<ModelVersion, 'version'> = {
    id: key.id, state: 'READY',
    args: argTypes.map((type, i) => ({ name: `arg${i + 1}`, type })), returns, proba: false,
    remote, source, modelType: 'REMOTE (SAGEMAKER)', settings: optionsRecord(stmt.settings),
    createdAt: now, finishedAt: now,
  };
  insertVersion(ctx, target, version);
  ctx.txn.afterCommit.push(() => jobs.emit(key, 'ready', 'READY', { message: `calls SageMaker endpoint ${remote.endpoint}`, progress: 1 }));
  return done('CREATE MODEL');
}

/** The endpoint and call settings of the statement, checked. */
export function remoteRef(stmt: A.CreateModelExternal): RemoteModelRef {
  const sm = stmt.sagemaker!;
  if (!ENDPOINT_NAME.test(sm.endpoint)) {
    throw new SqlError('INVALID_PARAMETER', `SAGEMAKER '${sm.endpoint}' is not a SageMaker endpoint name (letters, digits and hyphens, at most 63); the server's configuration decides where endpoints are reached`, stmt.pos);
  }
  if (sm.model !== undefined && !TARGET_MODEL.test(sm.model)) throw new SqlError('INVALID_PARAMETER', `SAGEMAKER '${sm.endpoint}':'${sm.model}': the model name must be a relative path of letters, digits, '_', '-', '.' and '/'`, stmt.pos);
  const settings = optionsRecord(stmt.settings);
  const ref: RemoteModelRef = { endpoint: sm.endpoint, maxBatchRows: DEFAULT_BATCH_ROWS, maxConcurrency: DEFAULT_CONCURRENCY };
  if (sm.model !== undefined) ref.targetModel = sm.model;
  for (const [k, v] of Object.entries(settings)) {
    if (k === 'MAX_BATCH_ROWS') ref.maxBatchRows = positiveInt(k, v, 2_147_483_647, stmt.pos);
    else if (k === 'MAX_CONCURRENT_CALLS') ref.maxConcurrency = positiveInt(k, v, MAX_CONCURRENCY, stmt.pos);
    else if (k === 'REGION') {
      if (!REGION.test(v)) throw new SqlError('INVALID_PARAMETER', `SETTINGS REGION '${v}' is not an AWS region name (like us-east-1)`, stmt.pos);
      ref.region = v;
    } else throw new SqlError('INVALID_PARAMETER', `unknown SETTINGS key ${k} for a SAGEMAKER model (supported: MAX_BATCH_ROWS, MAX_CONCURRENT_CALLS, REGION)`, stmt.pos);
  }
  return ref;
}

function positiveInt(k: string, v: string, max: number, pos: A.Pos): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new SqlError('INVALID_PARAMETER', `SETTINGS ${k} must be an integer from 1 to ${max}, got '${v}'`, pos);
  return n;
}

/** A declared type: every SQL type travels as CSV text both ways. */
function sqlType(t: A.TypeRef, what: string): SqlType {
  const r = resolveTypeName(t.name, t.params);
  if (!r) throw new SqlError('DATATYPE_MISMATCH', `type "${t.name}" does not exist`, t.pos);
  if (isNullType(r)) throw new SqlError('DATATYPE_MISMATCH', `a SAGEMAKER model's ${what} type cannot be ${typeName(r)}`, t.pos);
  return r;
}
