// One owner per data directory: an exclusive lock that a process holds while it has the directory
// open, that names the owner (PID, command, and for a server its port and control socket), and that
// a later process takes over safely when the owner died without releasing it (kill -9, power loss).
//
// Protocol. Each contender writes its own claim file `owner/<pid>-<random>.json` (never shared, so
// nobody else ever rewrites it), then lists `owner/`: claims of dead processes are removed; if any
// other claim belongs to a live process, the contender withdraws its own and either waits or fails.
// Two live contenders cannot both win: the later of the two listings sees the earlier one's claim,
// because each writes its claim before listing. They may both withdraw; they then retry after a
// random pause. A single lock file with O_EXCL would need a compare-and-swap to replace a stale
// lock (two processes could each delete "the stale file" and one delete the other's fresh one);
// private claim files make stale removal safe because a dead process's claim is never recreated.
//
// Liveness is the PID plus, on Linux, the process start time from /proc, so a reused PID does not
// keep a dead owner's lock alive; a claim written on another host is treated as alive. A claim also
// names the directory it was made for (device and inode): in a copy of a directory (a backup taken
// while a server ran) the copied claim is not a lock, and its socket path is not the copy's server.
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SqlError } from '../errors.ts';
import { TEMP_PREFIX, writeFileDurable } from './durable.ts';

/** What a process that owns a data directory tells other processes about itself. */
export interface OwnerRecord {
  pid: number;
  /** process start time (clock ticks since boot, from /proc) or null where unknown */
  start: string | null;
  host: string;
  /** the data directory's identity, "<device>:<inode>": a claim copied with the directory is void */
  dirId: string;
  /** what holds the directory, e.g. "strata serve" or "strata sql" */
  command: string;
  since: string;
  /** 'claim' while contending, 'owner' once it holds the lock */
  state: 'claim' | 'owner';
  /** a server's HTTP port and URL, and its control socket (absolute path) once it listens */
  port?: number;
  url?: string;
  socket?: string;
}

/** Thrown when a live process owns the directory; `owner` says which. */
export class DataDirLockedError extends SqlError {
  constructor(readonly owner: OwnerRecord, dir: string, hint?: string) {
    super('OBJECT_IN_USE', `data directory ${dir} is in use by ${describeOwner(owner)}${hint ? `: ${hint}` : ''}`);
  }
}

/** "strata serve (PID 123, port 4000)" */
export function describeOwner(o: OwnerRecord): string {
  const where = o.port !== undefined ? `, port ${o.port}` : '';
  const host = o.host === hostname() ? '' : ` on host ${o.host}`;
  return `${o.command} (PID ${o.pid}${where}${host})`;
}

export const OWNER_DIR = 'owner';

export interface AcquireOptions {
  /** what holds the directory, shown to processes that find it locked */
  command: string;
  /** how long to wait for a live owner to release the directory (default 0: fail at once) */
  waitMs?: number;
  /** which owners are worth waiting for (default: any); others fail the acquire at once */
  waitFor?: (owner: OwnerRecord) => boolean;
}

/** The held lock of one data directory. */
export class DataDirLock {
  private released = false;

  private constructor(readonly dir: string, private readonly file: string, private record: OwnerRecord) {}

  /** Takes the directory's lock, waiting up to `waitMs` for a live owner; throws DataDirLockedError. */
  static async acquire(dir: string, opts: AcquireOptions): Promise<DataDirLock> {
    const ownerDir = join(dir, OWNER_DIR);
    await mkdir(ownerDir, { recursive: true, mode: 0o700 });
    const dirId = await dirIdentity(dir);
    const deadline = Date.now() + (opts.waitMs ?? 0);
    // contenders that both withdrew settle within a few rounds; this bounds a pathological livelock
    const contendUntil = Date.now() + Math.max(opts.waitMs ?? 0, 5_000);
    for (;;) {
      const name = `${process.pid}-${randomBytes(6).toString('hex')}.json`;
      const file = join(ownerDir, name);
      const record: OwnerRecord = { pid: process.pid, start: processStart(process.pid), host: hostname(), dirId, command: opts.command, since: new Date().toISOString(), state: 'claim' };
      await writeRecord(file, record);
      const live = await liveClaims(ownerDir, name, dirId);
      if (live.length === 0) {
        const lock = new DataDirLock(dir, file, record);
        await lock.update({ state: 'owner' });
        return lock;
      }
      await unlink(file).catch(() => undefined);
      const owner = live.find((r) => r.state === 'owner');
      const now = Date.now();
      if (owner && (now >= deadline || opts.waitFor?.(owner) === false)) throw new DataDirLockedError(owner, dir);
      if (!owner && now >= contendUntil) throw new DataDirLockedError(live[0], dir);
      await sleep(owner ? 50 + Math.random() * 50 : 5 + Math.random() * 40);
    }
  }

  /** This process's record as others see it. */
  get owner(): OwnerRecord {
    return { ...this.record };
  }

  /** Publishes more about the owner (a server's port and control socket once it listens). */
  async update(fields: Partial<Pick<OwnerRecord, 'state' | 'port' | 'url' | 'socket' | 'command'>>): Promise<void> {
    if (this.released) return;
    this.record = { ...this.record, ...fields };
    await writeRecord(this.file, this.record);
  }

  /** Gives the directory up. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await unlink(this.file).catch(() => undefined);
  }
}

/** The live owner of a data directory, or null when no live process holds it. */
export async function findOwner(dir: string): Promise<OwnerRecord | null> {
  let dirId: string;
  try {
    dirId = await dirIdentity(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const live = await liveClaims(join(dir, OWNER_DIR), null, dirId);
  return live.find((r) => r.state === 'owner') ?? null;
}

/** Claims of live processes other than `mine`; removes claims of dead ones on the way. */
async function liveClaims(ownerDir: string, mine: string | null, dirId: string): Promise<OwnerRecord[]> {
  let names: string[];
  try {
    names = await readdir(ownerDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const live: OwnerRecord[] = [];
  for (const name of names) {
    if (name === mine || !name.endsWith('.json') || name.startsWith(TEMP_PREFIX)) continue;
    let rec: OwnerRecord;
    try {
      rec = JSON.parse(await readFile(join(ownerDir, name), 'utf8')) as OwnerRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
      // claims are replaced by rename, never torn: an unreadable one is not a lock (and is kept for a look)
      continue;
    }
    // (a claim from before claims named their directory counts as this directory's)
    if ((rec.dirId === undefined || rec.dirId === dirId) && isAlive(rec)) live.push(rec);
    // a dead process's claim file is never written again, so removing it cannot remove a live claim
    else await unlink(join(ownerDir, name)).catch(() => undefined);
  }
  return live;
}

/** Replaces a claim file whole (write a temp file, rename), so readers never see half of it. */
async function writeRecord(file: string, rec: OwnerRecord): Promise<void> {
  const tmp = join(file, '..', `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    await writeFileDurable(tmp, JSON.stringify(rec));
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Whether the process that wrote `rec` still runs (always true for another host: it cannot be checked). */
export function isAlive(rec: OwnerRecord): boolean {
  if (typeof rec.pid !== 'number' || !Number.isInteger(rec.pid) || rec.pid <= 0) return false;
  if (rec.host !== hostname()) return true;
  try {
    process.kill(rec.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false; // ESRCH: no such process
  }
  const stat = procStat(rec.pid);
  if (stat === undefined) return true; // no /proc: the PID check is all there is
  if (stat === null) return false; // gone between the two checks
  if (stat.state === 'Z' || stat.state === 'X') return false; // killed, not yet reaped
  return rec.start === null || rec.start === stat.start;
}

/** "<device>:<inode>" of a directory: the same across renames and paths, different in a copy. */
async function dirIdentity(dir: string): Promise<string> {
  const s = await stat(dir, { bigint: true });
  return `${s.dev}:${s.ino}`;
}

/** A process's start time, or null where /proc is not available. */
function processStart(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

/** State and start time from /proc/<pid>/stat; undefined without /proc, null when the process is gone. */
function procStat(pid: number): { state: string; start: string } | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return process.platform === 'linux' ? null : undefined;
    return undefined;
  }
  // "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], start: fields[19] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
