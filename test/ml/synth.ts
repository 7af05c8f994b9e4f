// Synthetic mixed-type training data for the ML tests: numbers with NULLs, text with NULLs, booleans, an id column.
import { T } from '../../engine/types/types.ts';
import { stringVector, type Vector } from '../../engine/types/vector.ts';
import type { TrainingColumn } from '../../ml/index.ts';
import { Rng } from '../../ml/util/rng.ts';

export type SynthTarget = 'regression' | 'binary' | 'multiclass';

/** n rows: id, a (DOUBLE, NULLs), b (INTEGER), c (VARCHAR, NULLs), d (BOOLEAN), and target y. */
export function synth(n: number, kind: SynthTarget, seed = 1): TrainingColumn[] {
  const rng = new Rng(seed);
  const id = new Int32Array(n), a = new Float64Array(n), b = new Int32Array(n), d = new Uint8Array(n);
  const aValid = new Uint8Array(n).fill(1);
  const c: (string | null)[] = [];
  const yNum = new Float64Array(n);
  const yText: string[] = [];
  const cats = ['red', 'green', 'blue'];
  for (let i = 0; i < n; i++) {
    id[i] = 1000 + i;
    a[i] = rng.normal() * 3 + 10;
    if (rng.next() < 0.1) aValid[i] = 0;
    b[i] = rng.int(50);
    const ci = rng.int(3);
    c.push(rng.next() < 0.1 ? null : cats[ci]);
    d[i] = rng.next() < 0.4 ? 1 : 0;
    const av = aValid[i] ? a[i] : 10;
    const z = 0.8 * (av - 10) - 0.05 * (b[i] - 25) + [1, -1, 0.3][ci] + (d[i] ? 0.7 : 0) + rng.normal() * 0.5;
    yNum[i] = kind === 'regression' ? 3 * z + 50 : z > 0 ? 1 : 0;
    yText.push(z < -0.8 ? 'low' : z < 0.8 ? 'mid' : 'high');
  }
  const col = (name: string, type = T.double, vector: Vector): TrainingColumn => ({ name, type, vector });
  const cols = [
    col('id', T.int, { type: T.int, length: n, values: id, valid: null }),
    col('a', T.double, { type: T.double, length: n, values: a, valid: aValid }),
    col('b', T.int, { type: T.int, length: n, values: b, valid: null }),
    col('c', T.varchar, stringVector(T.varchar, c)),
    col('d', T.bool, { type: T.bool, length: n, values: d, valid: null }),
  ];
  if (kind === 'multiclass') cols.push(col('y', T.varchar, stringVector(T.varchar, yText)));
  else if (kind === 'binary') cols.push(col('y', T.int, { type: T.int, length: n, values: Int32Array.from(yNum), valid: null }));
  else cols.push(col('y', T.double, { type: T.double, length: n, values: yNum, valid: null }));
  return cols;
}

/** The feature vectors (everything but the target), in column order. */
export function featureVectors(cols: TrainingColumn[], target = 'y'): Vector[] {
  return cols.filter((c) => c.name !== target).map((c) => c.vector);
}
