// What the crash child writes for each sequence number, shared with the parent that checks it.

export const ACCOUNTS = 8;
export const INITIAL_BALANCE = 1000;

export interface BatchRow { seq: number; k: number; v: number; note: string }

/** A small deterministic hash of a sequence number (and a salt). */
function h(seq: number, salt: number): number {
  let x = Math.imul(seq ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  x ^= x >>> 15;
  x = Math.imul(x, 0x27d4eb2d);
  return (x ^ (x >>> 13)) >>> 0;
}

/** The rows of an INSERT/COPY batch: 1..300 rows whose k are 0..n-1. */
export function batchRows(seq: number): BatchRow[] {
  const n = 1 + (h(seq, 0) % 300);
  return Array.from({ length: n }, (_, k) => ({ seq, k, v: (h(seq, k + 1) % 2_000_001) - 1_000_000, note: `b${seq}-${k}` }));
}

export function batchSum(seq: number): number {
  return batchRows(seq).reduce((s, r) => s + r.v, 0);
}

/** The transfer of an UPDATE batch: an amount moved from one account to another. */
export function transferOf(seq: number): { src: number; dst: number; amount: number } {
  const src = h(seq, 7) % ACCOUNTS;
  const dst = (src + 1 + (h(seq, 8) % (ACCOUNTS - 1))) % ACCOUNTS;
  return { src, dst, amount: 1 + (h(seq, 9) % 500) };
}
