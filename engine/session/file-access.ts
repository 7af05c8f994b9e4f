// Which server files a statement may read (COPY, CREATE MODEL ... FROM 'file') or write (UNLOAD).
// One policy for every statement that touches files:
// - 'local' (the one-shot CLI, run as the OS user): any path that user can reach;
// - 'restricted' (the server's API clients): only under the operator's --import-dir (reads) and
//   --export-dir (writes); none by default. Relative paths start at the first such directory.
// In both modes the data directory is off limits, whatever roots contain it. Paths are checked
// after `..` and symlinks (realpath of the deepest existing ancestor). In restricted mode a
// missing path and a forbidden one get the same error, so clients cannot probe the server's file
// system.
//
// Checking a path and then opening it leaves a window: whoever can write under an import or export
// directory could swap a component for a symbolic link in between. So statements never open a
// checked path by name: `openRead` opens the checked real path with O_NOFOLLOW and then asks the
// kernel where the descriptor really leads (/proc/self/fd/N; elsewhere fstat dev/ino against the
// path), refusing any difference; `openDirForWrite` does the same for the target's directory, and
// files are then created through that directory's descriptor with O_EXCL|O_NOFOLLOW. Readers and
// writers (slices included: they share the process's descriptors) use /proc/self/fd/N, which
// stays on the verified file or directory whatever is renamed later.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SqlError, type ErrorCode, type SourcePosition } from '../errors.ts';

export type FileAccessMode = 'local' | 'restricted';

/** What the operator configured: `strata serve --import-dir D --export-dir E`. */
export interface FileAccessConfig {
  mode: FileAccessMode;
  importDirs?: string[];
  exportDirs?: string[];
}

/** The default for an embedded database or the CLI: the local user's own files. */
export const LOCAL_FILES: FileAccessConfig = { mode: 'local' };

type Direction = 'read' | 'write';

/** A file opened for reading after the policy check; `path` reaches exactly this file. */
export interface OpenedFile {
  /** /proc/self/fd/N (the checked real path where /proc is missing) */
  path: string;
  size: number;
  close(): void;
}

/** A directory opened for writing a file `name` into; `path` is that file's name through the directory's descriptor. */
export interface OpenedDir {
  /** the file to write: <directory handle>/<name> */
  path: string;
  /** a sibling name in the same verified directory (for a temporary file) */
  sibling(name: string): string;
  /** whether the target exists (as a regular file; anything else was refused) */
  exists: boolean;
  close(): void;
}

/** Flags for creating a file in an opened directory: never through a symbolic link, never over a file. */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

const HAVE_PROC_FD = existsSync('/proc/self/fd');

/** Test seam: runs between the policy check and the open, with the checked real path (a test swaps a component here). */
let beforeOpen: ((checkedPath: string) => void) | null = null;
export function setBeforeOpenForTests(f: ((checkedPath: string) => void) | null): void {
  beforeOpen = f;
}

/** True when `p` is `root` or lies below it (both absolute, real). */
export function isWithin(p: string, root: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The real path `p` stands for: realpath of its deepest existing ancestor plus the components
 * that do not exist yet. `..` is removed lexically first (path.resolve), so what is checked is
 * exactly what is opened afterwards.
 */
export function realPathOf(p: string): { path: string; exists: boolean } {
  const abs = resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      const real = realpathSync.native(cur);
      return { path: rest.length ? join(real, ...rest.reverse()) : real, exists: rest.length === 0 };
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return { path: abs, exists: false };
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

/** Resolves configured directories to real, existing directories (startup errors name the flag). */
function realDirs(dirs: string[] | undefined, flag: string, dataDir: string): string[] {
  return (dirs ?? []).map((d) => {
    const r = realPathOf(d);
    let isDir = false;
    try { isDir = r.exists && statSync(r.path).isDirectory(); } catch { /* stays false */ }
    if (!isDir) throw new SqlError('INVALID_PARAMETER', `${flag} ${d}: not an existing directory`);
    if (isWithin(r.path, dataDir)) throw new SqlError('INVALID_PARAMETER', `${flag} ${d}: must not be inside the data directory`);
    return r.path;
  });
}

export class FileAccess {
  private constructor(
    readonly mode: FileAccessMode,
    private readonly dataDir: string,
    private readonly roots: Record<Direction, string[]>,
    /** where a local session's relative paths start (a CLI running through the server: its cwd) */
    private readonly cwd?: string,
  ) {}

  /** The policy of a data directory (throws INVALID_PARAMETER for a bad configured directory). */
  static of(dataDir: string, config: FileAccessConfig = LOCAL_FILES): FileAccess {
    const data = realPathOf(dataDir).path;
    return new FileAccess(config.mode, data, {
      read: realDirs(config.importDirs, '--import-dir', data),
      write: realDirs(config.exportDirs, '--export-dir', data),
    });
  }

  /** The same policy for a session the operator trusts with local paths (the control socket). */
  asLocal(cwd?: string): FileAccess {
    return this.mode === 'local' && cwd === this.cwd ? this : new FileAccess('local', this.dataDir, this.roots, cwd);
  }

  /**
   * A check only (statements open through openRead): the real path of a regular file `given`
   * that `what` (e.g. "COPY") may read. Throws
   * PERMISSION_DENIED (restricted: also when missing) or `missing` (local: no such file).
   */
  readable(given: string, what: string, pos?: SourcePosition, missing: ErrorCode = 'BAD_COPY_FILE'): string {
    const path = this.check(given, 'read', what, pos);
    let ok = false;
    try { ok = statSync(path).isFile(); } catch { /* missing: ok stays false */ }
    if (!ok) throw this.refusal(given, 'read', what, pos, missing);
    return path;
  }

  /** A check only (statements write through openDirForWrite): the real path `given` resolves to for `what` (e.g. "UNLOAD") to create or replace. */
  writable(given: string, what: string, pos?: SourcePosition): string {
    const path = this.check(given, 'write', what, pos);
    let ok = false;
    try {
      const parent = statSync(dirname(path));
      ok = parent.isDirectory();
      try { ok &&= statSync(path).isFile(); } catch { /* a new file */ }
    } catch { /* no parent directory */ }
    if (!ok) throw this.refusal(given, 'write', what, pos, 'BAD_COPY_FILE');
    return path;
  }

  /**
   * Opens a regular file `given` that `what` may read, race-free: the checked real path is opened
   * with O_NOFOLLOW and the descriptor must lead to exactly that path. Close it when done.
   */
  openRead(given: string, what: string, pos?: SourcePosition, missing: ErrorCode = 'BAD_COPY_FILE'): OpenedFile {
    const real = this.check(given, 'read', what, pos);
    beforeOpen?.(real);
    let fd: number;
    try {
      // O_NONBLOCK: a FIFO swapped in must not hang the statement (fstat refuses it below)
      fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      throw (e as NodeJS.ErrnoException).code === 'ELOOP' ? this.swapped(given, 'read', what, pos) : this.refusal(given, 'read', what, pos, missing);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw this.refusal(given, 'read', what, pos, missing);
      this.verify(fd, real, given, 'read', what, pos);
      return { path: HAVE_PROC_FD ? `/proc/self/fd/${fd}` : real, size: st.size, close: () => closeSync(fd) };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /**
   * Opens the directory `given` is to be written into, race-free (as openRead); an existing
   * target must be a regular file. Create files through `path`/`sibling` with CREATE_NEW.
   */
  openDirForWrite(given: string, what: string, pos?: SourcePosition): OpenedDir {
    const real = this.check(given, 'write', what, pos);
    const parent = dirname(real);
    beforeOpen?.(parent);
    let fd: number;
    try {
      fd = openSync(parent, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw code === 'ELOOP' || code === 'ENOTDIR' ? this.swapped(given, 'write', what, pos) : this.refusal(given, 'write', what, pos, 'BAD_COPY_FILE');
    }
    try {
      this.verify(fd, parent, given, 'write', what, pos);
      const dir = HAVE_PROC_FD ? `/proc/self/fd/${fd}` : parent;
      const path = join(dir, basename(real));
      let exists = false;
      try {
        const st = lstatSync(path);
        if (!st.isFile()) throw this.refusal(given, 'write', what, pos, 'BAD_COPY_FILE');
        exists = true;
      } catch (e) {
        if (e instanceof SqlError) throw e;
      }
      return { path, sibling: (name) => join(dir, name), exists, close: () => closeSync(fd) };
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** The descriptor must lead to the checked path: a component swapped for a link after the check leads elsewhere. */
  private verify(fd: number, checked: string, given: string, dir: Direction, what: string, pos?: SourcePosition): void {
    if (HAVE_PROC_FD) {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== checked) throw this.swapped(given, dir, what, pos);
      return;
    }
    const opened = fstatSync(fd);
    let now;
    try { now = lstatSync(checked); } catch { throw this.swapped(given, dir, what, pos); }
    if (now.dev !== opened.dev || now.ino !== opened.ino) throw this.swapped(given, dir, what, pos);
  }

  /** A path that changed between the check and the open: an API client learns no more than from any refusal. */
  private swapped(given: string, dir: Direction, what: string, pos?: SourcePosition): SqlError {
    if (this.mode === 'restricted') return this.refusal(given, dir, what, pos);
    return new SqlError('PERMISSION_DENIED', `${what} may not open "${given}" ${dir === 'read' ? 'for reading' : 'for writing'}: the path changed while it was being opened (a symbolic link was swapped in)`, pos);
  }

  private check(given: string, dir: Direction, what: string, pos?: SourcePosition): string {
    if (given.includes('\0')) throw this.refusal(given, dir, what, pos);
    if (this.mode === 'restricted' && this.roots[dir].length === 0) {
      const flag = dir === 'read' ? '--import-dir' : '--export-dir';
      throw new SqlError('PERMISSION_DENIED', `${what} cannot ${dir} server files: this server was started without ${flag}`, pos);
    }
    const base = this.mode === 'restricted' ? this.roots[dir][0] : (this.cwd ?? process.cwd());
    const { path } = realPathOf(resolve(base, given));
    const allowed = !isWithin(path, this.dataDir) && (this.mode === 'local' || this.roots[dir].some((r) => isWithin(path, r)));
    if (!allowed) throw this.refusal(given, dir, what, pos);
    return path;
  }

  /** The one error for a refused path; in restricted mode it does not say whether the path exists. */
  private refusal(given: string, dir: Direction, what: string, pos?: SourcePosition, missing?: ErrorCode): SqlError {
    const verb = dir === 'read' ? 'for reading' : 'for writing';
    if (this.mode === 'local') {
      return missing
        ? new SqlError(missing, `${what} could not open file "${given}" ${verb}: ${dir === 'read' ? 'no such file' : 'its directory does not exist or it is not a regular file'}`, pos)
        : new SqlError('PERMISSION_DENIED', `${what} may not open "${given}" ${verb}: it is inside the data directory`, pos);
    }
    const roots = dir === 'read' ? 'an --import-dir' : 'an --export-dir';
    return new SqlError('PERMISSION_DENIED', `${what} could not open file "${given}" ${verb}: it does not exist or is not under ${roots} of this server`, pos);
  }
}
