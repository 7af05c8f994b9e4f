// Batches crossing threads (exec/wire.ts): typed arrays moved or shared, string dictionaries as
// one UTF-8 text with offsets, cut to the entries the rows use. Checked through a real
// MessageChannel, so what arrives is what postMessage delivers.
import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { fromWire, toWire, type WireColumn } from '../../../engine/exec/wire.ts';
import { gather, stringVector, valueAt, type Vector } from '../../../engine/types/vector.ts';
import type { SqlType } from '../../../engine/types/types.ts';

const VARCHAR: SqlType = { id: 'VARCHAR' };
const INT: SqlType = { id: 'INTEGER' };

/** Posts the columns through a channel (with the transfer list) and returns what arrived. */
async function roundTrip(columns: WireColumn[], transfer: ArrayBuffer[]): Promise<WireColumn[]> {
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<WireColumn[]>((resolve) => port2.once('message', resolve));
  port1.postMessage(columns, transfer);
  const out = await got;
  port1.close();
  port2.close();
  return out;
}

const values = (v: Vector) => Array.from({ length: v.length }, (_, i) => valueAt(v, i));

describe('wire batches', () => {
  it('moves numbers, NULLs and strings (ASCII, accented, emoji, lone surrogate) unchanged', async () => {
    const strs = ['plain', null, 'Zürich', 'ü', '😀 smile', 'plain', '', 'x\ud800y'];
    const s = stringVector(VARCHAR, strs);
    const n: Vector = { type: INT, length: 4, values: Int32Array.from([1, -2, 0, 7]), valid: Uint8Array.from([1, 1, 0, 1]) };
    const wire = toWire([s, n], 'move');
    const back = fromWire(await roundTrip(wire.columns, wire.transfer));
    expect(values(back[0])).toEqual(strs);
    expect(values(back[1])).toEqual([1, -2, null, 7]);
  });

  it('sends a dictionary as one UTF-8 text with offsets, not an array of strings', () => {
    const s = stringVector(VARCHAR, ['a', 'Zürich', 'a', '😀']);
    const [w] = toWire([s], 'move').columns;
    expect(w.dict).toBeUndefined();
    expect(new TextDecoder().decode(w.text)).toBe('aZürich😀');
    // offsets count UTF-16 code units of the decoded text
    expect(Array.from(w.offsets!)).toEqual([0, 1, 7, 9]);
  });

  it('moves buffers (the sender no longer holds them) and copies views into larger buffers', async () => {
    const whole = Int32Array.from([1, 2, 3]);
    const big = new Float64Array(10).fill(4);
    const wire = toWire([{ type: INT, length: 3, values: whole, valid: null }, { type: { id: 'DOUBLE PRECISION' }, length: 2, values: big.subarray(5, 7), valid: null }], 'move');
    const back = fromWire(await roundTrip(wire.columns, wire.transfer));
    expect(whole.byteLength).toBe(0); // moved
    expect(big.byteLength).toBe(80); // a view's rows were copied; the larger buffer stays
    expect(values(back[0])).toEqual([1, 2, 3]);
    expect(values(back[1])).toEqual([4, 4]);
  });

  it('sends only the dictionary entries the rows use', () => {
    const dict = Array.from({ length: 1000 }, (_, i) => `entry ${i}`);
    const segment: Vector = { type: VARCHAR, length: 1000, values: Int32Array.from(dict, (_, i) => i), valid: null, dict };
    const picked = gather(segment, Uint32Array.from([999, 5, 999]), 3);
    const [w] = toWire([picked], 'move').columns;
    expect(w.offsets!.length - 1).toBe(2);
    expect(values(fromWire([w])[0])).toEqual(['entry 999', 'entry 5', 'entry 999']);
  });

  it('shares one copy among receivers without moving the sender\'s arrays', async () => {
    const s = stringVector(VARCHAR, ['x', 'y', null]);
    const wire = toWire([s], 'share');
    expect(wire.transfer).toEqual([]);
    expect(wire.columns[0].values.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(wire.columns[0].text!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const [a, b] = await Promise.all([roundTrip(wire.columns, []), roundTrip(wire.columns, [])]);
    // both receivers see the same memory
    wire.columns[0].values[0] = 1;
    expect(fromWire(a)[0].values[0]).toBe(1);
    expect(values(fromWire(b)[0])).toEqual(['y', 'y', null]);
    expect(s.values.byteLength).toBe(12);
  });
});
