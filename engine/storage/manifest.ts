// The versioned catalog manifest store: one manifest file per committed version, a CURRENT pointer,
// and crash-safe commits (write + fsync + rename + directory fsync, manifest first, then CURRENT).
// A commit is a compare-and-swap: it only replaces the version it was built on. It checks that
// CURRENT still names that version and creates the next manifest without replacing any file, so
// another writer's commit fails this one (SERIALIZATION_FAILURE) instead of being rewound. The
// data directory's lock (dir-lock.ts) keeps other processes out between that check and the rename.
//
// Layout of a data directory:
//   CURRENT                         "<version>\n": the latest committed version
//   manifests/manifest-<v>.json     header line "STRATA-MANIFEST 1 <v> <bytes> <crc32>" + JSON state
//   segments/<name>                 segment (.arrow) and deletion-vector (.dv) files
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SqlError } from '../errors.ts';
import { TEMP_PREFIX, fsyncDir, mkdirPrivate, writeFileAtomic, writeFileExclusive } from './durable.ts';

/**
 * Files younger than this are never collected unless the caller says so: a transaction may have
 * written them and not committed yet. Ten minutes covers a slow COPY between writing a segment and
 * committing it; in-flight files should also be passed in `protect` (or come from newFileName).
 */
export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;

/** How many committed manifest versions collectGarbage keeps by default (the current one included). */
export const DEFAULT_KEEP_VERSIONS = 3;

const HEADER = 'STRATA-MANIFEST 1';
const MANIFEST_RE = /^manifest-(\d{12})\.json$/;

export interface GcOptions {
  /** newest manifest versions to keep, current included (default 3, minimum 1) */
  keepVersions?: number;
  /** file names of transactions still in flight: never removed */
  protect?: Set<string>;
  /** only files older than this are removed (default DEFAULT_GC_GRACE_MS) */
  graceMs?: number;
}

/** Owns a data directory's manifests: recovery on open, serialized durable commits, and GC. */
export class ManifestStore {
  readonly dir: string;
  private version = 0;
  private state: unknown = null;
  private tail: Promise<unknown> = Promise.resolve();
  private broken: Error | null = null;
  /** names handed out by newFileName and not yet released: protected from GC */
  private readonly pending = new Set<string>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Opens (creating if new) a data directory and recovers the last committed version. */
  static async open(dir: string): Promise<ManifestStore> {
    const store = new ManifestStore(dir);
    await mkdirPrivate(store.manifestsDir);
    await mkdirPrivate(store.segmentsDir);
    await store.recover();
    return store;
  }

  /** The latest committed version and its catalog state (null state at version 0, a new store). */
  current(): { version: number; state: unknown } {
    return { version: this.version, state: this.state };
  }

  /**
   * Durably commits `nextState` as the next version and returns it. Concurrent calls run one after
   * another. When this resolves, a crash at any later point still recovers this version (or newer).
   * `newFiles: false` says the state references no file written since the last commit (metadata
   * only), which saves making the segment directory durable again.
   */
  commit(nextState: unknown, opts: { newFiles?: boolean } = {}): Promise<number> {
    return this.serialized(async () => {
      if (this.broken) throw new SqlError('INTERNAL_ERROR', `manifest store ${this.dir} must be reopened after a failed commit: ${this.broken.message}`);
      const body = JSON.stringify(nextState);
      if (body === undefined) throw new SqlError('INTERNAL_ERROR', 'manifest state must be JSON-serializable');
      const v = this.version + 1;
      // segment and deletion-vector files are fsynced by their writers; make their names durable
      // too before a manifest can point at them
      if (opts.newFiles !== false) await fsyncDir(this.segmentsDir).catch(notWritable);
      await this.expectCurrent(this.version);
      try {
        await writeFileExclusive(this.manifestPath(v), encodeManifest(v, body));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw this.movedUnder(v);
        notWritable(e);
        this.broken = e as Error;
        throw new SqlError('INTERNAL_ERROR', `commit of manifest version ${v} failed: ${(e as Error).message}`);
      }
      try {
        await writeFileAtomic(this.currentPath, `${v}\n`);
      } catch (e) {
        // the new version may or may not be on disk now: refuse to reuse its number in this process
        this.broken = e as Error;
        notWritable(e);
        throw new SqlError('INTERNAL_ERROR', `commit of manifest version ${v} failed: ${(e as Error).message}`);
      }
      this.version = v;
      this.state = JSON.parse(body);
      return v;
    });
  }

  /** Path of a segment or deletion-vector file by name. */
  segmentPath(name: string): string {
    if (name !== basename(name) || name.startsWith('.') || name === '') throw new SqlError('INTERNAL_ERROR', `invalid data file name "${name}"`);
    return join(this.segmentsDir, name);
  }

  /**
   * A new unique file name (`<prefix>-<time>-<random>.<ext>`) for a writer to create before commit.
   * It is protected from garbage collection until released with releaseFiles.
   */
  newFileName(prefix: string, ext = 'arrow'): string {
    const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(8).toString('hex')}.${ext}`;
    this.pending.add(name);
    return name;
  }

  /** Ends GC protection of names from newFileName once their transaction committed or rolled back. */
  releaseFiles(names: Iterable<string>): void {
    for (const n of names) this.pending.delete(n);
  }

  /**
   * Deletes data files no live set references and manifests older than the newest `keepVersions`.
   * `liveFiles` is the union of files referenced by the current manifest and by snapshots still
   * pinned by readers. Files in `protect`, names from newFileName not yet released, and anything
   * younger than `graceMs` are kept, since an in-flight transaction may own them.
   */
  collectGarbage(liveFiles: Set<string>, opts: GcOptions = {}): Promise<{ removed: string[] }> {
    return this.serialized(async () => {
      const keep = Math.max(1, opts.keepVersions ?? DEFAULT_KEEP_VERSIONS);
      const grace = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
      const protect = opts.protect ?? new Set<string>();
      const live = new Set([...liveFiles].map((f) => basename(f)));
      const now = Date.now();
      const removed: string[] = [];
      const old = async (path: string) => {
        try {
          return now - (await stat(path)).mtimeMs >= grace;
        } catch {
          return false;
        }
      };
      const remove = async (sub: string, name: string) => {
        try {
          await unlink(join(this.dir, sub, name));
          removed.push(sub ? `${sub}/${name}` : name);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      };
      for (const name of await readdir(this.segmentsDir)) {
        if (live.has(name) || protect.has(name) || this.pending.has(name)) continue;
        if (await old(join(this.segmentsDir, name))) await remove('segments', name);
      }
      // model graphs (ONNX files named by the ML layer's catalog entries), when the directory exists
      const modelsDir = join(this.dir, 'models');
      for (const name of await readdir(modelsDir).catch(() => [] as string[])) {
        if (live.has(name) || protect.has(name) || this.pending.has(name)) continue;
        if (await old(join(modelsDir, name))) await remove('models', name);
      }
      // another process committed here (it should not: the directory is locked): leave its files alone
      if ((await this.readCurrent()) !== this.version) return { removed };
      for (const name of await readdir(this.manifestsDir)) {
        const m = MANIFEST_RE.exec(name);
        if (m) {
          const v = Number(m[1]);
          // newer than current: written by a commit that crashed before CURRENT moved (we hold the lock)
          if (v <= this.version - keep || v > this.version) await remove('manifests', name);
        } else if (name.startsWith(TEMP_PREFIX) && (await old(join(this.manifestsDir, name)))) {
          await remove('manifests', name);
        }
      }
      for (const name of await readdir(this.dir)) {
        if (name.startsWith(TEMP_PREFIX) && (await old(join(this.dir, name)))) await remove('', name);
      }
      return { removed };
    });
  }

  private get manifestsDir(): string { return join(this.dir, 'manifests'); }
  private get segmentsDir(): string { return join(this.dir, 'segments'); }
  private get currentPath(): string { return join(this.dir, 'CURRENT'); }
  private manifestPath(v: number): string { return join(this.manifestsDir, `manifest-${String(v).padStart(12, '0')}.json`); }

  /** Fails the commit unless CURRENT still names `version`, the one this commit was built on. */
  private async expectCurrent(version: number): Promise<void> {
    const named = await this.readCurrent();
    if (named === version || (named === null && version === 0)) return;
    throw this.movedUnder(version + 1, named);
  }

  /** The error for a commit whose base version is no longer the latest on disk. */
  private movedUnder(v: number, named?: number | null): SqlError {
    const now = named === undefined ? `manifest version ${v} already exists` : `CURRENT names version ${named ?? 'none'}`;
    return new SqlError('SERIALIZATION_FAILURE', `could not commit version ${v}: another process changed the data directory (${now}, this process is at ${v - 1}); nothing was overwritten, reopen the data directory and retry`);
  }

  /** Runs `fn` after every earlier serialized call has settled. */
  private serialized<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  /**
   * Loads the version CURRENT names. If CURRENT is missing or unreadable (torn), falls back to the
   * newest manifest that passes its checksum; if CURRENT's manifest is damaged, to the newest valid
   * one below it. Never returns a version newer than a readable CURRENT names.
   */
  private async recover(): Promise<void> {
    const versions = (await readdir(this.manifestsDir))
      .map((n) => MANIFEST_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    const named = await this.readCurrent();
    const candidates = named === null ? versions : versions.filter((v) => v <= named);
    for (const v of candidates) {
      const state = await this.tryLoad(v);
      if (state === undefined) continue;
      this.version = v;
      this.state = state;
      if (named !== v) await writeFileAtomic(this.currentPath, `${v}\n`); // repair the pointer
      await this.dropNewerThan(v, versions);
      return;
    }
    if (versions.length === 0 && (named === null || named === 0)) return; // a new, empty store
    throw new SqlError('INTERNAL_ERROR', `data directory ${this.dir} has no valid manifest${named === null ? '' : ` at or below version ${named}`}`);
  }

  /** Removes manifests newer than the recovered version: commits that never completed. */
  private async dropNewerThan(v: number, versions: number[]): Promise<void> {
    const newer = versions.filter((x) => x > v);
    for (const x of newer) await unlink(this.manifestPath(x)).catch(() => {});
    if (newer.length > 0) await fsyncDir(this.manifestsDir);
  }

  /** CURRENT's version, or null when it is missing or malformed. */
  private async readCurrent(): Promise<number | null> {
    let text: string;
    try {
      text = await readFile(this.currentPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const m = /^(\d{1,15})\n$/.exec(text);
    return m ? Number(m[1]) : null;
  }

  /** A manifest's state, or undefined if the file is missing, torn or corrupt. */
  private async tryLoad(v: number): Promise<unknown> {
    let buf: Buffer;
    try {
      buf = await readFile(this.manifestPath(v));
    } catch {
      return undefined;
    }
    return decodeManifest(buf, v);
  }
}

/**
 * Rethrows a file system error that means the data directory is read-only as a clear SqlError.
 * `dir` is named only where the operator reads it (opening), never in errors sent to API clients.
 */
export function notWritable(e: unknown, dir?: string): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    const which = dir ? `data directory ${dir}` : 'the data directory';
    throw new SqlError('PERMISSION_DENIED', `${which} is not writable (${code}): Strata needs to write its lock, manifests and segments there; nothing was committed`);
  }
  throw e;
}

function encodeManifest(v: number, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  const header = `${HEADER} ${v} ${bytes.length} ${crc32(bytes).toString(16).padStart(8, '0')}\n`;
  return Buffer.concat([Buffer.from(header, 'ascii'), bytes]);
}

/** The state in a manifest file, or undefined when its header, length or checksum is wrong. */
function decodeManifest(buf: Buffer, v: number): unknown {
  const nl = buf.indexOf(10);
  if (nl < 0 || nl > 100) return undefined;
  const m = /^STRATA-MANIFEST 1 (\d+) (\d+) ([0-9a-f]{8})$/.exec(buf.toString('ascii', 0, nl));
  if (!m || Number(m[1]) !== v) return undefined;
  const body = buf.subarray(nl + 1);
  if (body.length !== Number(m[2]) || crc32(body) !== parseInt(m[3], 16)) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
