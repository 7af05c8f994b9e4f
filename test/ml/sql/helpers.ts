// Helpers for the SQL-level ML tests: a database with the ML extension, SQL shortcuts, model events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';
import type { Session } from '../../../engine/session/session.ts';
import { extension } from '../../../ml/extension.ts';
import type { ModelEventPayload } from '../../../ml/sql/jobs.ts';
import { GraphBuilder } from '../../../ml/onnx/graph.ts';

/** An ONNX model f(x REAL) = k for every row (float [N] output): versions that show which one ran. */
export function constantModel(k: number): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float', ['N', 1]);
  const y = g.node('Add', [g.node('Mul', [x, g.constant('float', [0], [1])]), g.constant('float', [k], [1])]);
  g.node('Reshape', [y, g.constant('int64', [-1], [1])], {}, { output: 'variable' });
  g.output('variable', 'float', ['N']);
  return g.encode({});
}

export interface TestDb {
  db: Database;
  s: Session;
  dir: string;
  /** rows of the last statement's result */
  rows(sql: string): Promise<unknown[][]>;
  /** the SqlError code and message the SQL fails with */
  error(sql: string): Promise<{ code: string; message: string }>;
  /** SHOW MODEL as a key -> value map */
  show(model: string): Promise<Record<string, string>>;
  close(remove?: boolean): Promise<void>;
}

/** Opens (or reopens) a data directory with the ML extension loaded. */
export async function openDb(opts: { slices?: number; dir?: string } = {}): Promise<TestDb> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'strata-ml-'));
  const db = await Database.open({ dataDir: dir, slices: opts.slices ?? 2 });
  db.use(extension(db));
  const s = db.connect();
  const t: TestDb = {
    db, s, dir,
    rows: async (sql) => (await s.execute(sql)).at(-1)!.rows,
    error: async (sql) => {
      try { await s.execute(sql); } catch (e) { return { code: (e as { code: string }).code, message: (e as Error).message }; }
      throw new Error(`expected an error from: ${sql}`);
    },
    show: async (model) => Object.fromEntries((await t.rows(`SHOW MODEL ${model}`)) as [string, string][]),
    close: async (remove = true) => { await db.close(); if (remove) rmSync(dir, { recursive: true, force: true }); },
  };
  return t;
}

/** Collects a model's events until one of `kinds` arrives (or the timeout passes). */
export function eventsUntil(db: Database, model: string, kinds: string[], timeoutMs = 120_000): Promise<ModelEventPayload[]> {
  const seen: ModelEventPayload[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { db.events.off('model', on); reject(new Error(`no ${kinds.join('/')} event for ${model} in ${timeoutMs} ms; saw ${seen.map((e) => e.kind).join(',')}`)); }, timeoutMs);
    const on = (e: ModelEventPayload) => {
      if (e.model !== model) return;
      seen.push(e);
      if (kinds.includes(e.kind)) { clearTimeout(timer); db.events.off('model', on); resolve(seen); }
    };
    db.events.on('model', on);
  });
}

/** A small deterministic table: label = x1 + x2 > 0, y = 3 x1 - 2 x2 + noise, a noise category. */
export async function makePoints(t: TestDb, name = 'pts', n = 400): Promise<void> {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const x1 = Math.round((rnd() * 4 - 2) * 1000) / 1000, x2 = Math.round((rnd() * 4 - 2) * 1000) / 1000;
    const cat = ['a', 'b', 'c'][Math.floor(rnd() * 3)];
    const y = Math.round((3 * x1 - 2 * x2 + (rnd() - 0.5) * 0.2) * 1000) / 1000;
    rows.push(`(${i}, ${x1}, ${x2}, '${cat}', ${x1 + x2 > 0 ? 1 : 0}, ${y})`);
  }
  await t.s.execute(`CREATE TABLE ${name} (id INTEGER, x1 REAL, x2 REAL, cat VARCHAR(5), label INTEGER, y DOUBLE PRECISION);
    INSERT INTO ${name} VALUES ${rows.join(', ')}`);
}
