// breast_cancer (binary): AUTO ON must come within 1 point of scikit-learn's best accuracy (MLP 0.986).
import { expect, it } from 'vitest';
import { HAVE_DATASETS } from '../csv.ts';
import { evaluate, report } from './evaluate.ts';

it.skipIf(!HAVE_DATASETS)('breast_cancer: accuracy within 1 point of scikit-learn', async () => {
  const e = await evaluate('breast_cancer', 'malignant');
  report('breast_cancer', e);
  expect(e.model.problemType).toBe('BINARY_CLASSIFICATION');
  expect(e.accuracy!).toBeGreaterThanOrEqual(0.986 - 0.01);
}, 120_000);
