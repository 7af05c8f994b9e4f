// Permutation importance (EXPLAIN_MODEL): how much the validation score drops when one input column is shuffled.
import { gather, type Vector } from '../../engine/types/vector.ts';
import { applyPrep } from '../prep/apply.ts';
import type { FittedPrep } from '../prep/plan.ts';
import { Rng, range } from '../util/rng.ts';
import type { Backend } from './backend.ts';
import { type Objective, higherIsBetter, score } from './metrics.ts';

/** Importance per input column: score drop (positive = the model relies on it); dropped columns get 0. */
export function permutationImportance(
  prep: FittedPrep, backend: Backend<any>, model: unknown, inputs: Vector[], y: Float64Array,
  objective: Objective, classes: number, seed: number,
): { feature: string; importance: number }[] {
  const rows = y.length;
  const evaluate = (vs: Vector[]) => {
    const m = applyPrep(prep, vs, rows);
    return score(objective, backend.predict(model, m.data, rows), y, classes);
  };
  const base = evaluate(inputs);
  const sign = higherIsBetter(objective) ? 1 : -1;
  const dropped = new Set(prep.dropped.map((d) => d.name));
  const rng = new Rng(seed ^ 0x1397);
  const out = prep.inputs.map((c, i) => {
    if (dropped.has(c.name)) return { feature: c.name, importance: 0 };
    const perm = rng.shuffle(range(rows));
    const shuffled = inputs.slice();
    shuffled[i] = gather(inputs[i], Uint32Array.from(perm), rows);
    return { feature: c.name, importance: sign * (base - evaluate(shuffled)) };
  });
  return out.sort((a, b) => b.importance - a.importance);
}
