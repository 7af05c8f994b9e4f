// The public shapes of the ML core: what the engine hands in (columns, spec) and gets back (a model).
import type { RemoteModelRef } from '../engine/plan/bound.ts';
import type { SqlType } from '../engine/types/types.ts';
import type { Vector } from '../engine/types/vector.ts';
import type { Label } from './util/values.ts';

/** One column of the training snapshot, full length. */
export interface TrainingColumn { name: string; type: SqlType; vector: Vector }

export type ModelType = 'XGBOOST' | 'MLP' | 'LINEAR_LEARNER' | 'KMEANS';
export type ProblemType = 'REGRESSION' | 'BINARY_CLASSIFICATION' | 'MULTICLASS_CLASSIFICATION';

/** Everything CREATE MODEL says about how to train. */
export interface TrainSpec {
  /** The column to predict; absent for KMEANS. */
  target?: string;
  /** undefined lets AUTO choose among families. */
  modelType?: ModelType;
  /** AUTO ON tries candidates; OFF trains modelType only. */
  auto: boolean;
  /** Inferred from the target when absent. */
  problemType?: ProblemType;
  /** 'MSE' | 'Accuracy' | 'F1' | 'F1_Macro' | 'AUC'; Redshift defaults when absent. */
  objective?: string;
  /** Redshift PREPROCESSORS JSON. */
  preprocessors?: string;
  /** HYPERPARAMETERS DEFAULT EXCEPT (...). */
  hyperparameters: Record<string, string>;
  /** MAX_CELLS, MAX_RUNTIME (seconds), SEED, K for KMEANS, ... */
  settings: Record<string, string>;
}

/** A progress event while training (per candidate, per epoch or boosting round). */
export interface TrainProgress { candidate: string; epoch?: number; loss?: number; validationScore?: number; message?: string }

/** A trained model: one ONNX graph (preprocessing + model + label decoding) plus what SHOW MODEL shows. */
/** An endpoint Strata deployed for a model (Autopilot with DEPLOY_INSTANCE_TYPE); DROP MODEL deletes it. */
export interface DeployedEndpoint {
  endpoint: string; config: string; model: string; region: string;
  /**
   * the S3 prefix Strata wrote the job's data and Autopilot its artifacts under (the job's own,
   * inside the configured prefix), kept while the endpoint serves and deleted with it; absent when
   * S3 garbage collection is off
   */
  artifacts?: { bucket: string; prefix: string };
}

export interface TrainedModel {
  /** the compiled graph; empty for a model served by an endpoint (`served`) */
  onnx: Uint8Array;
  /** a model that runs on a SageMaker endpoint Strata deployed: the function calls it */
  served?: { remote: RemoteModelRef; deployed: DeployedEndpoint };
  /** The feature columns, in function-argument order. */
  inputs: { name: string; type: SqlType }[];
  /** Label type for classification, DOUBLE for regression, INTEGER for kmeans. */
  outputType: SqlType;
  /** The classes, in probability-column order (for *_prob). */
  labels?: Label[];
  problemType: string;
  modelType: string;
  objective: string;
  validationScore: number;
  hyperparameters: Record<string, string>;
  preprocessing: unknown;
  trainingRows: number;
  trainingSeconds: number;
  candidates: { modelType: string; params: Record<string, unknown>; validationScore: number }[];
  /** Permutation importance on the validation split, by input column (EXPLAIN_MODEL). */
  featureImportance: { feature: string; importance: number }[];
}
