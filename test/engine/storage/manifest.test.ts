import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import { SqlError } from '../../../engine/errors.ts';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'strata-mf-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const manifestFile = (v: number) => join(dir, 'manifests', `manifest-${String(v).padStart(12, '0')}.json`);
const state = (v: number) => ({ tables: { t: { segments: [`seg-${v}.arrow`] } }, v, text: 'é'.repeat(v) });

async function commitVersions(n: number) {
  const s = await ManifestStore.open(dir);
  for (let v = 1; v <= n; v++) expect(await s.commit(state(v))).toBe(v);
  return s;
}

describe('ManifestStore commits and recovery', () => {
  it('creates the layout and starts empty', async () => {
    const s = await ManifestStore.open(dir);
    expect(s.current()).toEqual({ version: 0, state: null });
    expect(existsSync(join(dir, 'manifests'))).toBe(true);
    expect(existsSync(join(dir, 'segments'))).toBe(true);
  });

  it('commits versions and reopens at the latest', async () => {
    const s = await commitVersions(5);
    expect(s.current()).toEqual({ version: 5, state: state(5) });
    expect(await readFile(join(dir, 'CURRENT'), 'utf8')).toBe('5\n');
    const re = await ManifestStore.open(dir);
    expect(re.current()).toEqual({ version: 5, state: state(5) });
  });

  it('serializes concurrent commits', async () => {
    const s = await ManifestStore.open(dir);
    const versions = await Promise.all(Array.from({ length: 10 }, (_, i) => s.commit({ i })));
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 10, state: { i: 9 } });
  });

  it('a torn (truncated) newest manifest falls back to the previous version', async () => {
    await commitVersions(3);
    await truncate(manifestFile(3), 30);
    const re = await ManifestStore.open(dir);
    expect(re.current()).toEqual({ version: 2, state: state(2) });
    expect(await readFile(join(dir, 'CURRENT'), 'utf8')).toBe('2\n'); // pointer repaired
    expect(await re.commit(state(33))).toBe(3);
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 3, state: state(33) });
  });

  it('a bit flip in a manifest body is detected by its checksum', async () => {
    await commitVersions(2);
    const buf = await readFile(manifestFile(2));
    buf[buf.length - 3] ^= 1;
    await writeFile(manifestFile(2), buf);
    expect((await ManifestStore.open(dir)).current().version).toBe(1);
  });

  it('missing or garbage CURRENT recovers the newest valid manifest', async () => {
    await commitVersions(4);
    await unlink(join(dir, 'CURRENT'));
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 4, state: state(4) });
    for (const junk of ['garbage', '', '4', '99x\n', '\u0000\u0000']) {
      await writeFile(join(dir, 'CURRENT'), junk);
      expect((await ManifestStore.open(dir)).current()).toEqual({ version: 4, state: state(4) });
    }
  });

  it('never recovers past what CURRENT names (a commit that crashed before moving CURRENT)', async () => {
    await commitVersions(3);
    await writeFile(join(dir, 'CURRENT'), '2\n'); // as if version 3 was written but CURRENT never moved
    const re = await ManifestStore.open(dir);
    expect(re.current()).toEqual({ version: 2, state: state(2) });
    expect(existsSync(manifestFile(3))).toBe(false); // the unacknowledged manifest is dropped
    // and a later torn CURRENT cannot resurrect it
    await writeFile(join(dir, 'CURRENT'), 'x');
    expect((await ManifestStore.open(dir)).current().version).toBe(2);
  });

  it('CURRENT naming a missing manifest falls back below it; nothing valid is an error', async () => {
    await commitVersions(3);
    await unlink(manifestFile(3));
    expect((await ManifestStore.open(dir)).current().version).toBe(2);
    for (const v of [1, 2]) await truncate(manifestFile(v), 0);
    await expect(ManifestStore.open(dir)).rejects.toBeInstanceOf(SqlError);
  });

  it('rejects non-JSON state and bad file names', async () => {
    const s = await ManifestStore.open(dir);
    await expect(s.commit(undefined)).rejects.toBeInstanceOf(SqlError);
    expect(s.current().version).toBe(0);
    expect(() => s.segmentPath('../x')).toThrow(SqlError);
    expect(s.segmentPath('seg-1.arrow')).toBe(join(dir, 'segments', 'seg-1.arrow'));
    const a = s.newFileName('seg'), b = s.newFileName('dv', 'dv');
    expect(a).toMatch(/^seg-[0-9a-z]+-[0-9a-f]{16}\.arrow$/);
    expect(b).toMatch(/\.dv$/);
    expect(a).not.toBe(s.newFileName('seg'));
  });
});

describe('ManifestStore garbage collection', () => {
  const touch = async (s: ManifestStore, name: string, ageMs = 0) => {
    const p = s.segmentPath(name);
    await writeFile(p, 'x');
    const t = new Date(Date.now() - ageMs);
    await utimes(p, t, t);
  };
  const HOUR = 3600_000;

  it('removes unreferenced old files and old manifests, keeps live, pinned, protected and young ones', async () => {
    const s = await commitVersions(6);
    for (const n of ['live.arrow', 'pinned.arrow', 'dead.arrow', 'dead.dv', 'inflight.arrow']) await touch(s, n, HOUR);
    await touch(s, 'young.arrow', 0);
    const pending = s.newFileName('seg');
    await touch(s, pending, HOUR);
    await writeFile(join(dir, 'manifests', '.tmp-manifest-x'), 'torn');
    await utimes(join(dir, 'manifests', '.tmp-manifest-x'), new Date(Date.now() - HOUR), new Date(Date.now() - HOUR));
    const { removed } = await s.collectGarbage(new Set(['live.arrow', 'pinned.arrow']), { keepVersions: 2, protect: new Set(['inflight.arrow']) });
    expect(removed.sort()).toEqual([
      'manifests/.tmp-manifest-x',
      ...[1, 2, 3, 4].map((v) => `manifests/manifest-${String(v).padStart(12, '0')}.json`),
      'segments/dead.arrow', 'segments/dead.dv',
    ].sort());
    expect((await readdir(join(dir, 'segments'))).sort()).toEqual(['inflight.arrow', 'live.arrow', 'pinned.arrow', pending, 'young.arrow'].sort());
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 6, state: state(6) });
    // once released and past the grace period, the pending file goes too
    s.releaseFiles([pending]);
    const again = await s.collectGarbage(new Set(['live.arrow']), { graceMs: 0 });
    expect(again.removed.sort()).toEqual(['segments/inflight.arrow', 'segments/pinned.arrow', `segments/${pending}`, 'segments/young.arrow'].sort());
  });

  it('runs safely alongside commits', async () => {
    const s = await ManifestStore.open(dir);
    const work = [];
    for (let i = 1; i <= 20; i++) {
      work.push(s.commit({ i }));
      if (i % 5 === 0) work.push(s.collectGarbage(new Set(), { keepVersions: 1, graceMs: 0 }));
    }
    await Promise.all(work);
    await s.collectGarbage(new Set(), { keepVersions: 1, graceMs: 0 });
    expect(await readdir(join(dir, 'manifests'))).toEqual([`manifest-${String(20).padStart(12, '0')}.json`]);
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 20, state: { i: 20 } });
  });
});

describe('ManifestStore commit is a compare-and-swap', () => {
  it('a store that fell behind CURRENT fails its commit and overwrites nothing', async () => {
    const ahead = await commitVersions(2);
    const behind = await ManifestStore.open(dir); // at version 2 too
    expect(await ahead.commit(state(3))).toBe(3);
    const err = await behind.commit({ lost: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlError);
    expect((err as SqlError).code).toBe('SERIALIZATION_FAILURE');
    expect((err as SqlError).message).toContain('CURRENT names version 3');
    expect(await readFile(join(dir, 'CURRENT'), 'utf8')).toBe('3\n');
    expect((await ManifestStore.open(dir)).current()).toEqual({ version: 3, state: state(3) });
    // the store that fell behind keeps refusing, and its garbage collection leaves the newer files alone
    await expect(behind.commit({ lost: true })).rejects.toThrow(/another process changed the data directory/);
    await behind.collectGarbage(new Set(), { keepVersions: 1, graceMs: 0 });
    expect(existsSync(manifestFile(3))).toBe(true);
    expect(await ahead.commit(state(4))).toBe(4);
  });

  it('never replaces an existing manifest of the next version', async () => {
    const s = await commitVersions(2);
    await writeFile(manifestFile(3), 'written by someone else');
    await expect(s.commit(state(3))).rejects.toMatchObject({ code: 'SERIALIZATION_FAILURE' });
    expect(await readFile(manifestFile(3), 'utf8')).toBe('written by someone else');
    expect(await readFile(join(dir, 'CURRENT'), 'utf8')).toBe('2\n');
    expect((await readdir(join(dir, 'manifests'))).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });
});
