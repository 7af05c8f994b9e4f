// Splits a PostgreSQL v3 byte stream into messages: first one untyped startup packet
// (length, then body), then typed messages (1-byte type, length, body). Bounded: a message
// whose declared length exceeds the limit is a protocol violation, never buffered.

/** Request codes of untyped packets (in place of a protocol version). */
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3_0 = 196608;

/** A frontend message: its type byte (0 for a startup packet) and its body. */
export interface Frame { type: number; body: Buffer }

export class FrameTooLarge extends Error {
  constructor(readonly length: number, readonly limit: number) {
    super(`message of ${length} bytes is larger than the limit of ${limit} bytes`);
  }
}

export class MalformedFrame extends Error {}

/** Accumulates socket chunks and yields complete frames. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** true until the startup packet (or an SSL/GSS request, which is also untyped) is read */
  expectStartup = true;

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame, or null when more bytes are needed. Throws on a bad length. */
  next(): Frame | null {
    const header = this.expectStartup ? 4 : 5;
    if (this.buffered < header) return null;
    const head = this.peek(header);
    const type = this.expectStartup ? 0 : head[0];
    const length = head.readInt32BE(this.expectStartup ? 0 : 1);
    if (length < 4) throw new MalformedFrame(`invalid message length ${length}`);
    if (length > this.maxMessageBytes) throw new FrameTooLarge(length, this.maxMessageBytes);
    const total = length + (this.expectStartup ? 0 : 1);
    if (this.buffered < total) return null;
    const all = this.take(total);
    const body = all.subarray(header);
    // SSLRequest and GSSENCRequest are followed by the real startup packet, also untyped
    if (this.expectStartup && !(body.length === 4 && (body.readInt32BE(0) === SSL_REQUEST || body.readInt32BE(0) === GSSENC_REQUEST))) this.expectStartup = false;
    return { type, body };
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const b = Buffer.concat(this.chunks);
    this.chunks = [b];
    return b;
  }

  private take(n: number): Buffer {
    const b = this.peek(n);
    const out = b.subarray(0, n);
    const rest = b.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered -= n;
    return out;
  }
}

/** Reads the fields of a message body in order. Every read checks bounds. */
export class BodyReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number { return this.buf.length - this.pos; }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new MalformedFrame('message is shorter than its fields');
  }
  int16(): number { this.need(2); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  int32(): number { this.need(4); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  byte(): number { this.need(1); return this.buf[this.pos++]; }
  bytes(n: number): Buffer { this.need(n); const b = this.buf.subarray(this.pos, this.pos + n); this.pos += n; return b; }
  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new MalformedFrame('string is not NUL-terminated');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  rest(): Buffer { const b = this.buf.subarray(this.pos); this.pos = this.buf.length; return b; }
}

/** Builds one backend message: type byte, length, then fields. */
export class MessageWriter {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly type: string) {}

  int8(v: number): this { return this.add(Buffer.from([v & 0xff])); }
  int16(v: number): this { const b = Buffer.alloc(2); b.writeInt16BE(v); return this.add(b); }
  int32(v: number): this { const b = Buffer.alloc(4); b.writeInt32BE(v); return this.add(b); }
  cstring(s: string): this { return this.add(Buffer.from(`${s}\0`, 'utf8')); }
  bytes(b: Buffer): this { return this.add(b); }

  private add(b: Buffer): this { this.parts.push(b); this.size += b.length; return this; }

  finish(): Buffer {
    const head = Buffer.alloc(5);
    head.write(this.type, 0, 'latin1');
    head.writeInt32BE(this.size + 4, 1);
    return Buffer.concat([head, ...this.parts], 5 + this.size);
  }
}
