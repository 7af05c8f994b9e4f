// A Universal Binary JSON (UBJSON, ubjson.org) decoder: what XGBoost writes for `save_model('model.ubj')`
// and, from 2.1 on, for any other model name. Strongly typed containers (`[$d#L<n>...`) become plain arrays.

/** Decodes one UBJSON value that must span all of `bytes`; errors name the byte offset. */
export function decodeUbjson(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const v = r.value();
  if (r.at !== bytes.length) throw new Error(`UBJSON: ${bytes.length - r.at} unexpected bytes after the value at byte ${r.at}`);
  return v;
}

/** Containers nested deeper than this are refused (a model is about 8 deep). */
const MAX_DEPTH = 64;

class Reader {
  at = 0;
  private readonly view: DataView;
  private depth = 0;
  constructor(private readonly b: Uint8Array) { this.view = new DataView(b.buffer, b.byteOffset, b.byteLength); }

  private fail(msg: string): never { throw new Error(`UBJSON: ${msg} at byte ${this.at}`); }
  private need(n: number): number {
    if (this.at + n > this.b.length) this.fail(`truncated (need ${n} more bytes)`);
    const at = this.at;
    this.at += n;
    return at;
  }
  private marker(): string {
    let m: string;
    do m = String.fromCharCode(this.b[this.need(1)]); while (m === 'N'); // N: no-op padding
    return m;
  }

  value(): unknown { return this.typed(this.marker()); }

  private typed(m: string): unknown {
    const v = this.view;
    switch (m) {
      case 'Z': return null;
      case 'T': return true;
      case 'F': return false;
      case 'i': return v.getInt8(this.need(1));
      case 'U': return v.getUint8(this.need(1));
      case 'I': return v.getInt16(this.need(2));
      case 'l': return v.getInt32(this.need(4));
      case 'L': return Number(v.getBigInt64(this.need(8)));
      case 'd': return v.getFloat32(this.need(4));
      case 'D': return v.getFloat64(this.need(8));
      case 'C': return String.fromCharCode(v.getUint8(this.need(1)));
      case 'S': return this.string();
      case 'H': { const s = this.string(); const n = Number(s); if (!Number.isFinite(n)) this.fail(`high-precision number '${s}'`); return n; }
      case '[': return this.container(false);
      case '{': return this.container(true);
      default: return this.fail(`unknown type marker '${m}' (0x${m.charCodeAt(0).toString(16)})`);
    }
  }

  private count(): number {
    const n = this.typed(this.marker());
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) this.fail(`bad length ${String(n)}`);
    if (n > this.b.length - this.at) this.fail(`length ${n} exceeds the remaining ${this.b.length - this.at} bytes`);
    return n;
  }

  private string(): string {
    const n = this.count();
    return new TextDecoder().decode(this.b.subarray(this.need(n), this.at));
  }

  /** `[` / `{` with optional `$type` and `#count`; without a count the container ends at `]` / `}`. */
  private container(object: boolean): unknown {
    if (++this.depth > MAX_DEPTH) this.fail(`containers nested deeper than ${MAX_DEPTH}`);
    let type: string | null = null, n = -1;
    if (this.b[this.at] === 0x24 /* $ */) { this.at++; type = this.marker(); }
    if (this.b[this.at] === 0x23 /* # */) { this.at++; n = this.count(); } else if (type) this.fail('a typed container needs a count (#)');
    const item = () => (type ? this.typed(type) : this.value());
    const end = object ? '}' : ']';
    const out: unknown = object ? Object.create(null) : [];
    for (let i = 0; n < 0 || i < n; i++) {
      if (n < 0) {
        while (this.b[this.at] === 0x4e /* N */) this.at++;
        if (this.b[this.at] === end.charCodeAt(0)) { this.at++; break; }
      }
      if (object) (out as Record<string, unknown>)[this.string()] = item();
      else (out as unknown[]).push(item());
    }
    this.depth--;
    return out;
  }
}
