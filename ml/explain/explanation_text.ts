// fn_explain's result column, built without a JS string per piece: every row's JSON text goes
// into one character buffer, the batch is decoded into one string once, and each distinct row
// text is a substring of it (V8 keeps those as slices, not copies). Equal row texts share one
// dictionary entry, found by a hash of the numbers as written and a compare of the written
// characters, so the engine gets a dictionary-coded column it does not have to hash again.
//
// Numbers are written with 15 significant digits (DBL_DIG: a double's guaranteed decimal
// precision, what PostgreSQL printed float8 with before version 12), trailing zeros dropped:
// 0.5, 1.25 and 3 print as JavaScript prints them; a value that needs 16 or 17 digits to
// round-trip is rounded at the 15th. Shortest round-trip
// printing costs ~200 ns a number in V8, the whole of a tree explanation's budget for 20 of them.

/** Exact powers of ten a double holds (10^0 .. 10^22). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DIGITS = 15;
const LOW = 1e14, HIGH = 1e15;

/** a · 10^k: one rounding while 10^|k| is exact (|k| ≤ 22), a few more at the ends of the range. */
function scale(a: number, k: number): number {
  for (; k > 22; k -= 22) a *= 1e22;
  for (; k < -22; k += 22) a /= 1e22;
  return k >= 0 ? a * POW10[k] : a / POW10[-k];
}

/** A batch of JSON texts, one per row, written piece by piece into one growing buffer. */
export class ExplanationText {
  private buf: Uint8Array | Uint16Array;
  private at = 0;
  /** where the row being written starts */
  private rowStart = 0;
  private rowHash = 0;
  /** per distinct text: [start, end) in the buffer */
  private starts: Int32Array;
  private ends: Int32Array;
  private distinct = 0;
  /** open addressing over distinct texts by hash: slot holds index + 1 */
  private slots: Int32Array;
  private slotHash: Int32Array;
  readonly codes: Int32Array;
  private rows = 0;
  private readonly digits = new Uint8Array(DIGITS);

  /**
   * `wide`: some constant piece has a character past U+00FF, so the buffer holds UTF-16 code
   * units; `rowLength`: a guess of a row's length, so the buffer rarely grows.
   */
  constructor(count: number, private readonly wide: boolean, rowLength = 256) {
    const length = Math.max(64, count * rowLength);
    this.buf = wide ? new Uint16Array(length) : new Uint8Array(length);
    this.codes = new Int32Array(count);
    this.starts = new Int32Array(Math.max(1, count));
    this.ends = new Int32Array(Math.max(1, count));
    let size = 16;
    while (size < count * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.slotHash = new Int32Array(Math.max(1, count));
  }

  /** Whether `pieces` need a UTF-16 buffer. */
  static needsWide(pieces: string[]): boolean {
    return pieces.some((p) => { for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) > 0xff) return true; return false; });
  }

  /**
   * Constant text (names, keys, punctuation, labels). Only numbers feed the row's hash: texts
   * that differ in their constant parts alone are told apart by the compare.
   */
  text(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
  }

  /** A JSON number: 15 significant digits, `null` for NaN and infinities. */
  number(x: number): void {
    this.reserve(32);
    if (x !== x || x === Infinity || x === -Infinity) { this.text('null'); return; }
    const buf = this.buf;
    let at = this.at;
    if (x === 0) { buf[at++] = 48; this.at = at; this.rowHash = Math.imul(this.rowHash ^ 48, 0x01000193); return; }
    const neg = x < 0 ? 1 : 0;
    if (neg) { buf[at++] = 45; x = -x; }
    // 15 digits of the largest doubles would round past the range
    if (x > 1.79769313486231e308) { this.at = at; this.text(String(x)); return; }
    let e = Math.floor(Math.log10(x));
    let m = Math.round(scale(x, DIGITS - 1 - e));
    // log10 may be one off near powers of ten; rounding may carry into a 16th digit
    if (m >= HIGH) { e++; m = Math.round(scale(x, DIGITS - 1 - e)); }
    else if (m < LOW) { e--; m = Math.round(scale(x, DIGITS - 1 - e)); }
    if (m >= HIGH) { e++; m = LOW; }
    // the 15 digits, most significant first: two exact int32 halves
    const d = this.digits;
    const hi0 = Math.floor(m / 1e8) | 0, lo0 = (m - hi0 * 1e8) | 0;
    let hi = hi0, lo = lo0;
    for (let i = 14; i >= 7; i--) { const q = (lo / 10) | 0; d[i] = lo - q * 10; lo = q; }
    for (let i = 6; i >= 0; i--) { const q = (hi / 10) | 0; d[i] = hi - q * 10; hi = q; }
    let n = DIGITS;
    while (n > 1 && d[n - 1] === 0) n--;
    if (e >= 21 || e <= -7) {
      // as JavaScript writes them: 1.5e+21, 2e-7
      buf[at++] = 48 + d[0];
      if (n > 1) { buf[at++] = 46; for (let i = 1; i < n; i++) buf[at++] = 48 + d[i]; }
      buf[at++] = 101; buf[at++] = e < 0 ? 45 : 43;
      const ex = e < 0 ? -e : e;
      if (ex >= 100) buf[at++] = 48 + ((ex / 100) | 0);
      if (ex >= 10) buf[at++] = 48 + (((ex / 10) | 0) % 10);
      buf[at++] = 48 + (ex % 10);
    } else if (e < 0) {
      buf[at++] = 48; buf[at++] = 46;
      for (let i = -1; i > e; i--) buf[at++] = 48;
      for (let i = 0; i < n; i++) buf[at++] = 48 + d[i];
    } else {
      for (let i = 0; i <= e; i++) buf[at++] = i < n ? 48 + d[i] : 48;
      if (n > e + 1) { buf[at++] = 46; for (let i = e + 1; i < n; i++) buf[at++] = 48 + d[i]; }
    }
    // the row's hash follows the written digits (m and e say them all; the sign bit too)
    this.rowHash = Math.imul(Math.imul(Math.imul(this.rowHash ^ hi0, 0x01000193) ^ lo0, 0x01000193) ^ (e * 2 + neg), 0x01000193);
    this.at = at;
  }

  /** Ends the current row: its code is an earlier row's when the texts are equal. */
  endRow(): void {
    const start = this.rowStart, end = this.at, h = this.rowHash | 0, mask = this.slots.length - 1;
    let s = (h ^ (h >>> 15)) & mask;
    for (; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e === 0) break;
      const j = e - 1;
      if (this.slotHash[j] === h && this.same(j, start, end)) {
        this.codes[this.rows++] = j;
        this.at = start; // the text is already there: drop this copy
        this.rowHash = 0;
        return;
      }
    }
    const j = this.distinct++;
    this.starts[j] = start; this.ends[j] = end; this.slotHash[j] = h;
    this.slots[s] = j + 1;
    this.codes[this.rows++] = j;
    this.rowStart = end;
    this.rowHash = 0;
  }

  /** The dictionary: one decode of the buffer, one substring per distinct text. */
  dictionary(): string[] {
    const b = this.buf;
    const all = Buffer.from(b.buffer, b.byteOffset, this.at * b.BYTES_PER_ELEMENT).toString(this.wide ? 'utf16le' : 'latin1');
    const dict: string[] = new Array(this.distinct);
    for (let j = 0; j < this.distinct; j++) dict[j] = all.slice(this.starts[j], this.ends[j]);
    return dict;
  }

  private same(j: number, start: number, end: number): boolean {
    const a = this.starts[j];
    if (this.ends[j] - a !== end - start) return false;
    const buf = this.buf;
    for (let i = 0; i < end - start; i++) if (buf[a + i] !== buf[start + i]) return false;
    return true;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = this.wide ? new Uint16Array((this.at + n) * 2) : new Uint8Array((this.at + n) * 2);
    grown.set(this.buf.subarray(0, this.at));
    this.buf = grown;
  }
}
