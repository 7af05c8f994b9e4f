// The probe loop of a hash join against a nested-loop reference: INNER with keys that repeat on
// the build side, LEFT padding with NULLs, SEMI and ANTI, over payload columns of several array
// kinds (each gathered by its own generated loop) with NULLs, dictionary strings and exact
// bigints.
import { describe, expect, it } from 'vitest';
import type { Vector } from '../../../engine/types/vector.ts';
import { BuildTable, probe, type JoinKind } from '../../../engine/exec/hash-join.ts';
import { T } from '../../../engine/types/types.ts';

const vec = (type: Vector['type'], values: Vector['values'], nullAt = -1, extra: Partial<Vector> = {}): Vector => ({
  type, length: values.length, values, valid: nullAt < 0 ? null : Uint8Array.from(values, (_, i) => (i % nullAt === 0 ? 0 : 1)), ...extra,
});
const cell = (v: Vector, i: number) => (v.valid && v.valid[i] === 0 ? null : v.big ? v.big[i] : v.dict ? v.dict[v.values[i]] : v.values[i]);

// build: keys 0..29 with 0..9 twice, and a NULL key; payloads of three kinds
const bKeys = Int32Array.from({ length: 41 }, (_, i) => (i < 30 ? i : i - 30));
const build: Vector[] = [
  vec(T.int, bKeys, 40),
  vec(T.double, Float64Array.from(bKeys, (k, i) => k * 1.5 + i), 7),
  vec(T.varchar, Int32Array.from(bKeys, (k) => k % 3), -1, { dict: ['a', 'b', 'c'] }),
  vec(T.bigint, Float64Array.from(bKeys, (k) => 2 ** 53 + k), -1, { big: Array.from(bKeys, (k) => 2n ** 53n + BigInt(k)) }),
];
// probe: keys -5..44 (some NULL), payloads Int16 and Float32
const pKeys = Int32Array.from({ length: 50 }, (_, i) => i - 5);
const probeSide: Vector[] = [vec(T.int, pKeys, 11), vec(T.smallint, Int16Array.from(pKeys, (k) => k * 2)), vec(T.real, Float32Array.from(pKeys, (k) => k / 4), 6)];

function reference(kind: JoinKind): unknown[][] {
  const out: unknown[][] = [];
  const key = (v: Vector, i: number) => cell(v, i);
  for (let p = 0; p < pKeys.length; p++) {
    const pk = key(probeSide[0], p);
    const matches = pk === null ? [] : Array.from({ length: bKeys.length }, (_, b) => b).filter((b) => key(build[0], b) === pk);
    const left = probeSide.map((c) => cell(c, p));
    if (kind === 'SEMI') { if (matches.length) out.push(left); continue; }
    if (kind === 'ANTI') { if (!matches.length) out.push(left); continue; }
    for (const b of matches) out.push([...left, ...build.map((c) => cell(c, b))]);
    if (kind === 'LEFT' && !matches.length) out.push([...left, ...build.map(() => null)]);
  }
  return out;
}

describe('hash join probe', () => {
  const table = new BuildTable(build, [build[0]]);
  for (const kind of ['INNER', 'LEFT', 'SEMI', 'ANTI'] as JoinKind[]) {
    it(`${kind} gives the nested loop's rows`, () => {
      const b = probe({ length: pKeys.length, columns: probeSide }, [probeSide[0]], table, kind, null);
      const rows = Array.from({ length: b.length }, (_, i) => b.columns.map((c) => cell(c, i)));
      const want = reference(kind);
      expect(rows).toEqual(want);
      expect(want.length).toBeGreaterThan(10);
    });
  }
});
