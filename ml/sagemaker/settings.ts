// CREATE MODEL ... SETTINGS (TRAINER 'sagemaker', S3_BUCKET 'b', MAX_RUNTIME s, REGION 'r') [IAM_ROLE ...] -> trainRemote options.
import { SqlError } from '../../engine/errors.ts';
import type { TrainSpec } from '../types.ts';
import type { RemoteOptions } from './train_remote.ts';

/** Whether remote training goes to Autopilot: AUTO ON (the default) and no MODEL_TYPE. */
export function usesAutopilot(spec: Pick<TrainSpec, 'auto' | 'modelType'>): boolean {
  return spec.auto !== false && !spec.modelType;
}

/** SETTINGS keys remote training reads (besides MAX_CELLS, SEED, which preprocessing reads from the spec). */
export const REMOTE_SETTINGS = ['TRAINER', 'S3_BUCKET', 'MAX_RUNTIME', 'REGION', 'S3_GARBAGE_COLLECT', 'DEPLOY_INSTANCE_TYPE'];

/**
 * The trainRemote options for a statement's SETTINGS and IAM_ROLE clause (the AST's `{ arn }` or
 * `{ default: true }`, or an ARN string; default / absent means STRATA_SAGEMAKER_ROLE_ARN);
 * null when TRAINER is not 'sagemaker'.
 */
export function remoteOptions(settings: Record<string, string>, iamRole?: string | { arn: string } | { default: true }): RemoteOptions | null {
  const get = (k: string) => Object.entries(settings).find(([key]) => key.toUpperCase() === k)?.[1];
  if ((get('TRAINER') ?? 'local').toLowerCase() !== 'sagemaker') return null;
  const bucket = get('S3_BUCKET');
  if (!bucket) throw new SqlError('INVALID_PARAMETER', "TRAINER 'sagemaker' needs SETTINGS (S3_BUCKET 'bucket-name') for the training data and the model");
  const runtime = get('MAX_RUNTIME');
  const deploy = get('DEPLOY_INSTANCE_TYPE');
  if (deploy !== undefined && !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(deploy)) throw new SqlError('INVALID_PARAMETER', `SETTINGS DEPLOY_INSTANCE_TYPE '${deploy}' is not a SageMaker instance type (like ml.m5.large)`);
  return {
    ...(deploy ? { deployInstanceType: deploy } : {}),
    s3Bucket: bucket,
    roleArn: typeof iamRole === 'string' ? iamRole : iamRole && 'arn' in iamRole ? iamRole.arn : undefined,
    region: get('REGION'),
    maxRuntimeSeconds: runtime === undefined ? undefined : Number(runtime),
  };
}
