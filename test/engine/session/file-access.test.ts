// The file-access policy on its own and through an embedded database (the one-shot CLI's mode):
// the local user's files stay usable, the data directory never is, whatever path leads there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Database, SqlError } from '../../../engine/database.ts';
import { FileAccess, isWithin, realPathOf } from '../../../engine/session/file-access.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'strata-fa-')));
const data = join(root, 'data');
let db: Database;

const refusal = (f: () => unknown): SqlError => {
  try { f(); } catch (e) { if (e instanceof SqlError) return e; throw e; }
  throw new Error('expected a refusal');
};

beforeAll(async () => {
  mkdirSync(join(root, 'in'));
  mkdirSync(join(root, 'out'));
  writeFileSync(join(root, 'in', 'a.csv'), '1\n2\n');
  db = await Database.open({ dataDir: data, slices: 1 });
  symlinkSync(data, join(root, 'in', 'to-data'));
  symlinkSync(join(root, 'in'), join(root, 'in-link'));
});
afterAll(async () => {
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('path resolution', () => {
  it('isWithin compares whole components', () => {
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/a', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
    expect(isWithin('/a/../b', '/a')).toBe(false);
    expect(isWithin('/a/..b', '/a')).toBe(true);
  });

  it('resolves symlinks of the deepest existing ancestor and keeps the missing tail', () => {
    expect(realPathOf(join(root, 'in-link', 'a.csv'))).toEqual({ path: join(root, 'in', 'a.csv'), exists: true });
    expect(realPathOf(join(root, 'in', 'to-data', 'x', 'y'))).toEqual({ path: join(data, 'x', 'y'), exists: false });
    expect(realPathOf(join(root, 'in', '..', 'out', 'new.csv'))).toEqual({ path: join(root, 'out', 'new.csv'), exists: false });
  });
});

describe('restricted policy (API clients)', () => {
  const policy = () => FileAccess.of(data, { mode: 'restricted', importDirs: [root], exportDirs: [join(root, 'out')] });

  it('reads and writes only under its roots, relative paths from the first root', () => {
    const p = policy();
    expect(p.readable('in/a.csv', 'COPY')).toBe(join(root, 'in', 'a.csv'));
    expect(p.readable('in-link/a.csv', 'COPY')).toBe(join(root, 'in', 'a.csv'));
    expect(p.writable('r.csv', 'UNLOAD')).toBe(join(root, 'out', 'r.csv'));
    expect(refusal(() => p.writable(join(root, 'in', 'r.csv'), 'UNLOAD')).code).toBe('PERMISSION_DENIED');
  });

  it('never reaches the data directory, even inside an import root', () => {
    const p = policy();
    for (const path of [join(data, 'CURRENT'), 'data/segments', 'in/to-data/segments/x', `in/../data/${relative(root, data)}`]) {
      expect(refusal(() => p.readable(path, 'COPY')).code).toBe('PERMISSION_DENIED');
    }
    expect(refusal(() => p.writable('../data/CURRENT', 'UNLOAD')).code).toBe('PERMISSION_DENIED');
  });

  it('gives one message for missing and forbidden paths', () => {
    const p = policy();
    const missing = refusal(() => p.readable('in/nope.csv', 'COPY')).message.replace('in/nope.csv', 'P');
    const outside = refusal(() => p.readable('/etc/hostname', 'COPY')).message.replace('/etc/hostname', 'P');
    const data = refusal(() => p.readable('data/CURRENT', 'COPY')).message.replace('data/CURRENT', 'P');
    expect(new Set([missing, outside, data]).size).toBe(1);
  });

  it('refuses everything without roots, and bad roots at startup', () => {
    const none = FileAccess.of(data, { mode: 'restricted' });
    expect(refusal(() => none.readable(join(root, 'in', 'a.csv'), 'COPY')).message).toMatch(/without --import-dir/);
    expect(refusal(() => FileAccess.of(data, { mode: 'restricted', importDirs: [join(root, 'nope')] })).message).toMatch(/--import-dir .*not an existing directory/);
    expect(refusal(() => FileAccess.of(data, { mode: 'restricted', exportDirs: [join(data, 'segments')] })).message).toMatch(/inside the data directory/);
  });

  it('trusts a local session like the CLI', () => {
    expect(policy().asLocal().readable(join(root, 'in', 'a.csv'), 'COPY')).toBe(join(root, 'in', 'a.csv'));
    expect(refusal(() => policy().asLocal().readable(join(data, 'CURRENT'), 'COPY')).code).toBe('PERMISSION_DENIED');
  });
});

describe('an embedded database (the one-shot CLI)', () => {
  it('COPYs and UNLOADs the local user\'s files', async () => {
    const s = db.connect();
    await s.execute(`CREATE TABLE t (a INT); COPY t FROM '${join(root, 'in', 'a.csv')}'`);
    await s.execute(`UNLOAD ('SELECT sum(a) FROM t') TO '${join(root, 'out', 'sum.csv')}'`);
    expect(readFileSync(join(root, 'out', 'sum.csv'), 'utf8')).toBe('3\n');
  });

  it('refuses the data directory\'s files, directly or through a symlink', async () => {
    const s = db.connect();
    for (const sql of [
      `COPY t FROM '${join(data, 'CURRENT')}'`,
      `COPY t FROM '${join(root, 'in', 'to-data', 'CURRENT')}'`,
      `UNLOAD ('SELECT 1') TO '${join(data, 'CURRENT')}' ALLOWOVERWRITE`,
      `UNLOAD ('SELECT 1') TO '${join(root, 'in', 'to-data', 'segments', 'evil')}'`,
    ]) {
      await expect(s.execute(sql), sql).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/inside the data directory/) });
    }
  });

  it('still says "no such file" to the local user', async () => {
    await expect(db.connect().execute(`COPY t FROM '${join(root, 'in', 'missing.csv')}'`)).rejects.toMatchObject({ code: 'BAD_COPY_FILE', message: expect.stringMatching(/no such file/) });
  });
});
