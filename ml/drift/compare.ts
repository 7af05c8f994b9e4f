// Compares new rows with a training profile: PSI for every column (bins for numbers, categories
// for text, NULL as a bin of its own), KS for numbers, and the OK / DRIFTED verdicts per column
// and overall against the monitor's thresholds.
import type { Vector } from '../../engine/types/vector.ts';
import { type ColumnProfile, binCounts, profileLabels, sortedNumbers } from './profile.ts';
import { ks2samp, psi } from './stats.ts';

/** When a column, and the whole model, count as drifted. */
export interface DriftThresholds {
  /** a column drifts when its PSI is above this */
  psi: number;
  /** ... or when KS rejects equality below this p-value */
  ksPValue: number;
  /** ... with a KS statistic at least this large (so huge samples do not flag negligible shifts) */
  ksStatistic: number;
  /** the model drifts when its predictions drift or at least this share of its features does */
  share: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { psi: 0.2, ksPValue: 0.05, ksStatistic: 0.1, share: 0.5 };

export type DriftState = 'OK' | 'DRIFTED';

export interface ColumnDrift {
  /** a feature's name, or '(prediction)' */
  column: string;
  kind: 'number' | 'text';
  rows: number;
  psi: number;
  /** numbers only */
  ks?: number;
  ksPValue?: number;
  state: DriftState;
}

/** The name the prediction's row carries in a comparison. */
export const PREDICTION = '(prediction)';

/** PSI (and KS for numbers) of new values `v` against the training profile `p`. */
export function compareColumn(column: string, p: ColumnProfile, v: Vector, t: DriftThresholds): ColumnDrift {
  if (p.kind === 'text') {
    const now = profileLabels(v);
    const seen = new Map(now.categories.map((c) => [c.value, c.count]));
    const expected = [...p.categories.map((c) => c.count), p.other, p.nulls];
    const kept = p.categories.map((c) => seen.get(c.value) ?? 0);
    const actual = [...kept, now.rows - now.nulls - kept.reduce((s, c) => s + c, 0), now.nulls];
    const x = psi(expected, actual);
    return { column, kind: 'text', rows: v.length, psi: x, state: x > t.psi ? 'DRIFTED' : 'OK' };
  }
  const sorted = sortedNumbers(v);
  const expected = [...p.counts, p.nulls];
  const actual = [...binCounts(p.edges, sorted), v.length - sorted.length];
  const x = psi(expected, actual);
  const ks = ks2samp(p.sample, sorted);
  const drifted = x > t.psi || (ks.pValue < t.ksPValue && ks.statistic >= t.ksStatistic);
  return { column, kind: 'number', rows: v.length, psi: x, ks: ks.statistic, ksPValue: ks.pValue, state: drifted ? 'DRIFTED' : 'OK' };
}

/** The model's verdict: DRIFTED when its predictions drift or enough of its features do. */
export function overallState(features: ColumnDrift[], prediction: ColumnDrift | null, t: DriftThresholds): DriftState {
  if (prediction?.state === 'DRIFTED') return 'DRIFTED';
  if (features.length === 0) return 'OK';
  const drifted = features.filter((f) => f.state === 'DRIFTED').length;
  return drifted > 0 && drifted / features.length >= t.share ? 'DRIFTED' : 'OK';
}
