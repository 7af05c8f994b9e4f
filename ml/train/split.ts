// Row selection: MAX_CELLS downsampling and BigQuery-ML-style AUTO_SPLIT into train/validation.
import { Rng, range } from '../util/rng.ts';
import type { FitData } from './backend.ts';

/** Redshift's MAX_CELLS default. */
export const DEFAULT_MAX_CELLS = 1_000_000;

/** Rows to keep so rows × columns <= maxCells: a seeded random subset in original order, or null to keep all. */
export function sampleForCells(rows: number, columns: number, maxCells: number, seed: number): Int32Array | null {
  if (rows * columns <= maxCells) return null;
  const keep = Math.max(1, Math.floor(maxCells / Math.max(1, columns)));
  return new Rng(seed ^ 0x5eed).shuffle(range(rows)).slice(0, keep).sort();
}

/** One train/validation split of row indices. */
export interface Fold { train: Int32Array; valid: Int32Array }

/**
 * AUTO_SPLIT: under 500 rows every row is needed for training, so candidates are compared by
 * 5-fold cross-validation; up to 50,000 rows 20% is held out; beyond that 10,000 rows.
 * Classification splits are stratified by class.
 */
export function autoSplit(rows: number, classes: Float64Array | null, seed: number): Fold[] {
  const rng = new Rng(seed ^ 0x5b1e);
  const order = stratifiedOrder(rows, classes, rng);
  if (rows < 500) {
    const k = rows >= 50 ? 5 : 3;
    const folds: Fold[] = [];
    for (let f = 0; f < k; f++) {
      const valid: number[] = [], train: number[] = [];
      order.forEach((r, i) => (i % k === f ? valid : train).push(r));
      folds.push({ train: Int32Array.from(train).sort(), valid: Int32Array.from(valid).sort() });
    }
    return folds;
  }
  const nValid = rows <= 50_000 ? Math.round(rows * 0.2) : 10_000;
  const every = rows / nValid;
  const valid: number[] = [], train: number[] = [];
  let next = 0;
  order.forEach((r, i) => { if (i >= next && valid.length < nValid) { valid.push(r); next += every; } else train.push(r); });
  return [{ train: Int32Array.from(train).sort(), valid: Int32Array.from(valid).sort() }];
}

/** A shuffled order in which every class appears evenly spread (so taking every k-th row stratifies). */
function stratifiedOrder(rows: number, classes: Float64Array | null, rng: Rng): Int32Array {
  const perm = rng.shuffle(range(rows));
  if (!classes) return perm;
  const key = new Float64Array(rows);
  const seen = new Map<number, number>(), size = new Map<number, number>();
  for (const r of perm) size.set(classes[r], (size.get(classes[r]) ?? 0) + 1);
  for (const r of perm) {
    const c = classes[r], i = seen.get(c) ?? 0;
    seen.set(c, i + 1);
    key[r] = (i + rng.next()) / size.get(c)!;
  }
  return perm.sort((a, b) => key[a] - key[b]);
}

/** Rows under which a fold's training rows are not split for early stopping (it then runs its full course). */
const MIN_STOPPING_ROWS = 30;

/**
 * Splits a fold's training rows into rows to fit and a stopping set (every sixth row of a seeded,
 * class-stratified order) for candidates that stop early.
 */
export function stoppingSplit(d: FitData, classification: boolean, seed: number): { train: FitData; stop: FitData | undefined } {
  if (d.rows < MIN_STOPPING_ROWS) return { train: d, stop: undefined };
  const order = stratifiedOrder(d.rows, classification ? d.y : null, new Rng(seed ^ 0x570b));
  const fit: number[] = [], stop: number[] = [];
  order.forEach((r, i) => (i % 6 === 5 ? stop : fit).push(r));
  return { train: subset(d, Int32Array.from(fit).sort()), stop: subset(d, Int32Array.from(stop).sort()) };
}

/** The rows `idx` of a feature matrix and target. */
export function subset(d: FitData, idx: Int32Array): FitData {
  const x = new Float32Array(idx.length * d.cols);
  for (let i = 0; i < idx.length; i++) x.set(d.x.subarray(idx[i] * d.cols, (idx[i] + 1) * d.cols), i * d.cols);
  const y = d.y.length ? Float64Array.from(idx, (r) => d.y[r]) : d.y;
  return { x, rows: idx.length, cols: d.cols, y };
}
