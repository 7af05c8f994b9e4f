// Runs every test/sql/**/*.slt file against Strata: one `describe` per file (a fresh data dir
// and a Database with 2 slices), one test per `## heading` group, run in order on one session.
// SLT=<substring> runs only the files whose path contains it.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFailure, groupRecords, parseSltFile, runRecords, type SessionLike } from './support/slt.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const sqlDir = join(root, 'test', 'sql');
const engineEntry = join(root, 'engine', 'database.ts');
const only = process.env.SLT ?? '';

const files = readdirSync(sqlDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.slt'))
  .map((f) => relative(root, join(sqlDir, f)))
  .filter((f) => f.includes(only))
  .sort();

interface DatabaseLike { connect(opts?: object): SessionLike & { close(): Promise<void> }; close(): Promise<void> }

if (!existsSync(engineEntry)) {
  describe('sqllogictest', () => {
    it.skip('engine/database.ts does not exist yet', () => {});
  });
} else {
  for (const file of files) {
    describe(file, () => {
      let dataDir = '';
      let db: DatabaseLike | undefined;
      let session: (SessionLike & { close(): Promise<void> }) | undefined;
      const groups = groupRecords(parseSltFile(file));

      beforeAll(async () => {
        const { Database } = await import(/* @vite-ignore */ engineEntry);
        dataDir = mkdtempSync(join(tmpdir(), 'strata-slt-'));
        db = (await Database.open({ dataDir, slices: 2 })) as DatabaseLike;
        // the ML statements (test/sql/ml) need the ML extension, as the server loads it
        const { extension } = await import('../ml/extension.ts');
        (db as unknown as { use(e: unknown): void }).use(extension(db as never));
        session = db.connect();
      }, 30_000);

      afterAll(async () => {
        await session?.close();
        await db?.close();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }, 30_000);

      for (const g of groups) {
        it(`${file}:${g.line} ${g.name || '(top)'}`, async () => {
          if (!session) throw new Error('database did not open');
          const failures = await runRecords(session, g.records);
          if (failures.length) {
            throw new Error(`${failures.length} failing record(s)\n\n${failures.map(formatFailure).join('\n\n')}`);
          }
        }, 60_000);
      }
    });
  }
}
