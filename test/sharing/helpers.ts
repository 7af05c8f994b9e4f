// Shared helpers for the sharing tests: a database with three accounts and a movable clock.
import { mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../engine/database.ts';
import { extension, type SharingExtension } from '../../sharing/extension.ts';
import type { SharingEvent } from '../../sharing/events.ts';

export interface World {
  db: Database;
  ext: SharingExtension;
  dir: string;
  /** the producer, a consumer and a bystander account's admin sessions */
  prod: Session;
  acme: Session;
  other: Session;
  clock: { now: Date; advanceDays(n: number): void };
  events: SharingEvent[];
  close(): Promise<void>;
}

export async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-sharing-'));
  const clock = { now: new Date('2025-01-15T12:00:00Z'), advanceDays(n: number) { this.now = new Date(this.now.getTime() + n * 86_400_000); } };
  const db = await Database.open({ dataDir: dir, slices: 2, now: () => clock.now });
  const ext = extension(db);
  db.use(ext);
  const events: SharingEvent[] = [];
  db.events.on('share', (e: SharingEvent) => events.push(e));
  await db.connect({ account: 'admin' }).execute('CREATE ACCOUNT prod; CREATE ACCOUNT acme; CREATE ACCOUNT other');
  return {
    db, ext, dir, clock, events,
    prod: db.connect({ account: 'prod' }),
    acme: db.connect({ account: 'acme' }),
    other: db.connect({ account: 'other' }),
    async close() { await db.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Rows of the last statement of a script. */
export async function rows(s: Session, sql: string): Promise<unknown[][]> {
  const r = await s.execute(sql);
  return r[r.length - 1].rows;
}

/** The error code and message a script fails with. */
export async function failure(s: Session, sql: string): Promise<{ code: string; message: string }> {
  try {
    await s.execute(sql);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error(`expected "${sql}" to fail`);
}

/** Total bytes of every file under a directory. */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/** Every file name under a directory (relative). */
export function dirFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...dirFiles(join(dir, e.name), `${prefix}${e.name}/`));
    else out.push(prefix + e.name);
  }
  return out;
}
