// Quality through SQL: COPY each examples/data/*_train.csv, CREATE MODEL with AUTO ON and
// defaults, score the prediction function on *_test.csv in SQL; within 1 point of the best
// scikit-learn score in the datasets' README. Fixed seeds (the default SEED). This is the one
// dataset quality test: CREATE MODEL trains with the same trainModel, on the same rows, as the
// library (the per-dataset library tests it replaced reported the very same models and scores).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, HAVE_DATASETS } from '../csv.ts';
import { type TestDb, openDb } from './helpers.ts';
import { underLoad } from '../../support/deadline.ts';

interface Dataset { name: string; target: string; types: Record<string, string>; metric: 'accuracy' | 'r2' | 'accuracy+f1'; best: number[]; problem: string }

const DATASETS_UNDER_TEST: Dataset[] = [
  { name: 'iris', target: 'species', types: { species: 'INTEGER' }, metric: 'accuracy', best: [0.9737], problem: 'MULTICLASS_CLASSIFICATION' },
  { name: 'breast_cancer', target: 'malignant', types: { malignant: 'INTEGER' }, metric: 'accuracy', best: [0.986], problem: 'BINARY_CLASSIFICATION' },
  { name: 'diabetes', target: 'progression', types: {}, metric: 'r2', best: [0.5049], problem: 'REGRESSION' },
  {
    name: 'churn', target: 'churned', metric: 'accuracy+f1', best: [0.8376, 0.7198], problem: 'BINARY_CLASSIFICATION',
    types: { customer_id: 'INTEGER', plan: 'VARCHAR(20)', region: 'VARCHAR(20)', tenure_months: 'INTEGER', support_calls: 'INTEGER', autopay: 'BOOLEAN', churned: 'INTEGER' },
  },
];

let t: TestDb;
beforeAll(async () => {
  if (!HAVE_DATASETS) return;
  t = await openDb({ slices: 2 });
  await t.s.execute('SET ml_wait_for_training TO on');
});
afterAll(async () => { await t?.close(); });

/** Loads a dataset's two splits with COPY; returns the feature column list. */
async function load(d: Dataset): Promise<string[]> {
  const header = readFileSync(`${DATASETS}/${d.name}_train.csv`, 'utf8').split('\n')[0].trim().split(',');
  const cols = header.map((c) => `${c} ${d.types[c] ?? 'DOUBLE PRECISION'}`).join(', ');
  for (const split of ['train', 'test']) {
    await t.s.execute(`CREATE TABLE ${d.name}_${split} (${cols});
      COPY ${d.name}_${split} FROM '${DATASETS}/${d.name}_${split}.csv' FORMAT CSV IGNOREHEADER 1`);
  }
  return header.filter((c) => c !== d.target);
}

describe.skipIf(!HAVE_DATASETS)('datasets through SQL (AUTO ON, defaults)', () => {
  for (const d of DATASETS_UNDER_TEST) {
    it(`${d.name}: within 1 point of scikit-learn's best (${d.best.join(' / ')})`, async () => {
      const features = await load(d);
      const t0 = Date.now();
      await t.s.execute(`CREATE MODEL ${d.name}_model FROM ${d.name}_train TARGET ${d.target} FUNCTION predict_${d.name}`);
      const seconds = (Date.now() - t0) / 1000;
      const m = await t.show(`${d.name}_model`);
      expect(m['Model State']).toBe('READY');
      expect(m['Problem Type']).toBe(d.problem);
      // the prediction function returns the target column's type
      expect(m['Function Return Type']).toBe(d.types[d.target] ?? 'DOUBLE PRECISION');
      const call = `predict_${d.name}(${features.join(', ')})`;
      const y = d.target;
      let scores: number[];
      if (d.metric === 'r2') {
        const [[r2]] = await t.rows(`SELECT 1 - sum((${y} - p) * (${y} - p)) / sum((${y} - m) * (${y} - m))
          FROM (SELECT ${y}, ${call} AS p FROM ${d.name}_test) a CROSS JOIN (SELECT avg(${y}) AS m FROM ${d.name}_test) b`);
        scores = [Number(r2)];
      } else {
        const [[acc, tp, fp, fn]] = await t.rows(`SELECT avg(CASE WHEN p = ${y} THEN 1.0 ELSE 0.0 END::FLOAT),
          sum(CASE WHEN p = 1 AND ${y} = 1 THEN 1 ELSE 0 END), sum(CASE WHEN p = 1 AND ${y} <> 1 THEN 1 ELSE 0 END),
          sum(CASE WHEN p <> 1 AND ${y} = 1 THEN 1 ELSE 0 END)
          FROM (SELECT ${y}, ${call} AS p FROM ${d.name}_test) s`);
        const f1 = (2 * Number(tp)) / (2 * Number(tp) + Number(fp) + Number(fn));
        scores = d.metric === 'accuracy' ? [Number(acc)] : [Number(acc), f1];
      }
      console.log(`[ml/sql] ${d.name}: ${d.metric} ${scores.map((s) => s.toFixed(4)).join(' / ')} (scikit-learn best ${d.best.join(' / ')}); ${m['Model Type']}, validation ${m['Validation Score']}, CREATE MODEL ${seconds.toFixed(1)} s`);
      scores.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(d.best[i] - 0.01));
      if (d.name === 'churn') {
        // AUTO trains churn in under a minute (on a machine busier than its cores, proportionally more)
        expect(seconds).toBeLessThan(underLoad(60_000) / 1000);
        expect(m.Preprocessing).toMatch(/customer_id: dropped/);
        // permutation importance on held-out rows: the strongest feature matters
        const importance = new Map((await t.rows(`SELECT EXPLAIN_MODEL(churn_model)`)).map((r) => [String(r[0]), Number(r[1])]));
        expect(Math.max(...importance.values())).toBeGreaterThan(0);
      }
    }, 180_000);
  }
});
