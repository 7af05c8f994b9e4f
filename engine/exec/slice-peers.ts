// A slice's direct lines to the other slices (one MessagePort per peer, set up by the pool) and
// its mailbox for redistributed rows: every slice sends each peer that peer's part of an
// exchange, tagged with the exchange, and waits for one part from every peer. Parts that arrive
// before the slice asks for them wait in the mailbox. The leader aborts an exchange whose
// statement failed, so no slice waits for a peer that stopped.
import type { MessagePort } from 'node:worker_threads';
import { SqlError } from '../errors.ts';

/** One part on the wire: exchange `tag` (request and program), from slice `from`; the part is
 *  rows (wire columns) or partial aggregate states, whichever the exchange moves. */
interface PartMessage { tag: string; from: number; part: unknown }

interface Box {
  parts: Map<number, unknown>;
  waiter?: { need: number; resolve: (parts: Map<number, unknown>) => void; reject: (e: unknown) => void };
}

/** How often a slice waiting for its peers checks whether its statement was canceled. */
const POLL_MS = 25;
/** Aborted exchange ids remembered, so parts still in flight for them are dropped. */
const ABORTED_KEPT = 256;

export class SlicePeers {
  private readonly ports = new Map<number, MessagePort>();
  private readonly boxes = new Map<string, Box>();
  private readonly aborted: number[] = [];

  constructor(readonly self: number) {}

  /** The port to `peer` (a restarted peer replaces its old port). */
  connect(peer: number, port: MessagePort): void {
    this.ports.get(peer)?.close();
    this.ports.set(peer, port);
    port.on('message', (m: PartMessage) => this.deliver(m));
  }

  /** Sends a part (wire form; the buffers in `transfer` move) to `peer` for exchange `tag`. */
  send(peer: number, tag: string, part: unknown, transfer: ArrayBuffer[]): void {
    const port = this.ports.get(peer);
    if (!port) throw new SqlError('INTERNAL_ERROR', `slice ${this.self} has no line to slice ${peer}`);
    port.postMessage({ tag, from: this.self, part } satisfies PartMessage, transfer);
  }

  /**
   * The parts every one of `peers` sent for `tag`, by sender; `check` throws when the statement
   * was canceled (polled while waiting).
   */
  async receive(tag: string, peers: number, check: () => void): Promise<Map<number, unknown>> {
    const box = this.box(tag);
    if (box.parts.size < peers) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<Map<number, unknown>>((resolve, reject) => {
          box.waiter = { need: peers, resolve, reject };
          timer = setInterval(() => { try { check(); } catch (e) { reject(e); } }, POLL_MS);
        });
      } finally {
        clearInterval(timer);
      }
    }
    this.boxes.delete(tag);
    return box.parts;
  }

  /** Drops exchange `id`'s parts and fails whoever waits for them (its statement failed). */
  abort(id: number): void {
    this.aborted.push(id);
    if (this.aborted.length > ABORTED_KEPT) this.aborted.shift();
    for (const [tag, box] of this.boxes) {
      if (idOf(tag) !== id) continue;
      this.boxes.delete(tag);
      box.waiter?.reject(new SqlError('QUERY_CANCELED', 'the statement stopped in another slice'));
    }
  }

  private deliver(m: PartMessage): void {
    if (this.aborted.includes(idOf(m.tag))) return;
    const box = this.box(m.tag);
    box.parts.set(m.from, m.part);
    if (box.waiter && box.parts.size >= box.waiter.need) box.waiter.resolve(box.parts);
  }

  private box(tag: string): Box {
    let b = this.boxes.get(tag);
    if (!b) { b = { parts: new Map() }; this.boxes.set(tag, b); }
    return b;
  }
}

/** An exchange's tag: the request's exchange id and the program whose rows move. */
export const exchangeTag = (id: number, program: number): string => `${id}:${program}`;
const idOf = (tag: string): number => Number(tag.slice(0, tag.indexOf(':')));
