// Compiles k-means to squared distances (|x|² - 2x·c + |c|²) and ArgMin.
import type { KMeansModel } from '../train/kmeans.ts';
import type { GraphBuilder } from './graph.ts';

/** Emits the cluster assignment; returns an int64 [N] tensor of cluster indices. */
export function emitKMeans(g: GraphBuilder, m: KMeansModel, features: string): string {
  const ct = new Float32Array(m.dim * m.k); // centroids transposed: dim × k
  const c2 = new Float32Array(m.k);
  for (let q = 0; q < m.k; q++) for (let j = 0; j < m.dim; j++) {
    const v = m.centroids[q * m.dim + j];
    ct[j * m.k + q] = v; c2[q] += v * v;
  }
  const x2 = g.node('ReduceSumSquare', [features], { axes: { ints: [1] }, keepdims: { i: 1 } });
  const xc = g.node('MatMul', [features, g.constant('float', ct, [m.dim, m.k], 'centroidsT')]);
  const d = g.node('Add', [g.node('Sub', [x2, g.node('Mul', [xc, g.constant('float', [2], [1])])]), g.constant('float', c2, [1, m.k], 'c2')]);
  return g.node('ArgMin', [d], { axis: { i: 1 }, keepdims: { i: 0 } });
}
