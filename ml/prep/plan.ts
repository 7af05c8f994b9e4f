// The preprocessing plan (what to do per column) and its fitted form (the learned parameters).
import type { SqlType } from '../../engine/types/types.ts';

/** Affine numeric steps, applied in order after mean imputation. */
export type NumericStep = 'standard' | 'minmax';

/** What to do with a set of columns, before fitting. */
export type ColumnPlan =
  | { kind: 'numeric'; columns: string[]; steps: NumericStep[]; normalize: boolean }
  | { kind: 'onehot' | 'ordinal'; column: string; imputeMode: boolean };

export interface PrepPlan { groups: ColumnPlan[]; dropped: { name: string; reason: string }[] }

/** Numeric columns after imputation: y = (x - offset) * scale, float32 parameters. */
export interface AffineBlock { cols: number[]; impute: number[]; offset: number[]; scale: number[] }

/** A categorical column: one-hot (unknown -> all zeros) or ordinal (unknown -> -1). */
export interface CategoricalBlock {
  input: number;
  encoding: 'onehot' | 'ordinal';
  text: boolean;
  categories: (string | number)[];
  /** Replaces missing values (NULL text '' or NaN numbers) before encoding, if set. */
  fill?: string | number;
}

/** Learned preprocessing: maps the input columns to one float32 feature matrix, in the ONNX graph's order. */
export interface FittedPrep {
  /** Every feature column (the prediction function's arguments), dropped ones included. */
  inputs: { name: string; type: SqlType }[];
  affine: AffineBlock | null;
  /** Row-wise L2-normalized groups (after their own imputation and scaling). */
  normalized: AffineBlock[];
  categorical: CategoricalBlock[];
  dropped: { name: string; reason: string }[];
  /** Output feature names in matrix column order. */
  features: string[];
}
