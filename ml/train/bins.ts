// Histogram binning for gradient boosting: each feature's values map to at most 256 ordered bins.

/** Per-feature bin codes (column-major) and the float32 upper edge of every bin but the last. */
export interface Binned { rows: number; cols: number; codes: Uint8Array[]; edges: Float32Array[] }

/** Bins a row-major float32 matrix; a feature with few distinct values gets one bin per value, else quantile bins. */
export function binFeatures(x: Float32Array, rows: number, cols: number, maxBins = 256): Binned {
  const codes: Uint8Array[] = [], edges: Float32Array[] = [];
  const col = new Float32Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let r = 0; r < rows; r++) col[r] = x[r * cols + f];
    const sorted = col.slice().sort();
    const uniq: number[] = [];
    for (let i = 0; i < rows; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]);
    let e: number[];
    if (uniq.length <= maxBins) e = uniq.slice(0, -1);
    else {
      e = [];
      for (let b = 1; b < maxBins; b++) {
        const v = sorted[Math.min(rows - 1, Math.floor((b * rows) / maxBins))];
        if (v !== sorted[rows - 1] && (e.length === 0 || v > e[e.length - 1])) e.push(v);
      }
    }
    const edge = Float32Array.from(e);
    const code = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) code[r] = binOf(edge, col[r]);
    codes.push(code); edges.push(edge);
  }
  return { rows, cols, codes, edges };
}

/** The first bin whose upper edge is >= v (binary search); values above every edge go to the last bin. */
export function binOf(edge: Float32Array, v: number): number {
  let lo = 0, hi = edge.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edge[mid]) hi = mid; else lo = mid + 1;
  }
  return lo;
}
