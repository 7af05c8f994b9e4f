// The spill files statements make under one temp area, as the engine announces each one it makes
// (TEMP_FILES_CHANNEL, from the leader and every slice): a test sees every file however briefly
// it lived and however loaded the machine is, where polling the directory every millisecond
// missed files made and removed while the leader's thread was busy (it flaked at load 15). The
// engine announces them only when TEMP_FILES_ENV is set: importing this module sets it, before
// the test opens a database (whose slices inherit it).
import { expect, vi } from 'vitest';
import { readdirSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { Session } from '../../engine/database.ts';
import { TEMP_FILES_CHANNEL, TEMP_FILES_ENV } from '../../engine/exec/spill/spill-area.ts';

process.env[TEMP_FILES_ENV] = '1';

/**
 * A spill file: its statement's directory (the leader's, or a slice's), its name (`<n>-<what it
 * holds>`) and its kind (what it holds, as its name says: `sort-run`, `window-sort-run`, ...).
 */
export interface TempFile { dir: string; name: string; kind: string; inSlice: boolean }

export interface TempFiles {
  /** the files announced so far */
  readonly seen: TempFile[];
  /** Waits until a file `match` accepts was announced (it may arrive just after its statement returned); fails if none comes. */
  saw(match: (file: TempFile) => boolean, what?: string): Promise<void>;
  stop(): void;
}

/** Watches the temp area `tempArea` from now on; `onFile` is called with each file as it is announced. */
export function watchTempFiles(tempArea: string, onFile?: (file: TempFile) => void): TempFiles {
  const channel = new BroadcastChannel(TEMP_FILES_CHANNEL);
  const seen: TempFile[] = [];
  channel.onmessage = (e) => {
    const path = String((e as { data: unknown }).data);
    // other test files' databases announce theirs on the same channel
    if (!path.startsWith(tempArea + sep)) return;
    const [dir, name] = relative(tempArea, path).split(sep);
    const file = { dir, name, kind: name.replace(/^\d+-/, ''), inSlice: /-s\d+-/.test(dir) };
    seen.push(file);
    onFile?.(file);
  };
  return {
    seen,
    saw: (match, what) => vi.waitFor(() => {
      if (!seen.some(match)) throw new Error(`no matching temp file${what ? ` (${what})` : ''} among the ${seen.length} seen: ${seen.map((f) => `${f.dir}/${f.name}`).join(', ')}`);
    }),
    stop: () => channel.close(),
  };
}

/** Runs `run` (statements) and checks that it made a temp file `match` accepts; returns what `run` returned. */
export async function makesTempFile<T>(tempArea: string, match: (file: TempFile) => boolean, run: () => Promise<T>, what?: string): Promise<T> {
  const watch = watchTempFiles(tempArea);
  try {
    const got = await run();
    await watch.saw(match, what);
    return got;
  } finally {
    watch.stop();
  }
}

/**
 * Runs `sql` and cancels it once a temp file `match` accepts is made (every file by default): it
 * must fail with QUERY_CANCELED and leave the temp area empty (the statement fails only once every
 * slice has stopped and removed its directory).
 */
export async function canceledOnTempFile(s: Session, sql: string, tempArea: string, match: (file: TempFile) => boolean = () => true, stream = false): Promise<void> {
  const ac = new AbortController();
  const watch = watchTempFiles(tempArea, (file) => { if (match(file)) ac.abort(); });
  try {
    await expect(s.execute(sql, { stream, signal: ac.signal })).rejects.toMatchObject({ code: 'QUERY_CANCELED' });
  } finally {
    watch.stop();
  }
  expect(readdirSync(tempArea, { recursive: true, encoding: 'utf8' })).toEqual([]);
}
