// Seeded TPC-H-like lineitem columns (16 columns, physical layout) for storage tests and timing.
import { T, type SqlType } from '../../../engine/types/types.ts';
import { stringVector, type Vector } from '../../../engine/types/vector.ts';
import { rng } from '../../support/rng.ts';
export { rng };


export const LINEITEM_TYPES: SqlType[] = [
  T.bigint, T.int, T.int, T.int, T.decimal(15, 2), T.decimal(15, 2), T.decimal(15, 2), T.decimal(15, 2),
  { id: 'CHAR', length: 1 }, { id: 'CHAR', length: 1 }, T.date, T.date, T.date,
  { id: 'CHAR', length: 25 }, { id: 'CHAR', length: 10 }, { id: 'VARCHAR', length: 44 },
];

const WORDS = ('furiously sly final regular ironic pending express bold quick careful blithely slyly even ' +
  'accounts deposits packages requests theodolites instructions foxes pinto beans dolphins asymptotes').split(' ');

/** `n` rows of lineitem-like data, ordered by l_orderkey as dbgen emits it. */
export function lineitem(n: number, seed = 1): Vector[] {
  const r = rng(seed);
  const orderkey = new Float64Array(n), partkey = new Int32Array(n), suppkey = new Int32Array(n), linenumber = new Int32Array(n);
  const quantity = new Float64Array(n), price = new Float64Array(n), discount = new Float64Array(n), tax = new Float64Array(n);
  const ship = new Int32Array(n), commit = new Int32Array(n), receipt = new Int32Array(n);
  const rf: string[] = new Array(n), ls: string[] = new Array(n), instr: string[] = new Array(n), mode: string[] = new Array(n), comment: string[] = new Array(n);
  const INSTR = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
  const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
  let order = 1, line = 0, lines = 1 + Math.floor(r() * 7), orderDate = 8035;
  for (let i = 0; i < n; i++) {
    if (line === lines) { order += 1 + Math.floor(r() * 4); line = 0; lines = 1 + Math.floor(r() * 7); orderDate = 8035 + Math.floor(r() * 2400); }
    line++;
    orderkey[i] = order; linenumber[i] = line;
    partkey[i] = 1 + Math.floor(r() * 200000); suppkey[i] = 1 + Math.floor(r() * 10000);
    const q = 1 + Math.floor(r() * 50);
    quantity[i] = q * 100;
    price[i] = q * (90000 + Math.floor(r() * 110000)) / 100 * 100 | 0;
    discount[i] = Math.floor(r() * 11); tax[i] = Math.floor(r() * 9);
    ship[i] = orderDate + 1 + Math.floor(r() * 121); commit[i] = orderDate + 30 + Math.floor(r() * 61); receipt[i] = ship[i] + 1 + Math.floor(r() * 30);
    ls[i] = ship[i] > 9298 ? 'O' : 'F';
    rf[i] = ls[i] === 'O' ? 'N' : r() < 0.5 ? 'R' : 'A';
    instr[i] = INSTR[Math.floor(r() * 4)]; mode[i] = MODES[Math.floor(r() * 7)];
    let c = '';
    const target = 10 + Math.floor(r() * 34);
    while (c.length < target) c += (c ? ' ' : '') + WORDS[Math.floor(r() * WORDS.length)];
    comment[i] = c.slice(0, target);
  }
  const num = (t: SqlType, values: Vector['values']): Vector => ({ type: t, length: n, values, valid: null });
  const ty = LINEITEM_TYPES;
  return [
    num(ty[0], orderkey), num(ty[1], partkey), num(ty[2], suppkey), num(ty[3], linenumber),
    num(ty[4], quantity), num(ty[5], price), num(ty[6], discount), num(ty[7], tax),
    stringVector(ty[8], rf), stringVector(ty[9], ls), num(ty[10], ship), num(ty[11], commit), num(ty[12], receipt),
    stringVector(ty[13], instr), stringVector(ty[14], mode), stringVector(ty[15], comment),
  ];
}

/** Length of the rows as CSV text (what COPY would load), formatted the way dbgen prints them. */
export function csvBytes(cols: Vector[], rows = cols[0].length): number {
  let total = 0;
  const day = (d: number) => new Date(d * 86400000).toISOString().slice(0, 10);
  for (let i = 0; i < rows; i++) {
    for (const v of cols) {
      const x = v.values[i];
      const s = v.dict ? v.dict[x] : v.type.id === 'DATE' ? day(x) : v.type.id === 'DECIMAL' ? (x / 100).toFixed(2) : String(x);
      total += Buffer.byteLength(s) + 1;
    }
  }
  return total;
}
