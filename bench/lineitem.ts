// A deterministic TPC-H-style LINEITEM generator (value rules from the TPC-H spec, section 4.2.3),
// streamed to a headerless CSV in bench/data/, cached by row count.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../test/support/rng.ts';

/** The 16 LINEITEM columns in order, with the SQL types both engines load them as. */
export const LINEITEM_COLUMNS: [string, string][] = [
  ['l_orderkey', 'BIGINT'], ['l_partkey', 'INTEGER'], ['l_suppkey', 'INTEGER'], ['l_linenumber', 'INTEGER'],
  ['l_quantity', 'DECIMAL(12,2)'], ['l_extendedprice', 'DECIMAL(12,2)'], ['l_discount', 'DECIMAL(12,2)'],
  ['l_tax', 'DECIMAL(12,2)'], ['l_returnflag', 'CHAR(1)'], ['l_linestatus', 'CHAR(1)'], ['l_shipdate', 'DATE'],
  ['l_commitdate', 'DATE'], ['l_receiptdate', 'DATE'], ['l_shipinstruct', 'VARCHAR(25)'],
  ['l_shipmode', 'VARCHAR(10)'], ['l_comment', 'VARCHAR(44)'],
];

export const DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));

const INSTRUCT = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
// A slice of the spec's grammar vocabulary; comments are random words, 10..43 characters.
const WORDS = ('furiously quickly carefully blithely slyly ironic final regular express special pending ' +
  'bold even silent unusual fluffy idle busy ruthless packages requests accounts deposits foxes ideas ' +
  'theodolites pinto beans instructions dependencies excuses platelets asymptotes courts dolphins ' +
  'sleep wake are cajole haggle nag use boost affix detect integrate maintain nod was play hang ' +
  'about above according across after against along alongside among around at atop beside between')
  .split(/\s+/);


const DAY_MS = 86_400_000;
const dayOf = (iso: string): number => Date.parse(iso + 'T00:00:00Z') / DAY_MS;

/** Writes `rows` lineitem rows to `path` (no header). Deterministic for a given row count. */
export function generateLineitem(rows: number, path: string): void {
  const sf = Math.max(rows / 6_000_000, 1 / 1000);
  const parts = Math.max(Math.round(200_000 * sf), 10);
  const supps = Math.max(Math.round(10_000 * sf), 4);
  const startDay = dayOf('1992-01-01');
  const endDay = dayOf('1998-12-31');
  const currentDay = dayOf('1995-06-17');
  const orderDays = endDay - 151 - startDay + 1;
  // date strings by day number, so rows never format dates
  const dates: string[] = [];
  for (let d = startDay; d <= endDay + 200; d++) dates.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  const r = rng(19920101 + rows);
  const comments: string[] = [];
  for (let i = 0; i < 8192; i++) {
    const target = 10 + Math.floor(r() * 34);
    let c = WORDS[Math.floor(r() * WORDS.length)];
    while (c.length < target) c += ' ' + WORDS[Math.floor(r() * WORDS.length)];
    if (c.length > 43) c = c.slice(0, 43).trimEnd();
    if (c.length < 10) c = c.padEnd(10, 's');
    comments.push(c);
  }
  const cents = (c: number): string => {
    const whole = Math.floor(c / 100), frac = c % 100;
    return whole + (frac < 10 ? '.0' : '.') + frac;
  };
  const small = Array.from({ length: 11 }, (_, i) => '0.' + String(i).padStart(2, '0'));

  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  let buf = '';
  let written = 0;
  let order = 0;
  while (written < rows) {
    const orderkey = (Math.floor(order / 8) * 32) + (order % 8) + 1; // the spec's sparse keys
    order++;
    const orderDay = Math.floor(r() * orderDays);
    const lines = 1 + Math.floor(r() * 7);
    for (let ln = 1; ln <= lines && written < rows; ln++) {
      const partkey = 1 + Math.floor(r() * parts);
      const i = Math.floor(r() * 4);
      const suppkey = ((partkey + i * (Math.floor(supps / 4) + Math.floor((partkey - 1) / supps))) % supps) + 1;
      const qty = 1 + Math.floor(r() * 50);
      const retailCents = 90000 + (Math.floor(partkey / 10) % 20001) + 100 * (partkey % 1000);
      const price = qty * retailCents;
      const disc = Math.floor(r() * 11);
      const tax = Math.floor(r() * 9);
      const ship = orderDay + 1 + Math.floor(r() * 121);
      const commit = orderDay + 30 + Math.floor(r() * 61);
      const receipt = ship + 1 + Math.floor(r() * 30);
      const returnflag = receipt + startDay <= currentDay ? (r() < 0.5 ? 'R' : 'A') : 'N';
      const linestatus = ship + startDay > currentDay ? 'O' : 'F';
      buf += `${orderkey},${partkey},${suppkey},${ln},${qty}.00,${cents(price)},${small[disc]},${small[tax]},` +
        `${returnflag},${linestatus},${dates[ship]},${dates[commit]},${dates[receipt]},` +
        `${INSTRUCT[Math.floor(r() * 4)]},${MODES[Math.floor(r() * 7)]},${comments[Math.floor(r() * 8192)]}\n`;
      written++;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }
  }
  if (buf) writeSync(fd, buf);
  closeSync(fd);
  renameSync(tmp, path);
}

/** Returns the cached CSV for `rows`, generating it first if needed. */
export function lineitemCsv(rows: number, log: (s: string) => void = () => {}): string {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `lineitem-${rows}.csv`);
  if (!existsSync(path)) {
    const t = performance.now();
    generateLineitem(rows, path);
    log(`generated ${rows} rows (${(statSync(path).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s -> ${path}`);
  }
  return path;
}
