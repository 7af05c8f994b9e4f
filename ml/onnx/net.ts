// Compiles a network (linear or MLP) to MatMul/Add/Relu/Tanh, ending in its raw output.
import type { NetModel } from '../train/net.ts';
import type { GraphBuilder } from './graph.ts';

/** Emits the layers; returns the last layer's output [N, outDim] (logits or standardized value). */
export function emitNet(g: GraphBuilder, m: NetModel, features: string): string {
  let h = features;
  for (const L of m.layers) {
    const w = g.constant('float', L.w, [L.inDim, L.outDim], 'W');
    const b = g.constant('float', L.b, [L.outDim], 'b');
    h = g.node('Add', [g.node('MatMul', [h, w]), b]);
    if (L.act === 'relu') h = g.node('Relu', [h]);
    else if (L.act === 'tanh') h = g.node('Tanh', [h]);
  }
  if (m.head === 'identity') h = g.node('Add', [g.node('Mul', [h, g.constant('float', [m.yStd], [1])]), g.constant('float', [m.yMean], [1])]);
  return h;
}
