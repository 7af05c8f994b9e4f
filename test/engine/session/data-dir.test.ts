// A data directory as the operating system sees it: one Database at a time, owner-only
// permissions on everything Strata creates, and a clear error for a directory it cannot write.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';
import { SqlError } from '../../../engine/errors.ts';

let root: string;
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'strata-datadir-')); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

/** Every path under `dir` with its permission bits. */
async function modes(dir: string, prefix = ''): Promise<[string, number, boolean][]> {
  const out: [string, number, boolean][] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const s = await stat(p);
    out.push([`${prefix}${name}`, s.mode & 0o777, s.isDirectory()]);
    if (s.isDirectory()) out.push(...(await modes(p, `${prefix}${name}/`)));
  }
  return out;
}

/**
 * Makes the tree under `dir` unwritable even for root: chmod for an ordinary user; for root, the
 * immutable attribute (root ignores permission bits). Returns an undo function, or null where
 * neither works.
 */
function makeReadOnly(dir: string): (() => void) | null {
  if (process.getuid?.() !== 0) {
    execFileSync('chmod', ['-R', 'a-w', dir]);
    return () => execFileSync('chmod', ['-R', 'u+w', dir]);
  }
  try {
    execFileSync('chattr', ['-R', '+i', dir], { stdio: 'ignore' });
    return () => execFileSync('chattr', ['-R', '-i', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
}

describe('data directory', () => {
  it('one Database at a time: a second open names the owner', async () => {
    const dataDir = join(root, 'data');
    const db = await Database.open({ dataDir, slices: 1, owner: 'strata serve' });
    try {
      const err = await Database.open({ dataDir, slices: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlError);
      expect((err as SqlError).code).toBe('OBJECT_IN_USE');
      expect((err as SqlError).message).toContain(`strata serve (PID ${process.pid})`);
    } finally {
      await db.close();
    }
    const again = await Database.open({ dataDir, slices: 1 });
    await again.close();
  }, 20_000);

  it('creates the directory 0700 and every file and directory in it owner-only', async () => {
    const dataDir = join(root, 'new', 'data');
    const db = await Database.open({ dataDir, slices: 2 });
    try {
      const s = db.connect();
      await s.execute("CREATE TABLE t (a INT, b VARCHAR(10)); INSERT INTO t VALUES (1, 'x'), (2, 'y'); DELETE FROM t WHERE a = 1");
      expect((await s.execute('SELECT count(*) FROM t'))[0].rows).toEqual([[1]]);
    } finally {
      await db.close();
    }
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    const all = await modes(dataDir);
    expect(all.some(([p]) => p.startsWith('segments/') && p.endsWith('.arrow'))).toBe(true);
    expect(all.some(([p]) => p.startsWith('manifests/'))).toBe(true);
    for (const [path, mode, isDir] of all) expect([path, mode]).toEqual([path, isDir ? 0o700 : 0o600]);
  }, 30_000);

  it('an existing directory open to others is made owner-only when opened; links outside are left alone', async () => {
    const dataDir = join(root, 'old');
    const db = await Database.open({ dataDir, slices: 1 });
    await db.connect().execute("CREATE TABLE t (a INT); INSERT INTO t VALUES (1)");
    await db.close();
    // as an older version, `cp -r` or a restored backup might have left it
    execFileSync('chmod', ['-R', 'go+rwx', dataDir]);
    const outside = join(root, 'outside.txt');
    await writeFile(outside, 'not the data directory\'s');
    await chmod(outside, 0o644);
    await symlink(outside, join(dataDir, 'segments', 'link'));
    expect((await modes(dataDir)).filter(([, mode]) => mode & 0o077).length).toBeGreaterThan(3);
    const again = await Database.open({ dataDir, slices: 1 });
    try {
      expect((await again.connect().execute('SELECT a FROM t'))[0].rows).toEqual([[1]]);
    } finally {
      await again.close();
    }
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    for (const [path, mode, isDir] of await modes(dataDir)) {
      if (path === 'segments/link') continue; // stat follows it: that is the outside file
      expect([path, mode]).toEqual([path, isDir ? 0o700 : 0o600]);
    }
    expect((await lstat(join(dataDir, 'segments', 'link'))).isSymbolicLink()).toBe(true);
    expect((await stat(outside)).mode & 0o777).toBe(0o644);
  }, 30_000);

  it('a read-only data directory gives a clear error, not an internal one', async (ctx) => {
    const dataDir = join(root, 'data');
    await (await Database.open({ dataDir, slices: 1 })).close();
    const undo = makeReadOnly(dataDir);
    if (!undo) return ctx.skip();
    try {
      const err = await Database.open({ dataDir, slices: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlError);
      expect((err as SqlError).code).toBe('PERMISSION_DENIED');
      expect((err as SqlError).message).toMatch(new RegExp(`^data directory ${dataDir} is not writable \\((EACCES|EPERM|EROFS)\\)`));
    } finally {
      undo();
    }
  }, 20_000);

  it('a data directory that cannot be created gives the same clear error', async () => {
    const parent = join(root, 'locked');
    await mkdir(parent);
    await chmod(parent, 0o555);
    // root may create it anyway; /sys refuses everyone
    const dataDir = process.getuid?.() === 0 ? '/sys/strata-test-data' : join(parent, 'data');
    const err = await Database.open({ dataDir, slices: 1 }).catch((e: unknown) => e);
    expect((err as SqlError).code).toBe('PERMISSION_DENIED');
    expect((err as SqlError).message).toContain(`data directory ${dataDir} is not writable`);
  });
});
