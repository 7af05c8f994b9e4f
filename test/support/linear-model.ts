// An ONNX model f(x REAL) = 2x + 1 (exact in floats for the small x tests use), for tests whose
// queries call a model while DuckDB computes the same expression (CAST(2 * x + 1 AS REAL)).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphBuilder } from '../../ml/onnx/graph.ts';
import { extension } from '../../ml/extension.ts';
import type { TwinEngines } from './twin-engines.ts';

/** The model's ONNX bytes. */
export function linearModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float', ['N', 1]);
  const y = g.node('Add', [g.node('Mul', [x, g.constant('float', [2], [1])]), g.constant('float', [1], [1])]);
  g.node('Reshape', [y, g.constant('int64', [-1], [1])], {}, { output: 'variable' });
  g.output('variable', 'float', ['N']);
  return g.encode({});
}

/** Adds the ML extension to the twins' Strata and makes the model SQL function f(REAL) from a file in `dir`. */
export async function withLinearModel(t: TwinEngines, dir: string): Promise<void> {
  t.db.use(extension(t.db));
  const file = join(dir, 'linear.onnx');
  writeFileSync(file, linearModel());
  await t.s.execute(`CREATE MODEL lin FUNCTION f(REAL) RETURNS REAL FROM '${file}'`);
}
