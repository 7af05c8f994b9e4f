// churn (binary, mixed types, NULLs, an id column): within 1 point of scikit-learn's best accuracy and F1 (logistic 0.8376 / 0.7198).
import { expect, it } from 'vitest';
import { HAVE_DATASETS } from '../csv.ts';
import { evaluate, report } from './evaluate.ts';

it.skipIf(!HAVE_DATASETS)('churn: accuracy and F1 within 1 point of scikit-learn; AUTO under 60 s', async () => {
  const e = await evaluate('churn', 'churned');
  report('churn', e);
  const prep = e.model.preprocessing as { dropped: { name: string }[] };
  expect(prep.dropped.map((d) => d.name)).toContain('customer_id');
  expect(e.accuracy!).toBeGreaterThanOrEqual(0.8376 - 0.01);
  expect(e.f1!).toBeGreaterThanOrEqual(0.7198 - 0.01);
  expect(e.seconds).toBeLessThan(60);
  expect(e.model.featureImportance[0].importance).toBeGreaterThan(0);
}, 180_000);
