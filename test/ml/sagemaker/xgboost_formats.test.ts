// XGBoost's three model formats (JSON, UBJSON, legacy binary), saved by xgboost 1.7.4 itself
// (fixtures/make_xgboost_models.py), parse to the same model, and the imported trees (in memory and
// compiled to ONNX) predict what xgboost predicted on rows with NaNs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { T } from '../../../engine/types/types.ts';
import type { Vector } from '../../../engine/types/vector.ts';
import { Predictor } from '../../../ml/index.ts';
import { compileModel } from '../../../ml/onnx/compile.ts';
import type { FittedPrep } from '../../../ml/prep/plan.ts';
import { decodeUbjson } from '../../../ml/sagemaker/ubjson.ts';
import { parseXgboostModel, toTreeModel, xgbMargins, xgboostFormat } from '../../../ml/sagemaker/xgboost.ts';
import { applyHead, gbt } from '../../../ml/train/gbt.ts';

const dir = new URL('./fixtures/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const expected = JSON.parse(readFileSync(new URL('xgboost_expected.json', dir), 'utf8')) as {
  rows: number; cols: number; x: (number | null)[][];
  models: Record<string, { objective: string; margin: number[] | number[][]; predict: number[] | number[][] }>;
};
const { rows, cols } = expected;
const x = Float32Array.from(expected.x.flat(), (v) => (v === null ? NaN : v));

function identityPrep(): FittedPrep {
  const idx = Array.from({ length: cols }, (_, i) => i);
  return {
    inputs: idx.map((i) => ({ name: `f${i}`, type: T.double })),
    affine: { cols: idx, impute: idx.map(() => NaN), offset: idx.map(() => 0), scale: idx.map(() => 1) },
    normalized: [], categorical: [], dropped: [], features: idx.map((i) => `f${i}`),
  };
}

function args(): Vector[] {
  return Array.from({ length: cols }, (_, j) => {
    const values = Float64Array.from({ length: rows }, (_, r) => x[r * cols + j]);
    return { type: T.double, length: rows, values, valid: Uint8Array.from(values, (v) => (Number.isNaN(v) ? 0 : 1)) };
  });
}

const close = (got: ArrayLike<number>, want: number[], tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `at ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(want[i])));
};

describe('XGBoost model formats against xgboost 1.7.4 predictions', () => {
  for (const [name, exp] of Object.entries(expected.models)) {
    it(`${name} (${exp.objective}): JSON, UBJSON and binary agree with xgboost`, async () => {
      const formats = { json: file(`${name}.json`), ubjson: file(`${name}.ubj`), binary: file(`${name}.bin`) };
      const models = Object.entries(formats).map(([f, bytes]) => {
        expect(xgboostFormat(bytes)).toBe(f);
        return parseXgboostModel(bytes, `${name}.${f}`);
      });
      // The same trees whatever the format (binary keeps gains as float32, like the others).
      for (const m of models.slice(1)) {
        expect(m.base).toEqual(models[0].base);
        expect(m.treeOutput).toEqual(models[0].treeOutput);
        expect(m.weights.map(Math.fround)).toEqual(models[0].weights.map(Math.fround));
        expect(m.trees.length).toBe(models[0].trees.length);
        m.trees.forEach((t, i) => { expect(Array.from(t.cond)).toEqual(Array.from(models[0].trees[i].cond)); expect(Array.from(t.left)).toEqual(Array.from(models[0].trees[i].left)); });
      }
      const margin = exp.margin.flat(), predict = exp.predict.flat();
      // Probability heads give [1 - p, p] per row for binary:logistic, one probability per class for multi:softprob.
      const want = exp.objective === 'binary:logistic' ? predict.flatMap((q) => [1 - q, q]) : predict;
      for (const m of models) {
        close(xgbMargins(m, x, rows, cols), margin, 1e-5);
        close(gbt.predict(toTreeModel(m), x, rows), want, 1e-5);
        close(applyHead(m.head, xgbMargins(m, x, rows, cols), rows, m.outputs), want, 1e-5);
      }
      // ONNX (the binary file, as SageMaker's container saves it) predicts what xgboost did.
      const m = models[2];
      const labels = m.head === 'softmax' ? ['a', 'b', 'c'] : m.head === 'sigmoid' ? ['no', 'yes'] : undefined;
      const onnx = compileModel({ prep: identityPrep(), model: toTreeModel(m), labels, outputType: labels ? T.varchar : T.double, problemType: labels ? 'CLASSIFICATION' : 'REGRESSION', modelType: 'XGBOOST' });
      const p = await Predictor.create(onnx);
      try {
        if (!labels) close((await p.predict(args(), rows)).values as Float64Array, predict, 1e-5);
        else {
          const { probs } = await p.predictProba(args(), rows);
          close(probs, want, 1e-5);
        }
      } finally { await p.release(); }
    });
  }
});

describe('XGBoost model format errors', () => {
  const reg = file('reg.bin');
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated binary', reg.subarray(0, reg.length >> 1), /not a valid binary XGBoost model \(binary model: .* at byte \d+\)/],
    ['binary with a huge string length', (() => { const b = reg.slice(); new DataView(b.buffer).setBigUint64(4 + 136, 1n << 40n, true); return b; })(), /length \d+ exceeds the file/],
    ['truncated UBJSON', file('reg.ubj').subarray(0, 500), /not a valid UBJSON XGBoost model \(UBJSON: truncated/],
    ['pickle', Uint8Array.from([0x80, 4, 0x95, 0, 0]), /pickled Python object/],
    ['gblinear (binary)', (() => {
      const b = reg.slice(0, 4 + 136 + 8 + 16 + 8 + 6);
      b.set(new TextEncoder().encode('gbline'), b.length - 6);
      return b;
    })(), /booster 'gbline'/],
  ];
  for (const [name, bytes, msg] of cases) it(name, () => { expect(() => parseXgboostModel(bytes, 'm')).toThrow(msg); });

  it('UBJSON: typed containers, no-op padding, and trailing bytes', () => {
    // {"a": [$l#i2 1 2], "b": N "S" "x"}
    const b = Uint8Array.from([0x7b, 0x69, 1, 0x61, 0x5b, 0x24, 0x6c, 0x23, 0x69, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x69, 1, 0x62, 0x4e, 0x53, 0x69, 1, 0x78, 0x7d]);
    expect({ ...(decodeUbjson(b) as object) }).toEqual({ a: [1, 2], b: 'x' });
    expect(() => decodeUbjson(Uint8Array.from([...b, 0x5a]))).toThrow(/1 unexpected bytes after the value/);
    expect(() => decodeUbjson(Uint8Array.from([0x5b, 0x24, 0x6c, 0x5d]))).toThrow(/typed container needs a count/);
    expect(() => decodeUbjson(new Uint8Array(200).fill(0x5b))).toThrow(/nested deeper than 64/);
  });
});
