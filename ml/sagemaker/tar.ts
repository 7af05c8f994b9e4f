// model.tar.gz: a minimal ustar reader and writer (regular files only) over node:zlib gzip.
import { gunzipSync, gzipSync } from 'node:zlib';

const BLOCK = 512;

/** One regular file of an archive. */
export interface TarEntry { name: string; data: Uint8Array }

/** Reads a tar archive (gzip-compressed when it starts with the gzip magic); returns its regular files. */
export function readTarGz(bytes: Uint8Array): TarEntry[] {
  const tar = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  const out: TarEntry[] = [];
  let longName: string | null = null;
  for (let at = 0; at + BLOCK <= tar.length;) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    if (!checksumOk(h)) throw new Error(`corrupt tar header at byte ${at}`);
    const size = octal(h.subarray(124, 136));
    const type = String.fromCharCode(h[156] || 0x30);
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    if (data.length < size) throw new Error('truncated tar archive');
    const prefix = text(h.subarray(345, 500));
    const name = longName ?? (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    longName = null;
    if (type === 'L') longName = text(data); // GNU long name for the next entry
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data))?.[1] ?? null; // pax header
    else if (type === '0' || type === '7') out.push({ name: name.replace(/^\.\//, ''), data: data.slice() });
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

/** Writes regular files as a gzip-compressed ustar archive (names up to 100 bytes). */
export function writeTarGz(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    if (name.length > 100) throw new Error(`tar entry name too long: ${e.name}`);
    const h = new Uint8Array(BLOCK);
    h.set(name, 0);
    field(h, 100, 8, 0o644); field(h, 108, 8, 0); field(h, 116, 8, 0);
    field(h, 124, 12, e.data.length); field(h, 136, 12, Math.floor(Date.now() / 1000));
    h[156] = 0x30;
    h.set(new TextEncoder().encode('ustar\u000000'), 257);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 7, sum); h[155] = 0x20;
    parts.push(h, e.data, new Uint8Array((BLOCK - (e.data.length % BLOCK)) % BLOCK));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return new Uint8Array(gzipSync(Buffer.concat(parts)));
}

/** An octal number field, NUL-terminated, zero-padded to `len - 1` digits. */
function field(h: Uint8Array, at: number, len: number, v: number): void {
  h.set(new TextEncoder().encode(v.toString(8).padStart(len - 1, '0')), at);
}

function octal(b: Uint8Array): number {
  const s = text(b).trim();
  return s ? parseInt(s, 8) : 0;
}

function text(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === octal(h.subarray(148, 156));
}
