// Encodes a JSON value as UBJSON the way XGBoost's UBJWriter does (string lengths and integers as
// int64 'L', numbers as float32 'd', numeric arrays as typed containers `[$l#L<n>` / `[$d#L<n>`),
// so the SageMaker test server can save models in XGBoost 2.1's default format.
export function encodeUbjson(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  const bytes = (n: number, f: (v: DataView) => void) => { const b = new Uint8Array(n); f(new DataView(b.buffer)); parts.push(b); };
  const mark = (m: string) => parts.push(Uint8Array.of(m.charCodeAt(0)));
  const int64 = (n: number) => bytes(8, (v) => v.setBigInt64(0, BigInt(n)));
  const str = (s: string) => { const b = new TextEncoder().encode(s); mark('L'); int64(b.length); parts.push(b); };
  const isInt32 = (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31;
  const write = (v: unknown): void => {
    if (v === null) mark('Z');
    else if (typeof v === 'boolean') mark(v ? 'T' : 'F');
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) { mark('L'); int64(v); } else { mark('d'); bytes(4, (d) => d.setFloat32(0, v)); }
    } else if (typeof v === 'string') { mark('S'); str(v); }
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) {
      const ints = v.every(isInt32);
      mark('['); mark('$'); mark(ints ? 'l' : 'd'); mark('#'); mark('L'); int64(v.length);
      bytes(4 * v.length, (d) => v.forEach((x, i) => (ints ? d.setInt32(4 * i, x) : d.setFloat32(4 * i, x))));
    } else if (Array.isArray(v)) { mark('['); v.forEach(write); mark(']'); }
    else if (typeof v === 'object') {
      mark('{');
      for (const [k, x] of Object.entries(v as object)) { str(k); write(x); }
      mark('}');
    } else throw new Error(`cannot encode ${typeof v} as UBJSON`);
  };
  write(value);
  return Uint8Array.from(Buffer.concat(parts));
}
