// diabetes (regression): AUTO ON must come within 1 point of scikit-learn's best R² (ridge 0.5049).
import { expect, it } from 'vitest';
import { HAVE_DATASETS } from '../csv.ts';
import { evaluate, report } from './evaluate.ts';

it.skipIf(!HAVE_DATASETS)('diabetes: R² within 1 point of scikit-learn', async () => {
  const e = await evaluate('diabetes', 'progression');
  report('diabetes', e);
  expect(e.model.problemType).toBe('REGRESSION');
  expect(e.r2!).toBeGreaterThanOrEqual(0.5049 - 0.01);
}, 120_000);
