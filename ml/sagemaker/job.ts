// The CreateTrainingJob request for SageMaker's built-in XGBoost: image per region, hyperparameters
// from the spec, CSV channels, output path, and MAX_RUNTIME as the stopping condition.
import type { CreateTrainingJobRequest } from '@aws-sdk/client-sagemaker';
import { SqlError } from '../../engine/errors.ts';
import type { ProblemType } from '../types.ts';

/** The built-in XGBoost container version Strata asks for. */
export const XGBOOST_VERSION = '1.7-1';

/** ECR accounts of the sagemaker-xgboost image (the same for every 1.x version), by region. */
const XGBOOST_REGISTRIES: Record<string, string> = {
  'af-south-1': '510948584623', 'ap-east-1': '651117190479', 'ap-northeast-1': '354813040037', 'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886', 'ap-south-1': '720646828776', 'ap-south-2': '628508329040', 'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285', 'ap-southeast-3': '951798379941', 'ap-southeast-4': '106583098589', 'ca-central-1': '341280168497',
  'ca-west-1': '190319476487', 'cn-north-1': '450853457545', 'cn-northwest-1': '451049120500', 'eu-central-1': '492215442770',
  'eu-central-2': '680994064768', 'eu-north-1': '662702820516', 'eu-south-1': '978288397137', 'eu-south-2': '104374241257',
  'eu-west-1': '141502667606', 'eu-west-2': '764974769150', 'eu-west-3': '659782779980', 'il-central-1': '898809789911',
  'me-central-1': '272398656194', 'me-south-1': '801668240914', 'sa-east-1': '737474898029', 'us-east-1': '683313688378',
  'us-east-2': '257758044811', 'us-gov-east-1': '237065988967', 'us-gov-west-1': '414596584902', 'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

/** The built-in XGBoost training image for a region (STRATA_SAGEMAKER_XGBOOST_IMAGE overrides it). */
export function xgboostImage(region: string): string {
  const override = process.env.STRATA_SAGEMAKER_XGBOOST_IMAGE;
  if (override) return override;
  const account = XGBOOST_REGISTRIES[region];
  if (!account) throw new SqlError('INVALID_PARAMETER', `no SageMaker XGBoost image is known for region '${region}' (set STRATA_SAGEMAKER_XGBOOST_IMAGE)`);
  return `${account}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/sagemaker-xgboost:${XGBOOST_VERSION}`;
}

/** XGBoost hyperparameters the built-in algorithm accepts (objective and num_class come from the problem type). */
const NUMERIC = new Set([
  'num_round', 'max_depth', 'eta', 'gamma', 'min_child_weight', 'max_delta_step', 'subsample', 'colsample_bytree', 'colsample_bylevel',
  'colsample_bynode', 'lambda', 'alpha', 'sketch_eps', 'scale_pos_weight', 'max_bin', 'max_leaves', 'early_stopping_rounds', 'seed',
  'rate_drop', 'skip_drop', 'one_drop', 'lambda_bias', 'verbosity', 'num_parallel_tree',
]);
const TEXT = new Set(['tree_method', 'grow_policy', 'booster', 'sample_type', 'normalize_type', 'eval_metric', 'process_type', 'updater', 'monotone_constraints', 'interaction_constraints']);

/** XGBoost's own defaults for what SageMaker requires or Strata always sets, plus early stopping like the local trainer. */
const DEFAULTS: Record<string, string> = { num_round: '100', max_depth: '6', eta: '0.3', early_stopping_rounds: '10' };

/** SageMaker XGBoost hyperparameters for a problem: defaults, then HYPERPARAMETERS (checked), then objective/num_class. */
export function xgboostHyperparameters(problem: ProblemType, classes: number, user: Record<string, string>, seed: number): Record<string, string> {
  const out: Record<string, string> = { ...DEFAULTS, seed: String(seed) };
  for (const [k0, v0] of Object.entries(user)) {
    const k = k0.toLowerCase(), v = String(v0).trim();
    if (k === 'objective' || k === 'num_class') throw new SqlError('INVALID_PARAMETER', `hyperparameter ${k0.toUpperCase()} is set from PROBLEM_TYPE; leave it out`);
    if (!NUMERIC.has(k) && !TEXT.has(k)) throw new SqlError('INVALID_PARAMETER', `hyperparameter ${k0.toUpperCase()} is not an XGBoost hyperparameter SageMaker accepts`);
    if (NUMERIC.has(k) && !Number.isFinite(Number(v))) throw new SqlError('INVALID_PARAMETER', `hyperparameter ${k0.toUpperCase()} must be a number, got '${v0}'`);
    if (k === 'booster' && v !== 'gbtree' && v !== 'dart') throw new SqlError('FEATURE_NOT_SUPPORTED', `hyperparameter BOOSTER '${v}': only gbtree and dart models can be imported`);
    out[k] = v;
  }
  if (problem === 'REGRESSION') Object.assign(out, { objective: 'reg:squarederror' });
  else if (problem === 'BINARY_CLASSIFICATION') Object.assign(out, { objective: 'binary:logistic' });
  else Object.assign(out, { objective: 'multi:softprob', num_class: String(classes) });
  out.eval_metric ??= problem === 'REGRESSION' ? 'rmse' : problem === 'BINARY_CLASSIFICATION' ? 'logloss' : 'mlogloss';
  return out;
}

/** A unique training job name (at most 63 characters of [a-zA-Z0-9-]). */
export function jobName(): string {
  const t = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `strata-xgb-${t}-${Math.random().toString(36).slice(2, 8)}`;
}

export interface JobPlan {
  name: string; roleArn: string; image: string; hyperparameters: Record<string, string>;
  /** s3:// prefixes of the channels and the output. */
  train: string; validation: string; output: string;
  maxRuntimeSeconds: number; instanceType: string; volumeGb: number;
}

/** The request for the SDK's CreateTrainingJobCommand. */
export function trainingJobRequest(p: JobPlan): CreateTrainingJobRequest {
  const channel = (name: string, uri: string) => ({
    ChannelName: name, ContentType: 'text/csv', CompressionType: 'None' as const,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix' as const, S3Uri: uri, S3DataDistributionType: 'FullyReplicated' as const } },
  });
  return {
    TrainingJobName: p.name,
    RoleArn: p.roleArn,
    AlgorithmSpecification: { TrainingImage: p.image, TrainingInputMode: 'File' },
    HyperParameters: p.hyperparameters,
    InputDataConfig: [channel('train', p.train), channel('validation', p.validation)],
    OutputDataConfig: { S3OutputPath: p.output },
    ResourceConfig: { InstanceType: p.instanceType as never, InstanceCount: 1, VolumeSizeInGB: p.volumeGb },
    StoppingCondition: { MaxRuntimeInSeconds: p.maxRuntimeSeconds },
    Tags: [{ Key: 'strata', Value: 'create-model' }],
  };
}

/** IAM role ARN: the IAM_ROLE clause, else STRATA_SAGEMAKER_ROLE_ARN ("IAM_ROLE default"). */
export function resolveRole(roleArn: string | undefined): string {
  const r = roleArn && roleArn.toLowerCase() !== 'default' ? roleArn : process.env.STRATA_SAGEMAKER_ROLE_ARN;
  if (!r) throw new SqlError('INVALID_PARAMETER', "TRAINER 'sagemaker' needs an IAM role SageMaker can assume: IAM_ROLE 'arn:aws:iam::<account>:role/<name>' (or set STRATA_SAGEMAKER_ROLE_ARN for IAM_ROLE default)");
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(r)) throw new SqlError('INVALID_PARAMETER', `IAM_ROLE '${r}' is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)`);
  return r;
}
