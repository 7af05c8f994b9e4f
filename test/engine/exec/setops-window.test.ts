// Regressions in the executor's key handling: INTERSECT/EXCEPT when only one side has NULLs, and
// window partitions over several keys where some keys are NULL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, type Session } from '../../../engine/database.ts';

let dir: string;
let db: Database;
let s: Session;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-exec-keys-'));
  db = await Database.open({ dataDir: dir, slices: 2 });
  s = db.connect();
  await s.execute(`
    CREATE TABLE a (id INTEGER, g INTEGER, c VARCHAR(5), n INTEGER);
    INSERT INTO a VALUES (1, 1, 'x', 10), (2, NULL, 'x', 20), (3, 1, NULL, 30), (4, 2, 'y', 40),
                         (5, 1, 'x', 50), (6, NULL, NULL, 60), (7, NULL, 'x', 70), (8, 1, NULL, NULL);
    CREATE TABLE full_ints (v INTEGER, s VARCHAR(5));
    INSERT INTO full_ints VALUES (1, 'x'), (1, 'x'), (2, 'y'), (5, 'z'), (7, 'w');
    CREATE TABLE with_nulls (v INTEGER, s VARCHAR(5));
    INSERT INTO with_nulls VALUES (1, 'x'), (2, NULL), (NULL, 'y'), (9, 'q')`);
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = async (sql: string) => (await s.execute(sql))[0].rows;

describe('INTERSECT and EXCEPT compare values, whether or not a side has NULLs', () => {
  it('one column', async () => {
    expect(await rows('SELECT v FROM full_ints INTERSECT SELECT v FROM with_nulls ORDER BY 1')).toEqual([[1], [2]]);
    expect(await rows('SELECT v FROM with_nulls INTERSECT SELECT v FROM full_ints ORDER BY 1')).toEqual([[1], [2]]);
    expect(await rows('SELECT v FROM full_ints EXCEPT SELECT v FROM with_nulls ORDER BY 1')).toEqual([[5], [7]]);
    expect(await rows('SELECT v FROM with_nulls EXCEPT SELECT v FROM full_ints ORDER BY 1 NULLS FIRST')).toEqual([[null], [9]]);
  });

  it('strings and several columns', async () => {
    expect(await rows('SELECT s FROM full_ints INTERSECT SELECT s FROM with_nulls ORDER BY 1')).toEqual([['x'], ['y']]);
    expect(await rows('SELECT v, s FROM full_ints INTERSECT SELECT v, s FROM with_nulls')).toEqual([[1, 'x']]);
    expect(await rows('SELECT v, s FROM full_ints EXCEPT SELECT v, s FROM with_nulls ORDER BY 1')).toEqual([[2, 'y'], [5, 'z'], [7, 'w']]);
  });

  it('a filtered side without NULLs against one with', async () => {
    expect(await rows('SELECT id FROM a WHERE g > 0 INTERSECT SELECT g FROM a ORDER BY 1')).toEqual([[1]]);
    expect(await rows('SELECT g FROM a EXCEPT SELECT id FROM a WHERE id > 1 ORDER BY 1 NULLS LAST')).toEqual([[1], [null]]);
  });
});

describe('window partitions over several keys', () => {
  it('NULL is a key value of its own in each key', async () => {
    expect(await rows('SELECT id, sum(n) OVER (PARTITION BY g, c), count(*) OVER (PARTITION BY g, c) FROM a ORDER BY id')).toEqual([
      [1, 60, 2], [2, 90, 2], [3, 30, 2], [4, 40, 1], [5, 60, 2], [6, 60, 1], [7, 90, 2], [8, 30, 2],
    ]);
    expect(await rows('SELECT id, row_number() OVER (PARTITION BY c, g ORDER BY id DESC) FROM a ORDER BY id')).toEqual([
      [1, 2], [2, 2], [3, 2], [4, 1], [5, 1], [6, 1], [7, 1], [8, 1],
    ]);
  });

  it('one key still puts NULLs together', async () => {
    expect(await rows('SELECT id, count(*) OVER (PARTITION BY g) FROM a ORDER BY id')).toEqual([
      [1, 4], [2, 3], [3, 4], [4, 1], [5, 4], [6, 3], [7, 3], [8, 4],
    ]);
  });
});
