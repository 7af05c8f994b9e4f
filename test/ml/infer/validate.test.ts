// Bring-your-own models: the fixtures in models/ validate against their signatures and predict as expected.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type SqlType, resolveTypeName } from '../../../engine/types/types.ts';
import { stringVector, type Vector } from '../../../engine/types/vector.ts';
import { Predictor, trainModel, validateExternalModel } from '../../../ml/index.ts';
import { labelAt } from '../../../ml/util/values.ts';
import { synth } from '../synth.ts';

const dir = new URL('../../../models/', import.meta.url).pathname;
const fixtures = JSON.parse(readFileSync(`${dir}fixtures.json`, 'utf8')) as Record<string, { file: string; args: string[]; returns: string; inputs: (number | string)[][]; expected: (number | string)[] }>;
const type = (name: string) => resolveTypeName(name)!;
const load = (file: string) => new Uint8Array(readFileSync(`${dir}${file}`));

function vector(t: SqlType, xs: (number | string)[]): Vector {
  if (t.id === 'VARCHAR') return stringVector(t, xs as string[]);
  return { type: t, length: xs.length, values: Float32Array.from(xs as number[]), valid: null };
}

describe('bring your own model', () => {
  for (const [name, f] of Object.entries(fixtures)) {
    it(`${name}: validates against (${f.args.join(', ')}) RETURNS ${f.returns} and predicts the expected values`, async () => {
      const bytes = load(f.file);
      const args = f.args.map(type), ret = type(f.returns);
      await validateExternalModel(bytes, args, ret);
      const p = await Predictor.create(bytes, { outputType: ret });
      const n = f.expected.length;
      const out = await p.predict(f.inputs.map((xs, j) => vector(args[j], xs)), n);
      const got = Array.from({ length: n }, (_, i) => labelAt(out, i));
      if (typeof f.expected[0] === 'number') got.forEach((g, i) => expect(g as number).toBeCloseTo(f.expected[i] as number, 5));
      else expect(got).toEqual(f.expected);
      await p.release();
    });
  }

  it('exposes probabilities of a brought classifier with index labels', async () => {
    const p = await Predictor.create(load('matrix_classifier.onnx'), { outputType: type('INTEGER') });
    const xs = fixtures.matrix_classifier.inputs.map((v) => vector(type('REAL'), v));
    const { labels, probs } = await p.predictProba(xs, 5);
    expect(labels).toEqual([0, 1]);
    expect(probs[3]).toBeGreaterThan(0.99); // row 1: x1 + x2 = 2
    await p.release();
  });

  const mismatches: [string, string, string[], string, RegExp][] = [
    ['too few arguments', 'linear_regressor.onnx', ['REAL'], 'REAL', /2 input\(s\) \(x1, x2\), but the function declares 1/],
    ['text for a number', 'linear_regressor.onnx', ['VARCHAR', 'REAL'], 'REAL', /argument 1 \(VARCHAR\).*a number needs a numeric input|text needs a string input/],
    ['text return from a number', 'linear_regressor.onnx', ['REAL', 'REAL'], 'VARCHAR', /float32, which cannot be returned as VARCHAR/],
    ['matrix width', 'matrix_classifier.onnx', ['REAL', 'REAL', 'REAL'], 'INTEGER', /one input 'float_input' of 2 features, but the function declares 3/],
    ['text into a matrix', 'matrix_classifier.onnx', ['REAL', 'VARCHAR'], 'INTEGER', /argument 2 is VARCHAR/],
    ['number for text', 'text_classifier.onnx', ['REAL', 'REAL'], 'VARCHAR', /text needs a string input|a number needs a numeric input/],
  ];
  for (const [what, file, args, ret, msg] of mismatches) {
    it(`rejects ${what}`, async () => {
      await expect(validateExternalModel(load(file), args.map(type), type(ret))).rejects.toThrow(msg);
      await expect(validateExternalModel(load(file), args.map(type), type(ret))).rejects.toMatchObject({ code: 'DATATYPE_MISMATCH' });
    });
  }

  it('rejects bytes that are not an ONNX model', async () => {
    await expect(validateExternalModel(new Uint8Array([1, 2, 3, 4]), [type('REAL')], type('REAL'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER', message: expect.stringMatching(/not a valid ONNX model/) });
  });

  it('accepts a Strata-trained model with its own signature', async () => {
    const m = await trainModel(synth(200, 'binary'), { target: 'y', modelType: 'LINEAR_LEARNER', auto: false, hyperparameters: { epochs: '5' }, settings: {} });
    await validateExternalModel(m.onnx, m.inputs.map((i) => i.type), m.outputType);
  }, 30_000);
});
