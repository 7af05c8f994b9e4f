// Owner-only permissions on a data directory that already exists. New files and directories are
// created 0600/0700 (durable.ts), but a directory made by an older version, copied with `cp -r`
// or restored from a backup may be readable by others: it holds every account's data and the
// token hashes. Opening it takes group and other permissions away from everything in it.
import { chmod, lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { SqlError } from '../errors.ts';

/** Permission bits of anyone but the owner. */
const NOT_OWNER = 0o077;

/**
 * Removes group and other permissions from `dir` and every directory and regular file under it
 * (owner bits stay as they are, so nothing gains a permission). Symbolic links are neither
 * followed nor changed: their targets are not the data directory's. Returns how many were changed.
 */
export async function tightenTree(dir: string): Promise<number> {
  let changed = 0;
  const visit = async (path: string): Promise<void> => {
    const s = await lstat(path).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return null; throw e; });
    if (!s || !(s.isDirectory() || s.isFile())) return;
    if (s.mode & NOT_OWNER) {
      await chmod(path, s.mode & 0o700).catch((e: NodeJS.ErrnoException) => {
        throw new SqlError('PERMISSION_DENIED', `data directory ${dir}: ${relative(dir, path) || '.'} is open to other users and cannot be made owner-only (${e.code}); fix its owner or permissions`);
      });
      changed++;
    }
    if (s.isDirectory()) for (const name of await readdir(path)) await visit(join(path, name));
  };
  await visit(dir);
  return changed;
}
