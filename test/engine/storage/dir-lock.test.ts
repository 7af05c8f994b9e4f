// The data directory's lock: one owner at a time, the owner named in the refusal, stale locks of
// killed processes taken over, and no two owners even when many contenders race.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataDirLock, DataDirLockedError, OWNER_DIR, findOwner, isAlive, type OwnerRecord } from '../../../engine/storage/dir-lock.ts';

const HOLDER = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url));

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'strata-lock-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const claims = async () => (await readdir(join(dir, OWNER_DIR))).filter((n) => n.endsWith('.json'));

/** Starts a process that takes the lock and prints "locked"; resolves with it once it holds it. */
async function holder(extra: string[] = []) {
  const proc = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('locked\n')) resolve(); });
    proc.on('exit', (code) => reject(new Error(`holder exited (${code}) before locking: ${out}`)));
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, exited };
}

describe('DataDirLock', () => {
  it('refuses a second owner, naming the first one, until it releases', async () => {
    const a = await DataDirLock.acquire(dir, { command: 'strata serve' });
    await a.update({ port: 4123, url: 'http://127.0.0.1:4123/graphql' });
    const err = await DataDirLock.acquire(dir, { command: 'strata sql' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toContain(`strata serve (PID ${process.pid}, port 4123)`);
    expect((err as DataDirLockedError).code).toBe('OBJECT_IN_USE');
    expect(await claims()).toHaveLength(1); // the refused contender withdrew its claim
    expect((await findOwner(dir))?.port).toBe(4123);
    await a.release();
    expect(await findOwner(dir)).toBeNull();
    const b = await DataDirLock.acquire(dir, { command: 'strata sql' });
    expect((await findOwner(dir))?.command).toBe('strata sql');
    await b.release();
  });

  it('waits up to waitMs for the owner to go', async () => {
    const a = await DataDirLock.acquire(dir, { command: 'first' });
    setTimeout(() => void a.release(), 150);
    const t0 = Date.now();
    const b = await DataDirLock.acquire(dir, { command: 'second', waitMs: 5_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    await b.release();
  });

  it('does not wait for an owner that waitFor rules out', async () => {
    const a = await DataDirLock.acquire(dir, { command: 'strata serve' });
    const t0 = Date.now();
    const err = await DataDirLock.acquire(dir, { command: 'strata serve', waitMs: 20_000, waitFor: (o) => o.command !== 'strata serve' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect(Date.now() - t0).toBeLessThan(10_000); // refused, not timed out
    await a.release();
  });

  it('takes over the lock of a process killed with SIGKILL, and not of a live one', async () => {
    const h = await holder();
    const err = await DataDirLock.acquire(dir, { command: 'me' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain(`PID ${h.proc.pid}`);
    h.proc.kill('SIGKILL');
    await h.exited;
    const lock = await DataDirLock.acquire(dir, { command: 'me' });
    const files = await claims();
    expect(files).toHaveLength(1); // the dead owner's claim was removed
    expect(files[0].startsWith(`${process.pid}-`)).toBe(true);
    await lock.release();
  });

  it('a claim whose PID now belongs to another process (PID reuse) is stale', async () => {
    const alive: OwnerRecord = JSON.parse(await readFile(await claimFile(), 'utf8')) as OwnerRecord;
    expect(isAlive(alive)).toBe(true);
    expect(isAlive({ ...alive, start: '1' })).toBe(process.platform !== 'linux');
    expect(isAlive({ ...alive, pid: 0x3ffffff })).toBe(false);
    expect(isAlive({ ...alive, host: `${hostname()}-elsewhere` })).toBe(true); // cannot be checked: kept
  });

  it('never has two owners while contenders race for it', async () => {
    let inside = 0, maxInside = 0, turns = 0;
    const worker = async () => {
      for (let i = 0; i < 6; i++) {
        const lock = await DataDirLock.acquire(dir, { command: 'worker', waitMs: 20_000 });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
        turns++;
        await lock.release();
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(turns).toBe(36);
    expect(maxInside).toBe(1);
    expect(await claims()).toHaveLength(0);
  }, 30_000);

  it('exactly one of many simultaneous contenders wins when none waits', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => DataDirLock.acquire(dir, { command: 'racer' })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DataDirLockedError);
    await (won[0] as PromiseFulfilledResult<DataDirLock>).value.release();
  });

  it('a claim copied with the directory (a backup taken while it was locked) does not lock the copy', async () => {
    const a = await DataDirLock.acquire(dir, { command: 'strata serve' });
    const copy = `${dir}-copy`;
    try {
      await cp(dir, copy, { recursive: true });
      expect((await readdir(join(copy, OWNER_DIR))).filter((n) => n.endsWith('.json'))).toHaveLength(1);
      expect(await findOwner(copy)).toBeNull();
      const b = await DataDirLock.acquire(copy, { command: 'strata sql' });
      await b.release();
      await expect(DataDirLock.acquire(dir, { command: 'strata sql' })).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await a.release();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('ignores a malformed claim file rather than treating it as an owner', async () => {
    await DataDirLock.acquire(dir, { command: 'x' }).then((l) => l.release());
    await writeFile(join(dir, OWNER_DIR, '1-garbage.json'), '{not json');
    const lock = await DataDirLock.acquire(dir, { command: 'y' });
    await lock.release();
  });
});

/** A claim file of this process (for reading a real record). */
async function claimFile(): Promise<string> {
  await DataDirLock.acquire(dir, { command: 'probe' });
  return join(dir, OWNER_DIR, (await claims())[0]);
}
