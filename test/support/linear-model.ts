// An ONNX model f(x REAL) = 2x + 1 (exact in floats for the small x tests use), for tests whose
// queries call a model while DuckDB computes the same expression (CAST(2 * x + 1 AS REAL)).
import { GraphBuilder } from '../../ml/onnx/graph.ts';

/** The model's ONNX bytes. */
export function linearModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float', ['N', 1]);
  const y = g.node('Add', [g.node('Mul', [x, g.constant('float', [2], [1])]), g.constant('float', [1], [1])]);
  g.node('Reshape', [y, g.constant('int64', [-1], [1])], {}, { output: 'variable' });
  g.output('variable', 'float', ['N']);
  return g.encode({});
}
