// A seeded sample of the training snapshot's feature rows, kept in the compiled graph: KernelSHAP's
// background (what "a feature absent" averages over) and EXPLAIN_MODEL's rows for mean |SHAP|.
import type { Vector } from '../../engine/types/vector.ts';
import { featureKind, readNumbers, readTexts } from '../util/values.ts';
import { Rng, range } from '../util/rng.ts';
import type { TrainingColumn } from '../types.ts';

/** Rows kept: enough for a stable mean |SHAP|, small enough to ride in the graph's metadata. */
export const BACKGROUND_ROWS = 200;

/** Up to BACKGROUND_ROWS rows in feed space: numbers (null for NULL) and text ('' for NULL), argument order. */
export function sampleBackground(features: TrainingColumn[], rows: number, seed: number): (number | string | null)[][] {
  const pick = new Rng(seed ^ 0x5ba9).shuffle(range(rows)).slice(0, Math.min(rows, BACKGROUND_ROWS)).sort();
  const out = Array.from(pick, () => new Array<number | string | null>(features.length));
  const num = new Float64Array(1), text = [''];
  features.forEach((c, j) => {
    const v: Vector = c.vector;
    pick.forEach((r, i) => {
      if (featureKind(c.type) === 'text') { readTexts(v, r, 1, text); out[i][j] = text[0]; }
      else { readNumbers(v, r, 1, num); out[i][j] = Number.isFinite(num[0]) ? num[0] : null; }
    });
  });
  return out;
}
