// KernelSHAP's solver on games with known Shapley values: exact with all coalitions (up to 10
// players), within the stated tolerance with 1024 sampled ones, and additive either way.
import { describe, expect, it } from 'vitest';
import { EXACT_MAX_PLAYERS, SAMPLED_COALITIONS, coalitions, solveShapley } from '../../../ml/explain/kernel.ts';

/** v(S) = Σ_{i∈S} a_i + b·[0∈S and 1∈S] + c·[|S ∩ {2,3,4}| ≥ 2]: Shapley a_i + b/2 (0, 1) + c/3 (2, 3, 4). */
function game(M: number) {
  const a = Array.from({ length: M }, (_, i) => ((i * 7) % 5) - 2 + i / 10);
  const b = 1.5, c = -0.9;
  const v = (mask: (i: number) => boolean) => {
    let s = 0;
    for (let i = 0; i < M; i++) if (mask(i)) s += a[i];
    if (M > 1 && mask(0) && mask(1)) s += b;
    if ([2, 3, 4].filter((i) => i < M && mask(i)).length >= 2) s += c;
    return s;
  };
  // (for M >= 5; smaller games are checked against brute force)
  const shapley = a.map((x, i) => x + (i < 2 ? b / 2 : i < 5 ? c / 3 : 0));
  return { v, shapley };
}

/** Shapley values by the definition, over every coalition. */
function bruteForce(M: number, v: (mask: (i: number) => boolean) => number): number[] {
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  return Array.from({ length: M }, (_, i) => {
    let phi = 0;
    for (let m = 0; m < 1 << M; m++) {
      if ((m >> i) & 1) continue;
      const size = [...Array(M).keys()].filter((j) => (m >> j) & 1).length;
      phi += (fact(size) * fact(M - size - 1)) / fact(M) * (v((j) => j === i || ((m >> j) & 1) === 1) - v((j) => ((m >> j) & 1) === 1));
    }
    return phi;
  });
}

function explain(M: number, seed: number) {
  const { v, shapley } = game(M);
  const co = coalitions(M, seed);
  const values = Float64Array.from({ length: co.count }, (_, c) => v((i) => co.masks[c * M + i] === 1));
  const empty = v(() => false), full = v(() => true);
  return { phi: solveShapley(co, values, empty, full), shapley, delta: full - empty, co };
}

describe('KernelSHAP', () => {
  it(`enumerates every coalition up to ${EXACT_MAX_PLAYERS} players and then is exact`, () => {
    for (const M of [1, 2, 5, EXACT_MAX_PLAYERS]) {
      const { phi, co } = explain(M, 1);
      expect(co.count).toBe(Math.max(0, 2 ** M - 2));
      const want = bruteForce(M, game(M).v);
      phi.forEach((p, i) => expect(p).toBeCloseTo(want[i], 9));
    }
  });

  it(`samples ${SAMPLED_COALITIONS} coalitions beyond: additive exactly, within 0.08 of the Shapley values here (values up to 2.5), reproducible per seed`, () => {
    const M = 16;
    const { phi, shapley, delta, co } = explain(M, 42);
    expect(co.count).toBe(SAMPLED_COALITIONS);
    expect(phi.reduce((s, p) => s + p, 0)).toBeCloseTo(delta, 9);
    const worst = Math.max(...Array.from(phi, (p, i) => Math.abs(p - shapley[i])));
    expect(worst).toBeLessThan(0.08);
    expect(Array.from(explain(M, 42).phi)).toEqual(Array.from(phi));
  });
});
