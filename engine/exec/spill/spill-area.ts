// The data directory's temp area (`<data dir>/tmp`, owner-only), where operators over their
// memory budget write partitions and sorted runs. Each statement that spills gets its own
// directory, made on its first spill and removed when the statement ends (success, error or
// cancel); what a crash leaves behind is removed when the directory is next opened. A
// statement may write at most SPILL_FACTOR times its memory limit, and at most half the space
// free on the disk when it first spills, so one query cannot fill the disk.
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import { join } from 'node:path';
import { mkdirPrivate } from '../../storage/durable.ts';
import { SqlError } from '../../errors.ts';
import { SpillReader, SpillWriter } from './spill-file.ts';
import type { MemoryBudget } from '../memory-budget.ts';

/** How many times its memory limit a statement may write to the temp area. */
export const SPILL_FACTOR = 8;

/** The temp area of a data directory. */
export function spillRoot(dataDir: string): string {
  return join(dataDir, 'tmp');
}

/** Creates the temp area (0700) and removes whatever an earlier process left in it. */
export async function openSpillRoot(dataDir: string): Promise<void> {
  const root = spillRoot(dataDir);
  await mkdirPrivate(root);
  for (const e of readdirSync(root)) rmSync(join(root, e), { recursive: true, force: true });
}

/**
 * The BroadcastChannel on which every spill file is announced (its path) as it is made, in the
 * leader and in every slice, when TEMP_FILES_ENV is set to 1 in the process (slices started
 * after inherit it): whoever watches a temp area (tests that check a statement spilled, or
 * cancel it once it does) sees each file however briefly it lived and however loaded the
 * machine is, where polling the directory missed files made and removed between two looks. A
 * server, which nobody watches this way, sends nothing.
 */
export const TEMP_FILES_CHANNEL = 'strata temp files';
export const TEMP_FILES_ENV = 'STRATA_ANNOUNCE_TEMP_FILES';
let announcer: BroadcastChannel | null = null;

function announce(path: string): string {
  if (process.env[TEMP_FILES_ENV] !== '1') return path;
  if (!announcer) {
    announcer = new BroadcastChannel(TEMP_FILES_CHANNEL);
    // it only sends: it keeps no thread alive
    announcer.unref();
  }
  announcer.postMessage(path);
  return path;
}

/** A new name for a run's spill directories (the leader's, and its slices' prefixed by it). */
export const newSpillName = () => `q-${randomBytes(6).toString('hex')}`;

/**
 * Spill files of one statement in one thread (the leader, or a slice running one request): a
 * private directory and a byte cap. What is written counts into the statement's budget, which
 * the leader and its slices share, so the cap holds for the statement as a whole. The leader's
 * directory is `<temp area>/<name>`, a slice request's `<name>-s<slice>-<random>`: files a slice
 * hands on (partial aggregate states) outlive its request, and the leader removes every
 * directory of the name when the run ends (`sweep`).
 */
export class StatementSpill {
  private dir: string | null = null;
  private n = 0;
  /** files open now: closed when the statement ends, whatever it was doing */
  private readonly open = new Set<SpillWriter | SpillReader>();
  private capBytes: number;

  constructor(private readonly root: string, private readonly budget: MemoryBudget, readonly name = newSpillName(), private readonly slice?: number) {
    this.capBytes = budget.limitBytes * SPILL_FACTOR;
  }

  /**
   * A new file for `what` (e.g. "hash join partition"). Its blocks take at most an eighth of the
   * statement's limit (under the usual limits far more than a batch, written as one block as
   * before): read back, one is held beside what its reader already holds (a sort's pieces and
   * their order), and a slice's batch of two columns (~0.8 MB) did not fit beside them at 2 MB.
   */
  create(what: string): SpillWriter {
    this.budget.addSpilled(0, 1);
    const writer = new SpillWriter(join(this.directory(), `${this.n++}-${what.replace(/[^a-z]+/gi, '-')}`), (bytes) => this.count(bytes), this.budget.limitBytes / 8);
    announce(writer.path);
    return this.track(writer);
  }

  /** The statement's directory, made on first use. */
  private directory(): string {
    if (!this.dir) {
      if (this.slice === undefined) mkdirSync((this.dir = join(this.root, this.name)), { mode: 0o700 });
      else this.dir = mkdtempSync(join(this.root, `${this.name}-s${this.slice}-`));
      const fs = statfsSync(this.dir);
      this.capBytes = Math.min(this.capBytes, Math.floor((fs.bavail * fs.bsize) / 2));
    }
    return this.dir;
  }

  private count(bytes: number): void {
    if (this.budget.addSpilled(bytes, 0) > this.capBytes) throw new SqlError('OUT_OF_MEMORY', `query spilled more than ${Math.round(this.capBytes / 2 ** 20)} MB to disk (at most ${SPILL_FACTOR} times its memory limit and half the free disk space); add filters, or raise SET query_memory_limit`);
  }

  /**
   * A name of its own for a file others read too (a hard link, no copy): the reader may delete
   * it, or move it, once read, and the file stays under its other names.
   */
  link(path: string): string {
    this.budget.addSpilled(0, 1);
    const to = join(this.directory(), `${this.n++}-link`);
    linkSync(path, to);
    return announce(to);
  }

  /** Reads a file written before (closed with its writer). */
  read(path: string): SpillReader {
    return this.track(new SpillReader(path));
  }

  /** Closes a file and deletes it: its rows were read back. */
  done(f: SpillWriter | SpillReader): void {
    f.close();
    rmSync(f.path, { force: true });
  }

  /** Closes a file others still read (it is removed with the run's files). */
  letGo(f: SpillReader): void {
    f.close();
  }

  /** Closes every open file and removes the statement's directory and everything in it. */
  dispose(): void {
    for (const f of [...this.open]) { try { f.close(); } catch { /* already closed */ } }
    if (this.dir) removeQuietly(this.dir);
    this.dir = null;
  }

  /** Removes this and every other directory of the name (the slices' of the same run). */
  sweep(): void {
    this.dispose();
    let entries: string[];
    try { entries = readdirSync(this.root); } catch { return; }
    for (const e of entries) if (e === this.name || e.startsWith(`${this.name}-`)) removeQuietly(join(this.root, e));
  }

  private track<F extends SpillWriter | SpillReader>(f: F): F {
    this.open.add(f);
    const close = f.close.bind(f);
    f.close = () => { if (this.open.delete(f)) close(); };
    return f;
  }
}

/**
 * Removes a statement's directory, retrying while a slice still finishing a file adds to it
 * (ENOTEMPTY). It never throws: cleanup runs as a statement ends and must not replace its
 * outcome (a failed statement's own error); the slice removes its directory when it stops, and
 * what is left past that is removed when the temp area is next opened.
 */
function removeQuietly(path: string): void {
  try { rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }); } catch { /* see above */ }
}
