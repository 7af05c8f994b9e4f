// Builds the bring-your-own ONNX fixtures in this folder and their expected outputs (fixtures.json).
// Run: node bin/run-ts.js models/build_fixtures.ts
import { writeFileSync } from 'node:fs';
import { GraphBuilder } from '../ml/onnx/graph.ts';

const dir = new URL('.', import.meta.url).pathname;

/** y = 2·x1 − 3·x2 + 1, two float [N,1] inputs, one float [N] output. Signature (REAL, REAL) RETURNS REAL. */
function linearRegressor(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.node('Concat', [g.input('x1', 'float', ['N', 1]), g.input('x2', 'float', ['N', 1])], { axis: { i: 1 } });
  const y = g.node('Add', [g.node('MatMul', [x, g.constant('float', [2, -3], [2, 1])]), g.constant('float', [1], [1])]);
  g.node('Reshape', [y, g.constant('int64', [-1], [1])], {}, { output: 'variable' });
  g.output('variable', 'float', ['N']);
  return g.encode({});
}

/** Logistic classifier on a [N,2] feature matrix (sklearn-onnx style): label 1 when x1 + x2 > 1. Signature (REAL, REAL) RETURNS INTEGER. */
function matrixClassifier(): Uint8Array {
  const g = new GraphBuilder();
  const z = g.node('Add', [g.node('MatMul', [g.input('float_input', 'float', ['N', 2]), g.constant('float', [-4, 4, -4, 4], [2, 2])]), g.constant('float', [4, -4], [2])]);
  g.node('Softmax', [z], { axis: { i: 1 } }, { output: 'probabilities' });
  g.node('ArgMax', ['probabilities'], { axis: { i: 1 }, keepdims: { i: 0 } }, { output: 'label' });
  g.output('label', 'int64', ['N']);
  g.output('probabilities', 'float', ['N', 2]);
  return g.encode({});
}

/** Text + number to a text label: 'big' when size > 5 or color is 'red', else 'small'. Signature (VARCHAR, REAL) RETURNS VARCHAR. */
function textClassifier(): Uint8Array {
  const g = new GraphBuilder();
  const oh = g.node('OneHotEncoder', [g.input('color', 'string', ['N', 1])], { cats_strings: { strings: ['blue', 'red'] }, zeros: { i: 1 } }, { ml: true });
  const color = g.node('Flatten', [oh], { axis: { i: 1 } });
  const x = g.node('Concat', [color, g.input('size', 'float', ['N', 1])], { axis: { i: 1 } });
  // score = 10·red + size − 5 ; big when score > 0
  const z = g.node('MatMul', [x, g.constant('float', [0, 0, 0, 10, 0, 1], [3, 2])]);
  const logits = g.node('Add', [z, g.constant('float', [0, -5], [2])]);
  const idx = g.node('ArgMax', [logits], { axis: { i: 1 }, keepdims: { i: 0 } });
  g.node('Gather', [g.constant('string', ['small', 'big'], [2]), idx], { axis: { i: 0 } }, { output: 'label' });
  g.output('label', 'string', ['N']);
  return g.encode({});
}

const x1 = [0, 1, 2.5, -1, 0.25], x2 = [0, 1, 0.5, 2, 0.25];
const fixtures = {
  linear_regressor: {
    file: 'linear_regressor.onnx', args: ['REAL', 'REAL'], returns: 'REAL', inputs: [x1, x2],
    expected: x1.map((a, i) => 2 * a - 3 * x2[i] + 1),
  },
  matrix_classifier: {
    file: 'matrix_classifier.onnx', args: ['REAL', 'REAL'], returns: 'INTEGER', inputs: [x1, x2],
    expected: x1.map((a, i) => (a + x2[i] > 1 ? 1 : 0)),
  },
  text_classifier: {
    file: 'text_classifier.onnx', args: ['VARCHAR', 'REAL'], returns: 'VARCHAR',
    inputs: [['red', 'blue', 'green', 'blue', 'red'], [1, 7, 2, 3, 9]],
    expected: ['big', 'big', 'small', 'small', 'big'],
  },
};
writeFileSync(`${dir}linear_regressor.onnx`, linearRegressor());
writeFileSync(`${dir}matrix_classifier.onnx`, matrixClassifier());
writeFileSync(`${dir}text_classifier.onnx`, textClassifier());
writeFileSync(`${dir}fixtures.json`, JSON.stringify(fixtures, null, 2) + '\n');
console.log('wrote', Object.values(fixtures).map((f) => f.file).join(', '), 'and fixtures.json');
