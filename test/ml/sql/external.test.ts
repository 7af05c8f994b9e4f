// Bring your own model: every ONNX fixture in models/ registered with CREATE MODEL ... FROM 'file'
// and run through SQL must give its expected outputs; bad signatures and files fail clearly.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDb, openDb } from './helpers.ts';

interface Fixture { file: string; args: string[]; returns: string; inputs: (number | string)[][]; expected: (number | string)[] }

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const fixtures = JSON.parse(readFileSync(`${MODELS}fixtures.json`, 'utf8')) as Record<string, Fixture>;
const lit = (v: number | string) => (typeof v === 'string' ? `'${v}'` : String(v));

let t: TestDb;
beforeAll(async () => { t = await openDb(); });
afterAll(async () => { await t.close(); });

describe('bring-your-own ONNX models', () => {
  for (const [name, f] of Object.entries(fixtures)) {
    it(`${name}: ${f.args.join(', ')} -> ${f.returns} gives the expected outputs`, async () => {
      await t.s.execute(`CREATE MODEL ${name} FUNCTION ${name}_fn(${f.args.join(', ')}) RETURNS ${f.returns} FROM '${MODELS}${f.file}'`);
      const m = await t.show(name);
      expect(m).toMatchObject({ 'Model State': 'READY', 'Model Type': 'EXTERNAL (ONNX)', Source: `${MODELS}${f.file}`, 'Function Return Type': expect.stringMatching(new RegExp(`^${f.returns}`)) });
      const cols = f.args.map((type, j) => `c${j} ${type === 'VARCHAR' ? 'VARCHAR(20)' : type}`);
      const rows = f.expected.map((_, i) => `(${i}, ${f.inputs.map((col) => lit(col[i])).join(', ')})`);
      await t.s.execute(`CREATE TABLE in_${name} (id INTEGER, ${cols.join(', ')}); INSERT INTO in_${name} VALUES ${rows.join(', ')}`);
      const args = f.args.map((_, j) => `c${j}`).join(', ');
      // in the slices, and at the leader over literals
      const got = await t.rows(`SELECT ${name}_fn(${args}) FROM in_${name} ORDER BY id`);
      expect(got.map((r) => r[0])).toEqual(f.expected);
      const [[first]] = await t.rows(`SELECT ${name}_fn(${f.inputs.map((col) => lit(col[0])).join(', ')})`);
      expect(first).toEqual(f.expected[0]);
    }, 30_000); // the first one also loads onnxruntime and starts the slices
  }

  it('_prob works for a model with a probabilities output, not for a regressor', async () => {
    const [[json]] = await t.rows('SELECT matrix_classifier_fn_prob(2.5, 0.5)');
    const p = JSON.parse(json as string) as { labels: number[]; probabilities: number[] };
    expect(p.labels).toEqual([0, 1]);
    expect(p.probabilities[1]).toBeGreaterThan(0.5);
    expect((await t.error('SELECT linear_regressor_fn_prob(1, 2)')).code).toBe('UNDEFINED_FUNCTION');
  });

  it('rejects a signature that does not match the model, a missing file and remote paths', async () => {
    const wrongCount = await t.error(`CREATE MODEL w1 FUNCTION w1_fn(REAL) RETURNS REAL FROM '${MODELS}linear_regressor.onnx'`);
    expect(wrongCount).toMatchObject({ code: 'DATATYPE_MISMATCH' });
    expect(wrongCount.message).toMatch(/declares 1 argument/);
    const wrongType = await t.error(`CREATE MODEL w2 FUNCTION w2_fn(REAL, REAL) RETURNS VARCHAR FROM '${MODELS}linear_regressor.onnx'`);
    expect(wrongType).toMatchObject({ code: 'DATATYPE_MISMATCH' });
    expect(await t.error(`CREATE MODEL w3 FUNCTION w3_fn(REAL) RETURNS REAL FROM '${MODELS}nope.onnx'`)).toMatchObject({ code: 'UNDEFINED_OBJECT' });
    expect(await t.error(`CREATE MODEL w4 FUNCTION w4_fn(REAL) RETURNS REAL FROM 's3://bucket/m.onnx'`)).toMatchObject({ code: 'FEATURE_NOT_SUPPORTED' });
    expect(await t.error(`CREATE MODEL w5 FUNCTION w5_fn(REAL) RETURNS REAL FROM '${MODELS}fixtures.json'`)).toMatchObject({ code: 'INVALID_PARAMETER' });
    expect(await t.rows('SELECT count(*) FROM (SELECT 1) x')).toEqual([[1]]);
    const names = (await t.rows('SHOW MODEL ALL')).map((r) => r[1]);
    expect(names).toEqual(Object.keys(fixtures).sort());
  });

  it('type-checks calls: argument count and types', async () => {
    const count = await t.error('SELECT linear_regressor_fn(c0) FROM in_linear_regressor');
    expect(count.code).toBe('UNDEFINED_FUNCTION');
    expect(count.message).toMatch(/takes 2 arguments \(REAL, REAL\), got 1/);
    const type = await t.error('SELECT text_classifier_fn(c1, c0) FROM in_text_classifier');
    expect(type.code).toBe('DATATYPE_MISMATCH');
    expect(type.message).toMatch(/argument 1 of text_classifier_fn must be VARCHAR/);
  });
});
