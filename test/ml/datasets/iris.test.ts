// iris (multiclass): AUTO ON must come within 1 point of scikit-learn's best accuracy (0.9737).
import { expect, it } from 'vitest';
import { HAVE_DATASETS } from '../csv.ts';
import { evaluate, report } from './evaluate.ts';

it.skipIf(!HAVE_DATASETS)('iris: accuracy within 1 point of scikit-learn', async () => {
  const e = await evaluate('iris', 'species');
  report('iris', e);
  expect(e.model.problemType).toBe('MULTICLASS_CLASSIFICATION');
  expect(e.model.outputType.id).toBe('DOUBLE PRECISION');
  expect(e.accuracy!).toBeGreaterThanOrEqual(0.9737 - 0.01);
}, 120_000);
