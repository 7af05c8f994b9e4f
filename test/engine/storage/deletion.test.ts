import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deletedMask, readDeletionVector, unionDeletions, writeDeletionVector } from '../../../engine/storage/deletion.ts';
import { SqlError } from '../../../engine/errors.ts';
import { rng } from './lineitem.ts';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'strata-dv-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('deletion vectors', () => {
  it('round trips empty, sparse, dense and extreme row sets compactly', async () => {
    const r = rng(3);
    const dense = Uint32Array.from({ length: 100_000 }, (_, i) => i * 2);
    const sparse = Uint32Array.from(new Set(Array.from({ length: 1000 }, () => Math.floor(r() * 1_000_000)))).sort();
    for (const [name, rows] of Object.entries({ empty: new Uint32Array(0), sparse, dense, extreme: Uint32Array.from([0, 1, 0xfffffffe, 0xffffffff]) })) {
      const path = join(dir, `${name}.dv`);
      await writeDeletionVector(path, rows);
      expect(Array.from(await readDeletionVector(path))).toEqual(Array.from(rows));
    }
    expect((await stat(join(dir, 'dense.dv'))).size).toBeLessThan(100_000 * 1.1 + 12); // ~1 byte a row
  });

  it('sorts and de-duplicates unsorted input', async () => {
    const path = join(dir, 'unsorted.dv');
    await writeDeletionVector(path, Uint32Array.from([9, 3, 3, 7, 0]));
    expect(Array.from(await readDeletionVector(path))).toEqual([0, 3, 7, 9]);
  });

  it('turns into a deleted mask and unions', () => {
    expect(Array.from(deletedMask(Uint32Array.from([1, 3]), 5))).toEqual([0, 1, 0, 1, 0]);
    expect(() => deletedMask(Uint32Array.from([5]), 5)).toThrow(SqlError);
    expect(Array.from(unionDeletions(Uint32Array.from([1, 4, 9]), Uint32Array.from([0, 4, 10])))).toEqual([0, 1, 4, 9, 10]);
  });

  it('rejects missing, truncated and corrupt files with the file name', async () => {
    const path = join(dir, 'good.dv');
    await writeDeletionVector(path, Uint32Array.from([5, 500, 50000]));
    const good = await readFile(path);
    const cases: Record<string, Buffer> = {
      truncated: good.subarray(0, good.length - 1), header: good.subarray(0, 5), empty: Buffer.alloc(0),
      flipped: Buffer.from(good.map((b, i) => (i === good.length - 2 ? b ^ 4 : b))), magic: Buffer.from(good.map((b, i) => (i === 0 ? 0 : b))),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const p = join(dir, `${name}.dv`);
      await writeFile(p, bytes);
      await expect(readDeletionVector(p)).rejects.toThrow(p);
      await expect(readDeletionVector(p)).rejects.toBeInstanceOf(SqlError);
    }
    await expect(readDeletionVector(join(dir, 'missing.dv'))).rejects.toBeInstanceOf(SqlError);
  });
});
