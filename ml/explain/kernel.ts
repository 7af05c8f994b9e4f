// KernelSHAP (Lundberg & Lee 2017) over the SQL arguments, for models that are not tree ensembles.
//
// The game is v(S) = mean over background rows b of f(x_S, b_rest): the arguments in S take the
// row's values, the others the background row's. Shapley values are the solution of a weighted
// least-squares fit of v over coalitions with the Shapley kernel weights, under the constraint
// Σφ = f(x) − v(∅). Up to EXACT_MAX_PLAYERS arguments every coalition is enumerated, which gives the
// exact Shapley values of this game; beyond, a fixed number of coalitions is drawn (seeded by the
// row's own values, so a row's explanation does not depend on the rest of the query), in
// complementary pairs, coalition sizes drawn in proportion to their kernel weight.
import { Rng } from '../util/rng.ts';

/** Up to this many arguments, all 2^M − 2 coalitions are evaluated (exact Shapley values). */
export const EXACT_MAX_PLAYERS = 10;
/** Coalitions drawn beyond EXACT_MAX_PLAYERS (in complementary pairs). */
export const SAMPLED_COALITIONS = 1024;

/** The coalitions to evaluate for M players: each a 0/1 mask row of length M, with its weight. */
export interface Coalitions { masks: Uint8Array; weights: Float64Array; count: number; players: number }

export function coalitions(players: number, seed: number): Coalitions {
  const M = players;
  if (M <= EXACT_MAX_PLAYERS) {
    const count = 2 ** M - 2;
    const masks = new Uint8Array(count * M), weights = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      const bits = c + 1;
      let s = 0;
      for (let i = 0; i < M; i++) { masks[c * M + i] = (bits >> i) & 1; s += masks[c * M + i]; }
      weights[c] = (M - 1) / (binomial(M, s) * s * (M - s));
    }
    return { masks, weights, count, players: M };
  }
  // sizes 1..M-1 in proportion to the total kernel weight of each size: (M−1)/(s(M−s))
  const sizeWeight = Array.from({ length: M - 1 }, (_, k) => (M - 1) / ((k + 1) * (M - k - 1)));
  const total = sizeWeight.reduce((a, b) => a + b, 0);
  const rng = new Rng(seed);
  const count = SAMPLED_COALITIONS;
  const masks = new Uint8Array(count * M), weights = new Float64Array(count).fill(1);
  const order = Int32Array.from({ length: M }, (_, i) => i);
  for (let c = 0; c < count; c += 2) {
    let u = rng.next() * total, s = 1;
    for (; s < M - 1 && u > sizeWeight[s - 1]; s++) u -= sizeWeight[s - 1];
    rng.shuffle(order);
    for (let i = 0; i < s; i++) masks[c * M + order[i]] = 1;
    for (let i = 0; i < M; i++) masks[(c + 1) * M + i] = 1 - masks[c * M + i];
  }
  return { masks, weights, count, players: M };
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/**
 * The Shapley values from the coalition values: `values[c]` = v(coalition c), `empty` = v(∅) (the
 * base value), `full` = f(x). Σφ = full − empty holds exactly (the constraint is eliminated).
 */
export function solveShapley(co: Coalitions, values: Float64Array, empty: number, full: number): Float64Array {
  const M = co.players;
  const phi = new Float64Array(M);
  const delta = full - empty;
  if (M === 1) { phi[0] = delta; return phi; }
  // φ_M = Δ − Σ_{i<M} φ_i; fit y_c = v(S_c) − v0 − z_cM Δ on X_ci = z_ci − z_cM (i < M)
  const n = M - 1;
  const A = new Float64Array(n * n), b = new Float64Array(n);
  const x = new Float64Array(n);
  for (let c = 0; c < co.count; c++) {
    const w = co.weights[c], last = co.masks[c * M + n];
    const y = values[c] - empty - last * delta;
    for (let i = 0; i < n; i++) x[i] = co.masks[c * M + i] - last;
    for (let i = 0; i < n; i++) {
      if (x[i] === 0) continue;
      const wx = w * x[i];
      b[i] += wx * y;
      for (let j = 0; j < n; j++) A[i * n + j] += wx * x[j];
    }
  }
  const sol = solve(A, b, n);
  let rest = 0;
  for (let i = 0; i < n; i++) { phi[i] = sol[i]; rest += sol[i]; }
  phi[n] = delta - rest;
  return phi;
}

/** Gaussian elimination with partial pivoting (a tiny ridge keeps a singular sample solvable). */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(A[i * n + i]));
  for (let i = 0; i < n; i++) A[i * n + i] += scale * 1e-12;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(A[i * n + k]) > Math.abs(A[p * n + k])) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) { const t = A[k * n + j]; A[k * n + j] = A[p * n + j]; A[p * n + j] = t; }
      const t = b[k]; b[k] = b[p]; b[p] = t;
    }
    const d = A[k * n + k];
    if (d === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const f = A[i * n + k] / d;
      if (f === 0) continue;
      for (let j = k; j < n; j++) A[i * n + j] -= f * A[k * n + j];
      b[i] -= f * b[k];
    }
  }
  const x = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    let s = b[k];
    for (let j = k + 1; j < n; j++) s -= A[k * n + j] * x[j];
    x[k] = A[k * n + k] === 0 ? 0 : s / A[k * n + k];
  }
  return x;
}

/** A 32-bit FNV-1a hash of a row's values: the seed of its sampled coalitions. */
export function rowSeed(values: (number | string)[]): number {
  let h = 0x811c9dc5;
  const s = JSON.stringify(values);
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return h >>> 0;
}
