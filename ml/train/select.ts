// Model selection: score each candidate on the validation folds, then pick by the objective (simplest within noise).
import type { FitContext, FitData } from './backend.ts';
import type { Candidate } from './candidates.ts';
import { type Objective, loss, score } from './metrics.ts';
import { stoppingSplit } from './split.ts';

/** Train/validation matrices of one fold. */
export interface FoldData { train: FitData; valid: FitData }

/** A candidate's validation result: score, its standard error, mean loss, iterations, and the first fold's model. */
export interface Evaluated { cand: Candidate; score: number; se: number; loss: number; iterations: number; first: unknown }

/**
 * Picks the simplest candidate (candidates are listed simplest first) whose score is within half a
 * standard error of the best: a small win on a noisy validation set does not justify a more complex model.
 */
export function choose(results: Evaluated[], higher: boolean): Evaluated {
  const sign = higher ? 1 : -1;
  let best = results[0];
  for (const r of results) {
    const d = sign * (r.score - best.score);
    if (d > 1e-12 || (Math.abs(d) <= 1e-12 && r.loss < best.loss)) best = r;
  }
  const bar = best.score - sign * SE_FACTOR * best.se;
  return results.find((r) => sign * (r.score - bar) >= -1e-12) ?? best;
}

/**
 * A single holdout split with up to this many training rows refits a candidate that stopped early
 * on all of them (the stopping set's sixth matters on small data; beyond, the second fit is not
 * worth its time; k-fold cross-validation already fits k times and skips it).
 */
export const FOLD_REFIT_MAX_ROWS = 10_000;

/** How many standard errors a simpler model may trail the best one by. */
const SE_FACTOR = 0.5;

/** Scores of 5 interleaved chunks of one validation set (for a standard error when there is a single split). */
function chunkScores(o: Objective, out: Float64Array, y: Float64Array, k: number): number[] {
  const w = out.length / y.length;
  const parts: number[] = [];
  for (let c = 0; c < 5; c++) {
    const rows: number[] = [];
    for (let i = c; i < y.length; i += 5) rows.push(i);
    if (rows.length === 0) continue;
    const po = new Float64Array(rows.length * w);
    rows.forEach((r, i) => po.set(out.subarray(r * w, (r + 1) * w), i * w));
    parts.push(score(o, po, Float64Array.from(rows, (r) => y[r]), k));
  }
  return parts;
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

function stdErr(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1) / a.length);
}

/**
 * Trains a candidate on every fold and scores it on the held-out rows. A candidate that stops early
 * stops on a sixth of the fold's training rows: stopping on the scored rows would pick the epoch
 * that suits them and flatter it against candidates that do not stop early.
 */
export async function evaluate(cand: Candidate, folds: FoldData[], obj: Objective, classes: number, ctx: (fold: number, valid: FitData | undefined) => FitContext, seed = 0): Promise<Evaluated> {
  const scores: number[] = [];
  let ls = 0, it = 0, first: unknown = null;
  const stops = cand.backend.stopsEarly?.(cand.params) ?? true;
  for (const [fi, f] of folds.entries()) {
    const { train, stop } = stops ? stoppingSplit(f.train, classes > 0, seed + fi) : { train: f.train, stop: undefined };
    let fitted = await cand.backend.fit(train, cand.params, ctx(fi, stop));
    // a single holdout on small data: then all of its training rows for the epochs/rounds the stopping set chose
    if (stop && folds.length === 1 && f.train.rows <= FOLD_REFIT_MAX_ROWS) fitted = { ...(await cand.backend.fit(f.train, cand.params, ctx(fi, undefined), fitted.iterations)), iterations: fitted.iterations };
    const out = cand.backend.predict(fitted.model, f.valid.x, f.valid.rows);
    scores.push(...(folds.length > 1 ? [score(obj, out, f.valid.y, classes)] : chunkScores(obj, out, f.valid.y, classes)));
    ls += loss(out, f.valid.y, classes); it += fitted.iterations;
    first ??= fitted.model;
  }
  const whole = folds.length > 1 ? mean(scores) : score(obj, cand.backend.predict(first, folds[0].valid.x, folds[0].valid.rows), folds[0].valid.y, classes);
  return { cand, score: whole, se: stdErr(scores), loss: ls / folds.length, iterations: Math.max(1, Math.round(it / folds.length)), first };
}
