// A deterministic TPC-H data generator for all eight tables at any scale factor, following the
// spec's cardinalities, keys and value domains (TPC-H 3.0, section 4.2.3). Text columns are
// random substrings of a text pool built from the spec's word classes, as dbgen does. Output is
// one '|'-delimited file per table (no header, no quoting: no value contains '|').
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from '../../test/support/rng.ts';

const NATIONS: [string, number][] = [
  ['ALGERIA', 0], ['ARGENTINA', 1], ['BRAZIL', 1], ['CANADA', 1], ['EGYPT', 4], ['ETHIOPIA', 0], ['FRANCE', 3],
  ['GERMANY', 3], ['INDIA', 2], ['INDONESIA', 2], ['IRAN', 4], ['IRAQ', 4], ['JAPAN', 2], ['JORDAN', 4], ['KENYA', 0],
  ['MOROCCO', 0], ['MOZAMBIQUE', 0], ['PERU', 1], ['CHINA', 2], ['ROMANIA', 3], ['SAUDI ARABIA', 4], ['VIETNAM', 2],
  ['RUSSIA', 3], ['UNITED KINGDOM', 3], ['UNITED STATES', 1],
];
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
const COLORS = ('almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished ' +
  'chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick floral ' +
  'forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender lawn lemon ' +
  'light lime linen magenta maroon medium metallic midnight mint misty moccasin navajo navy olive orange orchid ' +
  'pale papaya peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy seashell sienna sky ' +
  'slate smoke snow spring steel tan thistle tomato turquoise violet wheat white yellow').split(' ');
const TYPE_1 = ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'];
const TYPE_2 = ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'];
const TYPE_3 = ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'];
const CONTAINER_1 = ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'];
const CONTAINER_2 = ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'];
const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'];
const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const INSTRUCTIONS = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];

// The text grammar's word classes (spec 4.2.2.10), used to build the comment pool.
const NOUNS = ('foxes ideas theodolites pinto beans instructions dependencies excuses platelets asymptotes courts ' +
  'dolphins multipliers sauternes warthogs frets dinos attainments somas Tiresias patterns forges braids frays ' +
  'warhorses dugouts notornis epitaphs pearls tithes waters orbits gifts sheaves depths sentiments decoys realms ' +
  'pains grouches escapades packages requests accounts deposits').split(' ');
const VERBS = ('sleep wake are cajole haggle nag use boost affix detect integrate maintain nod was lose sublate ' +
  'solve thrash promise engage hinder print x-ray breach eat grow impress mold poach serve run dazzle snooze doze ' +
  'unwind kindle play hang believe doubt').split(' ');
const ADJECTIVES = ('furious sly careful blithe quick fluffy slow quiet ruthless thin close dogged daring brave ' +
  'stealthy permanent enticing idle busy regular final ironic even bold silent special pending unusual express').split(' ');
const ADVERBS = ('sometimes always never furiously slyly carefully blithely quickly fluffily slowly quietly ' +
  'ruthlessly thinly closely doggedly daringly bravely stealthily permanently enticingly idly busily regularly ' +
  'finally ironically evenly boldly silently').split(' ');
const PREPOSITIONS = ('about above across after against along among around at atop before behind beneath beside ' +
  'besides between beyond by despite during except for from inside into near of on outside over past since ' +
  'through throughout to toward under until up upon without with within').split(' ');
const TERMINATORS = ['.', ';', ':', '?', '!', '--'];

const DAY_MS = 86_400_000;
const dayOf = (iso: string): number => Date.parse(iso + 'T00:00:00Z') / DAY_MS;
const START_DAY = dayOf('1992-01-01');
const END_DAY = dayOf('1998-12-31');
const CURRENT_DAY = dayOf('1995-06-17');

/** Row counts of each table at scale factor `sf` (lineitem varies: 1-7 lines per order). */
export function tpchCardinalities(sf: number): Record<string, number> {
  const n = (base: number): number => Math.max(1, Math.floor(base * sf));
  return {
    region: 5, nation: 25, supplier: n(10_000), customer: n(150_000), part: n(200_000),
    partsupp: 4 * n(200_000), orders: n(1_500_000),
  };
}

class Writer {
  private buf = '';
  private readonly fd: number;
  constructor(path: string) { this.fd = openSync(path, 'w', 0o600); }
  row(fields: (string | number)[]): void {
    this.buf += fields.join('|') + '\n';
    if (this.buf.length > 1 << 20) this.flush();
  }
  flush(): void { if (this.buf) { writeSync(this.fd, this.buf); this.buf = ''; } }
  close(): void { this.flush(); closeSync(this.fd); }
}

/** Generates the eight tables into `dir` as `<table>.tbl`; deterministic for a scale factor. */
export function generateTpch(sf: number, dir: string): void {
  if (!(sf > 0)) throw new Error('scale factor must be positive');
  mkdirSync(dir, { recursive: true });
  const card = tpchCardinalities(sf);
  const r = rng(Math.round(sf * 1e6) ^ 0x7c0ffee);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const money = (cents: number): string => {
    const neg = cents < 0, a = Math.abs(cents);
    return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
  };
  const key9 = (prefix: string, k: number): string => prefix + String(k).padStart(9, '0');
  const dates: string[] = [];
  for (let d = START_DAY; d <= END_DAY + 160; d++) dates.push(new Date(d * DAY_MS).toISOString().slice(0, 10));
  const date = (day: number): string => dates[day - START_DAY];

  const pool = textPool(r, 1 << 20);
  const text = (min: number, max: number): string => {
    const len = int(min, max);
    const at = Math.floor(r() * (pool.length - len));
    return pool.slice(at, at + len).trim();
  };
  const vstring = (min: number, max: number): string => { // spec 4.2.2.7: random alphanumerics
    const chars = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ,. ';
    let s = '';
    for (let i = int(min, max); i > 0; i--) s += chars[Math.floor(r() * chars.length)];
    return s.trim() || 'x';
  };
  const phone = (nation: number): string => `${nation + 10}-${int(100, 999)}-${int(100, 999)}-${int(1000, 9999)}`;

  const out = (name: string): Writer => new Writer(join(dir, `${name}.tbl`));

  let w = out('region');
  REGIONS.forEach((name, k) => w.row([k, name, text(31, 115)]));
  w.close();

  w = out('nation');
  NATIONS.forEach(([name, region], k) => w.row([k, name, region, text(31, 114)]));
  w.close();

  const S = card.supplier;
  // Spec: SF*5 suppliers' comments carry "Customer ... Complaints", SF*5 "Customer ... Recommends".
  const special = Math.max(1, Math.round(5 * sf));
  const complaints = new Set<number>(), recommends = new Set<number>();
  while (complaints.size < Math.min(special, S)) complaints.add(int(1, S));
  while (recommends.size < Math.min(special, S - complaints.size)) { const k = int(1, S); if (!complaints.has(k)) recommends.add(k); }
  w = out('supplier');
  for (let k = 1; k <= S; k++) {
    const nation = int(0, 24);
    let comment = text(25, 100);
    if (complaints.has(k) || recommends.has(k)) {
      const tail = complaints.has(k) ? 'Complaints' : 'Recommends';
      comment = `${comment.slice(0, Math.max(0, comment.length - 30))} Customer ${comment.slice(0, 6).trim()} ${tail}`.trim();
    }
    w.row([k, key9('Supplier#', k), vstring(10, 40), nation, phone(nation), money(int(-99_999, 999_999)), comment]);
  }
  w.close();

  w = out('customer');
  for (let k = 1; k <= card.customer; k++) {
    const nation = int(0, 24);
    w.row([k, key9('Customer#', k), vstring(10, 40), nation, phone(nation), money(int(-99_999, 999_999)), pick(SEGMENTS), text(29, 116)]);
  }
  w.close();

  const P = card.part;
  const retailCents = (p: number): number => 90_000 + (Math.floor(p / 10) % 20_001) + 100 * (p % 1000);
  const supplierOf = (p: number, i: number): number => ((p + i * (Math.floor(S / 4) + Math.floor((p - 1) / S))) % S) + 1;
  w = out('part');
  const ps = out('partsupp');
  for (let p = 1; p <= P; p++) {
    const words = new Set<string>();
    while (words.size < 5) words.add(pick(COLORS));
    const m = int(1, 5);
    w.row([
      p, [...words].join(' '), `Manufacturer#${m}`, `Brand#${m}${int(1, 5)}`,
      `${pick(TYPE_1)} ${pick(TYPE_2)} ${pick(TYPE_3)}`, int(1, 50), `${pick(CONTAINER_1)} ${pick(CONTAINER_2)}`,
      money(retailCents(p)), text(5, 22),
    ]);
    for (let i = 0; i < 4; i++) ps.row([p, supplierOf(p, i), int(1, 9999), money(int(100, 100_000)), text(49, 198)]);
  }
  w.close();
  ps.close();

  // Orders and their lineitems together: o_orderstatus and o_totalprice derive from the lines.
  const C = card.customer;
  const orders = out('orders');
  const lineitem = out('lineitem');
  const lastOrderDay = END_DAY - 151;
  for (let o = 0; o < card.orders; o++) {
    const orderkey = Math.floor(o / 8) * 32 + (o % 8) + 1; // sparse keys: 8 of every 32
    let cust = int(1, C);
    while (cust % 3 === 0) cust = int(1, C); // a third of the customers never order
    const orderDay = int(START_DAY, lastOrderDay);
    const priority = pick(PRIORITIES);
    const clerk = key9('Clerk#', int(1, Math.max(1, Math.floor(sf * 1000))));
    const comment = text(19, 78);
    const lines = int(1, 7);
    let total = 0, shippedF = 0;
    for (let ln = 1; ln <= lines; ln++) {
      const part = int(1, P);
      const supp = supplierOf(part, int(0, 3));
      const qty = int(1, 50);
      const ext = qty * retailCents(part);
      const disc = int(0, 10), tax = int(0, 8);
      const ship = orderDay + int(1, 121);
      const commit = orderDay + int(30, 90);
      const receipt = ship + int(1, 30);
      const returnflag = receipt <= CURRENT_DAY ? (r() < 0.5 ? 'R' : 'A') : 'N';
      const linestatus = ship > CURRENT_DAY ? 'O' : 'F';
      if (linestatus === 'F') shippedF++;
      total += Math.round(ext * (100 + tax) * (100 - disc) / 10_000);
      lineitem.row([
        orderkey, part, supp, ln, qty, money(ext), money(disc), money(tax), returnflag, linestatus,
        date(ship), date(commit), date(receipt), pick(INSTRUCTIONS), pick(MODES), text(10, 43),
      ]);
    }
    const status = shippedF === lines ? 'F' : shippedF === 0 ? 'O' : 'P';
    orders.row([orderkey, cust, status, money(total), date(orderDay), priority, clerk, 0, comment]);
  }
  orders.close();
  lineitem.close();
}

/** A pool of grammar-shaped sentences (spec 4.2.2.10) that comments are cut from. */
function textPool(r: () => number, size: number): string {
  const pick = (xs: string[]): string => xs[Math.floor(r() * xs.length)];
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const np = () => (r() < 0.5 ? pick(NOUNS) : `${pick(ADJECTIVES)} ${pick(NOUNS)}`);
    const vp = () => (r() < 0.5 ? pick(VERBS) : `${pick(VERBS)} ${pick(ADVERBS)}`);
    let s: string;
    switch (Math.floor(r() * 4)) {
      case 0: s = `${np()} ${vp()}`; break;
      case 1: s = `${np()} ${vp()} ${pick(PREPOSITIONS)} the ${np()}`; break;
      case 2: s = `${np()} ${vp()} ${np()}`; break;
      default: s = `${np()} ${pick(PREPOSITIONS)} the ${np()} ${vp()} ${pick(PREPOSITIONS)} the ${np()}`;
    }
    s += pick(TERMINATORS) + ' ';
    parts.push(s);
    len += s.length;
  }
  return parts.join('');
}
