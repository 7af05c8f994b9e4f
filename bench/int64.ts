// `npm run bench -- int64 [--rows N]`: how BIGINT could be held in memory, measured on the
// kernels' two hot loops (SUM with an exact accumulator, and a comparison filter) over values
// below 2^53, the common case. The engine keeps a Float64Array plus exact side values past 2^53
// (types/vector.ts `big`): its SUM and filter stay plain double code, while BigInt64Array needs
// either BigInt arithmetic in every generated expression (mixing with DECIMAL and DOUBLE code
// then needs conversions) or a Number(x) per row, which this shows to be the slowest by far;
// two Int32 halves cost a multiply-add per read. Best of 7 runs each, all in this one process.

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--rows');
  const N = i >= 0 ? Number(args[i + 1]) : 6_000_000;
  if (!Number.isInteger(N) || N <= 0) throw new Error('--rows must be a positive integer');
  const f64 = new Float64Array(N), b64 = new BigInt64Array(N);
  const halves = new Int32Array(b64.buffer);
  let seed = 1;
  for (let i = 0; i < N; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; const v = seed * 1000 + i; f64[i] = v; b64[i] = BigInt(v); }
  const SPILL = 4503599627370496;
  function time(name: string, f: () => number) {
    let best = Infinity, r = 0;
    for (let k = 0; k < 7; k++) { const t = performance.now(); r = f(); best = Math.min(best, performance.now() - t); }
    console.log(`${name.padEnd(48)} ${best.toFixed(1).padStart(7)} ms  (${r})`);
    return best;
  }
  const out: Record<string, number> = {};
  out.f64sum = time('Float64Array + exact side values: SUM', () => { let s = 0, big = 0n; for (let i = 0; i < N; i++) { const x = f64[i]; if (x > SPILL || x < -SPILL) { big += BigInt(x); continue; } s += x; if (s > SPILL || s < -SPILL) { big += BigInt(s); s = 0; } } return Number(big + BigInt(s)); });
  out.b64sum = time('BigInt64Array, BigInt accumulator: SUM', () => { let s = 0n; for (let i = 0; i < N; i++) s += b64[i]; return Number(s); });
  out.b64num = time('BigInt64Array, Number(x) per row: SUM', () => { let s = 0, big = 0n; for (let i = 0; i < N; i++) { const x = Number(b64[i]); s += x; if (s > SPILL || s < -SPILL) { big += BigInt(s); s = 0; } } return Number(big + BigInt(s)); });
  out.halves = time('Int32 halves (hi*2^32 + lo): SUM', () => { let s = 0, big = 0n; for (let i = 0; i < N; i++) { const x = halves[2 * i + 1] * 4294967296 + (halves[2 * i] >>> 0); s += x; if (s > SPILL || s < -SPILL) { big += BigInt(s); s = 0; } } return Number(big + BigInt(s)); });
  const c = 1e12, cb = BigInt(c);
  out.f64f = time('Float64Array: count(x > c)', () => { let n = 0; for (let i = 0; i < N; i++) if (f64[i] > c) n++; return n; });
  out.b64f = time('BigInt64Array: count(x > c) with a bigint c', () => { let n = 0; for (let i = 0; i < N; i++) if (b64[i] > cb) n++; return n; });
  out.halvesf = time('Int32 halves: count(x > c)', () => { let n = 0; for (let i = 0; i < N; i++) if (halves[2 * i + 1] * 4294967296 + (halves[2 * i] >>> 0) > c) n++; return n; });
  console.log(`ratios to Float64Array: SUM BigInt64Array ${(out.b64sum / out.f64sum).toFixed(2)}x, halves ${(out.halves / out.f64sum).toFixed(2)}x; filter BigInt64Array ${(out.b64f / out.f64f).toFixed(2)}x, halves ${(out.halvesf / out.f64f).toFixed(2)}x`);
}
