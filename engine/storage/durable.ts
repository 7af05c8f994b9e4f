// Crash-safe file primitives: every byte a commit depends on is fsynced before it is used.
// Files are created 0600 and directories 0700: a data directory holds every account's data and
// the token hashes, so only its owner may read it.
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Mode of every file Strata creates in a data directory. */
export const FILE_MODE = 0o600;
/** Mode of every directory Strata creates in (and for) a data directory. */
export const DIR_MODE = 0o700;

/** Creates a directory (and missing parents) owner-only; an existing one is left as it is. */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
}

/** Writes `data` to `path` (creating or truncating it) and fsyncs the file before returning. */
export async function writeFileDurable(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w', FILE_MODE);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `chunks` in order to a new file at `path`, fsyncs it, and returns the byte count. */
export async function writeChunksDurable(path: string, chunks: Uint8Array[]): Promise<number> {
  const fh = await open(path, 'w', FILE_MODE);
  let bytes = 0;
  try {
    for (let i = 0; i < chunks.length; i += 512) {
      const group = chunks.slice(i, i + 512);
      const want = group.reduce((n, c) => n + c.byteLength, 0);
      let { bytesWritten } = await fh.writev(group);
      // short writes are rare but legal: finish the group piece by piece
      if (bytesWritten < want) for (const c of group) {
        if (bytesWritten >= c.byteLength) { bytesWritten -= c.byteLength; continue; }
        await fh.writeFile(c.subarray(bytesWritten));
        bytesWritten = 0;
      }
      bytes += want;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return bytes;
}

/** Fsyncs a directory so that file creations, renames and deletions in it survive a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` atomically: write a temp file in the same directory, fsync it, rename it over
 * `path`, fsync the directory. Readers see the old content or the new, never a mix.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFileDurable(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dir);
}

/**
 * Creates `path` with `data` only if no file has that name: write a temp file, fsync it, hard-link
 * it to `path` (which fails with EEXIST instead of replacing), fsync the directory. A commit uses it
 * so a manifest version can never be overwritten.
 */
export async function writeFileExclusive(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFileDurable(tmp, data);
    await link(tmp, path);
  } finally {
    await unlink(tmp).catch(() => {});
  }
  await fsyncDir(dir);
}

/** Prefix of temp files; a crash can leave them behind and garbage collection removes them. */
export const TEMP_PREFIX = '.tmp-';
