import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSegment, writeSegment } from '../../../engine/storage/segment.ts';
import { SqlError } from '../../../engine/errors.ts';
import { T, type SqlType } from '../../../engine/types/types.ts';
import { stringVector, type Vector } from '../../../engine/types/vector.ts';
import { ALL_TYPES, randomVector, rowsOf } from './gen.ts';
import { csvBytes, lineitem, LINEITEM_TYPES, rng } from './lineitem.ts';

let dir: string;
let seq = 0;
const file = () => join(dir, `s${seq++}.arrow`);
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'strata-seg-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function roundTrip(cols: Vector[], encodings?: (string | undefined)[]) {
  const path = file();
  const meta = await writeSegment(path, cols, { encodings });
  const back = await readSegment(path, cols.map((c) => c.type));
  expect(back.map(rowsOf)).toEqual(cols.map(rowsOf));
  back.forEach((b, i) => {
    expect(b.values).toBeInstanceOf(cols[i].values.constructor);
    expect(b.length).toBe(cols[i].length);
    if (cols[i].dict) expect(new Set(b.dict).size).toBe(b.dict!.length); // dictionaries stay duplicate-free
  });
  return { meta, back, path };
}

const v = (type: SqlType, values: ArrayLike<number>, valid: number[] | null = null): Vector => {
  const arr = new (type.id === 'REAL' ? Float32Array : type.id === 'SMALLINT' ? Int16Array : type.id === 'INTEGER' || type.id === 'DATE' ? Int32Array : type.id === 'BOOLEAN' ? Uint8Array : Float64Array)(values.length);
  arr.set(values as ArrayLike<number>);
  return { type, length: values.length, values: arr, valid: valid && Uint8Array.from(valid) };
};

describe('segment round trips', () => {
  for (const seed of [1, 2, 3]) {
    it(`all types, random data with NULLs, auto encodings (seed ${seed})`, async () => {
      await roundTrip(ALL_TYPES.map((t, i) => randomVector(t, 5000, seed * 100 + i)));
    });
  }

  for (const enc of ['RAW', 'BYTEDICT', 'DELTA', 'AZ64', 'RUNLENGTH', 'ZSTD', 'LZO', 'TEXT32K', 'MOSTLY16']) {
    it(`all types forced to ENCODE ${enc}`, async () => {
      const cols = ALL_TYPES.map((t, i) => randomVector(t, 3000, 7 + i, 0.2));
      await roundTrip(cols, cols.map(() => enc));
    });
  }

  it('sorted and constant columns (FOR and RLE paths) with NULL runs', async () => {
    const n = 10000;
    const sorted = v(T.int, Array.from({ length: n }, (_, i) => Math.floor(i / 100)));
    const constant = v(T.decimal(12, 2), new Array(n).fill(12345));
    const nullRuns = v(T.date, Array.from({ length: n }, (_, i) => 9000 + Math.floor(i / 500)), Array.from({ length: n }, (_, i) => (Math.floor(i / 1000) % 2)));
    const flags = stringVector({ id: 'CHAR', length: 1 }, Array.from({ length: n }, (_, i) => (i < 3000 ? 'A' : i < 6000 ? null : 'R')));
    const { meta } = await roundTrip([sorted, constant, nullRuns, flags]);
    expect(meta.columns.map((c) => c.encoding)).toEqual(['rle', 'rle', 'rle', 'rle']);
  });

  it('FOR columns of one or two bytes a row keep their deltas beside the values (Vector.frame), wider ones do not', async () => {
    const n = 3000;
    const nulls = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1));
    const cols = [
      v(T.int, Array.from({ length: n }, (_, i) => -40 + ((i * 37) % 200)), nulls), // one byte, negative base
      v(T.decimal(12, 2), Array.from({ length: n }, (_, i) => 99999999999 - ((i * 7919) % 60000))), // two bytes, base near 10^11
      v(T.date, Array.from({ length: n }, (_, i) => 8000 + ((i * 31) % 70000))), // four bytes: no frame
    ];
    const { meta, back } = await roundTrip(cols, ['for', 'for', 'for']);
    expect(meta.columns.map((c) => c.encoding)).toEqual(['for', 'for', 'for']);
    expect(back.map((b) => b.frame?.deltas.constructor.name)).toEqual(['Uint8Array', 'Uint16Array', undefined]);
    for (const b of back.slice(0, 2)) {
      const { base, deltas } = b.frame!;
      expect(deltas.length).toBe(n);
      for (let i = 0; i < n; i++) if (!b.valid || b.valid[i]) expect(base + deltas[i]).toBe(b.values[i]);
    }
    expect(back[0].frame!.base).toBe(-40);
  });

  it('floats keep -0, NaN, ±Infinity and subnormals bit for bit', async () => {
    const specials = [0, -0, NaN, Infinity, -Infinity, 5e-324, -Number.MAX_VALUE, 1.5, 0.1];
    for (const enc of [undefined, 'RAW', 'RUNLENGTH']) {
      const { back } = await roundTrip([v(T.double, specials), v(T.real, specials)], [enc, enc]);
      expect(Object.is(back[0].values[1], -0)).toBe(true);
      expect(Object.is(back[1].values[1], -0)).toBe(true);
    }
  });

  it('DECIMAL and BIGINT scaled values up to ±2^53 exactly', async () => {
    const big = [2 ** 53 - 1, -(2 ** 53 - 1), 0, 1, -1, 2 ** 53 - 2, 12345678901234];
    for (const enc of [undefined, 'DELTA', 'RAW']) await roundTrip([v(T.decimal(38, 4), big), v(T.bigint, big)], [enc, enc]);
    const near = [2 ** 53 - 1, 2 ** 53 - 100, 2 ** 53 - 7]; // large base, small range: FOR
    const { meta } = await roundTrip([v(T.decimal(38, 0), near)]);
    expect(meta.columns[0].encoding).toBe('for');
  });

  it('BIGINT past 2^53: int64 on disk, the exact value beside the double in memory', async () => {
    const exact = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 53n, 0n, 2n ** 53n - 1n, -1n];
    const col: Vector = {
      type: T.bigint, length: exact.length + 1, values: Float64Array.from([...exact.map(Number), 0]),
      valid: Uint8Array.from([...exact.map(() => 1), 0]),
      big: [...exact.map((x) => (x > 2n ** 53n - 1n || x < -(2n ** 53n - 1n) ? x : null)), null],
    };
    for (const enc of [undefined, 'RAW', 'DELTA', 'RUNLENGTH']) {
      const { back, meta } = await roundTrip([col], [enc]);
      expect(meta.columns[0].encoding).toBe('raw'); // only int64 holds these exactly
      expect(back[0].big).toEqual(col.big);
      expect(Array.from(back[0].values)).toEqual(Array.from(col.values));
    }
  });

  it('strings: empty, unicode, NULL, unused dictionary entries and non-compact codes', async () => {
    const col: Vector = {
      type: T.varchar, length: 6, values: Int32Array.from([3, 0, 3, 5, 99, 4]), valid: Uint8Array.from([1, 1, 1, 1, 0, 1]),
      dict: ['', 'unused', 'also unused', 'héllo 🙂', 'x', '日本'],
    };
    for (const enc of [undefined, 'RAW', 'BYTEDICT', 'RUNLENGTH']) {
      const { back } = await roundTrip([col], [enc]);
      expect(back[0].dict!.length).toBe(4); // only used entries survive
    }
  });

  it('all-NULL columns, empty segments and a projection', async () => {
    const n = 50;
    const allNull = ALL_TYPES.map((t) => {
      const x = randomVector(t, n, 5, 0);
      x.valid = new Uint8Array(n);
      return x;
    });
    const { meta, path } = await roundTrip(allNull);
    expect(meta.columns.every((c) => c.nullCount === n && c.min === null && c.max === null)).toBe(true);
    const proj = await readSegment(path, ALL_TYPES, [9, 2]);
    expect(proj.map((p) => p.type)).toEqual([ALL_TYPES[9], ALL_TYPES[2]]);
    const empty = await roundTrip(ALL_TYPES.map((t) => randomVector(t, 0, 1)));
    expect(empty.meta.rows).toBe(0);
  });

  it('NULL slots read back as 0 whatever was stored there', async () => {
    const { back } = await roundTrip([v(T.int, [5, 7, 9], [1, 0, 1])]);
    expect(Array.from(back[0].values)).toEqual([5, 0, 9]);
    expect(Array.from(back[0].valid!)).toEqual([1, 0, 1]);
  });
});

describe('encoding choice and zone maps', () => {
  it('picks dict for low-cardinality strings, for for integers, rle for runs, raw for random doubles', async () => {
    const n = 20000, r = rng(9);
    const lowCard = stringVector(T.varchar, Array.from({ length: n }, () => ['AIR', 'RAIL', 'SHIP', 'TRUCK'][Math.floor(r() * 4)]));
    const ints = v(T.int, Array.from({ length: n }, () => 1000 + Math.floor(r() * 50000)));
    const dates = v(T.date, Array.from({ length: n }, () => 8000 + Math.floor(r() * 2500)));
    const runs = v(T.smallint, Array.from({ length: n }, (_, i) => Math.floor(i / 1000)));
    const doubles = v(T.double, Array.from({ length: n }, () => r() * 1e6));
    const highCard = stringVector(T.varchar, Array.from({ length: n }, (_, i) => `comment number ${i} ${r()}`));
    const bools = v(T.bool, Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)));
    const { meta } = await roundTrip([lowCard, ints, dates, runs, doubles, highCard, bools]);
    expect(meta.columns.map((c) => c.encoding)).toEqual(['dict', 'for', 'for', 'rle', 'raw', 'raw', 'raw']);
  });

  it('honours requested encodings where they apply and falls back where they cannot', async () => {
    const n = 1000;
    const cols = [v(T.int, Array.from({ length: n }, (_, i) => i)), stringVector(T.varchar, Array.from({ length: n }, (_, i) => `k${i % 3}`)), v(T.double, new Array(n).fill(1.5)), v(T.bigint, [0, 2 ** 40, ...new Array(n - 2).fill(7)])];
    const { meta } = await roundTrip(cols, ['RAW', 'raw', 'DELTA', 'AZ64']);
    expect(meta.columns.map((c) => c.encoding)).toEqual(['raw', 'raw', 'rle', 'rle']); // FOR on floats / 2^40 range -> auto
    await expect(writeSegment(file(), cols, { encodings: ['BOGUS'] })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });

  it('zone maps are physical min/max over non-NULL values', async () => {
    const cols = [
      v(T.decimal(10, 2), [1250, -300, 99999, 5], [1, 1, 0, 1]),
      v(T.date, [10000, 9000, 11000], [1, 1, 1]),
      stringVector(T.varchar, ['pear', null, 'apple', 'zebra', '']),
      v(T.double, [NaN, 2, -Infinity, 7]),
      v(T.bool, [1, 1, 1]),
    ];
    const metas = await Promise.all(cols.map((c) => writeSegment(file(), [c]).then((m) => m.columns[0])));
    expect(metas.map(({ min, max, nullCount }) => ({ min, max, nullCount }))).toEqual([
      { min: -300, max: 1250, nullCount: 1 },
      { min: 9000, max: 11000, nullCount: 0 },
      { min: '', max: 'zebra', nullCount: 1 },
      { min: -Infinity, max: 7, nullCount: 0 },
      { min: 1, max: 1, nullCount: 0 },
    ]);
    expect(metas[3].hasNaN).toBe(true);
    // random data: bounds match a brute-force scan
    for (const [i, t] of ALL_TYPES.entries()) {
      const col = randomVector(t, 2000, 40 + i);
      const m = (await writeSegment(file(), [col])).columns[0];
      const vals = rowsOf(col).filter((x) => x !== null && !(typeof x === 'number' && isNaN(x))).map((x) => (x === '-0' ? 0 : x)) as (number | string)[];
      const sorted = vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect([m.min, m.max]).toEqual([sorted[0], sorted[sorted.length - 1]]);
    }
  });

  it('1M TPC-H-like lineitem rows are far smaller than their CSV text', async () => {
    const n = 1_000_000;
    const cols = lineitem(n);
    const path = file();
    const meta = await writeSegment(path, cols);
    const csv = csvBytes(cols, 100_000) * (n / 100_000);
    expect(meta.bytes).toBeLessThan(csv / 2);
    const back = await readSegment(path, LINEITEM_TYPES, [0, 4, 8, 10, 15]);
    for (const [k, i] of [0, 4, 8, 10, 15].entries()) {
      expect(rowsOf(back[k]).slice(0, 1000)).toEqual(rowsOf(cols[i]).slice(0, 1000));
      expect(rowsOf(back[k]).slice(-1000)).toEqual(rowsOf(cols[i]).slice(-1000));
    }
  }, 60_000);
});

describe('damaged segment files', () => {
  const expectCorrupt = async (path: string, types: SqlType[]) => {
    const err = await readSegment(path, types).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(SqlError);
    expect(err.code).toBe('INTERNAL_ERROR');
    expect(err.message).toContain(path);
  };

  it('missing, empty, garbage and truncated files give a SqlError naming the file', async () => {
    const cols = ALL_TYPES.map((t, i) => randomVector(t, 500, 60 + i));
    const good = file();
    const { bytes } = await writeSegment(good, cols);
    await expectCorrupt(join(dir, 'nope.arrow'), ALL_TYPES);
    const empty = file();
    await writeFile(empty, '');
    await expectCorrupt(empty, ALL_TYPES);
    const garbage = file();
    await writeFile(garbage, Buffer.from('ARROW1 this is not an arrow file at all ARROW1'));
    await expectCorrupt(garbage, ALL_TYPES);
    const original = await readFile(good);
    for (const len of [1, 8, 100, bytes >> 1, bytes - 10, bytes - 1]) {
      const t = file();
      await writeFile(t, original);
      await truncate(t, len);
      await expectCorrupt(t, ALL_TYPES);
    }
  });

  it('flipped bytes are caught by checksums or structure checks, never a crash', async () => {
    const cols = ALL_TYPES.map((t, i) => randomVector(t, 400, 80 + i));
    const good = file();
    await writeSegment(good, cols);
    const original = await readFile(good);
    const r = rng(5);
    let caught = 0;
    for (let k = 0; k < 60; k++) {
      const bad = Buffer.from(original);
      const at = Math.floor(r() * bad.length);
      bad[at] ^= 1 + Math.floor(r() * 255);
      const t = file();
      await writeFile(t, bad);
      const res = await readSegment(t, ALL_TYPES).then((b) => b, (e) => e);
      if (res instanceof Error) {
        expect(res).toBeInstanceOf(SqlError);
        expect(res.message).toContain(t);
        caught++;
      } else {
        // a flip in padding or unused bytes is harmless: data must still be exact
        expect(res.map(rowsOf)).toEqual(cols.map(rowsOf));
      }
    }
    expect(caught).toBeGreaterThan(20);
  });

  it('reading with the wrong types is an error naming the file and column', async () => {
    const path = file();
    await writeSegment(path, [v(T.int, [1, 2, 3])]);
    await expect(readSegment(path, [T.double])).rejects.toThrow(/column 0 holds INTEGER, expected DOUBLE PRECISION/);
    await expect(readSegment(path, [T.int, T.int])).rejects.toThrow(SqlError);
  });

  it('rejects vectors that do not match their type', async () => {
    await expect(writeSegment(file(), [v(T.int, [1]), v(T.int, [1, 2])])).rejects.toThrow(/rows/);
    await expect(writeSegment(file(), [{ type: T.int, length: 2, values: new Float64Array(2), valid: null }])).rejects.toThrow(SqlError);
  });
});
