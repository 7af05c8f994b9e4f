// Snapshot isolation under concurrent sessions: writers move amounts between two tables inside
// transactions (retrying serialization failures) while readers check, inside multi-statement
// transactions and single-statement joins, that the total never changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, SqlError, type Session } from '../../../engine/database.ts';
import { underLoad } from '../../support/deadline.ts';

const ACCOUNTS = 6;
const START = 1000;
const TOTAL = 2 * ACCOUNTS * START;

let dir: string;
let db: Database;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strata-concurrency-'));
  db = await Database.open({ dataDir: dir, slices: 2 });
  const values = Array.from({ length: ACCOUNTS }, (_, i) => `(${i}, ${START})`).join(', ');
  await db.connect().execute(`
    CREATE TABLE a (id INTEGER, bal BIGINT);
    CREATE TABLE b (id INTEGER, bal BIGINT);
    INSERT INTO a VALUES ${values};
    INSERT INTO b VALUES ${values}`);
});
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

const one = async (s: Session, sql: string): Promise<unknown> => (await s.execute(sql))[0].rows[0]?.[0];
const yieldNow = () => new Promise<void>((r) => setImmediate(r));

async function failureOf(p: Promise<unknown>): Promise<SqlError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return e as SqlError;
  }
  throw new Error('expected the statement to fail');
}

describe('readers see a consistent total while writers commit', () => {
  it('holds for multi-statement transactions and single-statement joins', async () => {
    // everyone runs until all have done enough (not for a fixed time), so a busy machine only
    // makes this slower: 20 commits, 3 serialization failures, 20 transactional and 15 join reads.
    // A reader starts its next check once a writer has committed again (while the other writers
    // are between the halves of their transfers), so cheap reads do not starve the writers.
    let stop = false;
    const stats = { commits: 0, conflicts: 0, txnReads: 0, joinReads: 0 };
    const enough = () => stats.commits >= 20 && stats.conflicts >= 3 && stats.txnReads >= 20 && stats.joinReads >= 15;
    let committed!: () => void;
    let nextCommit = new Promise<void>((r) => { committed = r; });
    const afterNextCommit = () => (stop ? undefined : nextCommit);
    const done = () => { if (enough()) { stop = true; committed(); } };
    const violations: string[] = [];

    async function writer(seed: number): Promise<void> {
      const rand = rng(seed);
      const s = db.connect();
      while (!stop) {
        const [from, to] = rand() < 0.5 ? ['a', 'b'] : ['b', 'a'];
        const src = Math.floor(rand() * ACCOUNTS), dst = Math.floor(rand() * ACCOUNTS);
        const amount = 1 + Math.floor(rand() * 50);
        try {
          await s.execute('BEGIN');
          await s.execute(`UPDATE ${from} SET bal = bal - ${amount} WHERE id = ${src}`);
          await yieldNow(); // let other sessions in between the two halves of the transfer
          await s.execute(`UPDATE ${to} SET bal = bal + ${amount} WHERE id = ${dst}`);
          await s.execute('COMMIT');
          stats.commits++;
          const wake = committed;
          nextCommit = new Promise<void>((r) => { committed = r; });
          wake();
        } catch (e) {
          if (!(e instanceof SqlError) || e.code !== 'SERIALIZATION_FAILURE') throw e;
          expect(e.message).toMatch(/could not serialize access/);
          stats.conflicts++;
          await s.execute('ROLLBACK'); // no-op when COMMIT already ended the block
        }
        done();
      }
    }

    async function txnReader(): Promise<void> {
      const s = db.connect();
      while (!stop) {
        await s.execute('BEGIN');
        const sa = Number(await one(s, 'SELECT sum(bal) FROM a'));
        await yieldNow();
        const sb = Number(await one(s, 'SELECT sum(bal) FROM b'));
        await yieldNow();
        const again = Number(await one(s, 'SELECT sum(bal) FROM a'));
        const rows = Number(await one(s, 'SELECT count(*) FROM a'));
        await s.execute('COMMIT');
        if (sa + sb !== TOTAL) violations.push(`transaction saw a=${sa} b=${sb}`);
        if (again !== sa) violations.push(`repeated read changed within a transaction: ${sa} then ${again}`);
        if (rows !== ACCOUNTS) violations.push(`a has ${rows} rows`);
        stats.txnReads++;
        done();
        await afterNextCommit();
      }
    }

    async function joinReader(): Promise<void> {
      const s = db.connect();
      while (!stop) {
        const [r] = await s.execute('SELECT sum(a.bal + b.bal), count(*) FROM a JOIN b ON a.id = b.id');
        const [total, n] = r.rows[0].map(Number);
        if (total !== TOTAL || n !== ACCOUNTS) violations.push(`join saw total=${total} rows=${n}`);
        const [u] = await s.execute('SELECT sum(bal) FROM (SELECT bal FROM a UNION ALL SELECT bal FROM b) x');
        if (Number(u.rows[0][0]) !== TOTAL) violations.push(`union saw ${u.rows[0][0]}`);
        stats.joinReads++;
        done();
        await afterNextCommit();
      }
    }

    try {
      await Promise.all([writer(1), writer(2), writer(3), txnReader(), txnReader(), joinReader()]);
    } finally {
      stop = true; // a failed check ends the other loops too
      committed();
    }
    expect(violations).toEqual([]);
    expect(enough()).toBe(true);
    const s = db.connect();
    expect(Number(await one(s, 'SELECT (SELECT sum(bal) FROM a) + (SELECT sum(bal) FROM b)'))).toBe(TOTAL);
  }, underLoad(40_000));
});

describe('transactions', () => {
  it('two concurrent UPDATEs of one table: the second COMMIT fails with SERIALIZATION_FAILURE', async () => {
    await db.connect().execute('CREATE TABLE c (id INTEGER, v INTEGER); INSERT INTO c VALUES (1, 10), (2, 20)');
    const s1 = db.connect(), s2 = db.connect();
    await s1.execute('BEGIN; UPDATE c SET v = v + 1 WHERE id = 1');
    await s2.execute('BEGIN; UPDATE c SET v = v + 100 WHERE id = 2');
    await s1.execute('COMMIT');
    const e = await failureOf(s2.execute('COMMIT'));
    expect(e.code).toBe('SERIALIZATION_FAILURE');
    expect(e.message).toMatch(/could not serialize access due to concurrent update.*retry/);
    // the failed transaction is over and left nothing behind; s2 works again
    expect(s2.inTransaction).toBe(false);
    const [r] = await s2.execute('SELECT id, v FROM c ORDER BY id');
    expect(r.rows).toEqual([[1, 11], [2, 20]]);
    // and a retry succeeds
    await s2.execute('BEGIN; UPDATE c SET v = v + 100 WHERE id = 2; COMMIT');
    expect((await s2.execute('SELECT v FROM c WHERE id = 2'))[0].rows).toEqual([[120]]);
  });

  it('a DELETE racing an UPDATE on the same table also conflicts; appends do not', async () => {
    await db.connect().execute('CREATE TABLE d (id INTEGER); INSERT INTO d VALUES (1), (2), (3)');
    const s1 = db.connect(), s2 = db.connect(), s3 = db.connect();
    await s1.execute('BEGIN; DELETE FROM d WHERE id = 1');
    await s2.execute('BEGIN; UPDATE d SET id = 20 WHERE id = 2');
    await s3.execute('BEGIN; INSERT INTO d VALUES (4)');
    await s3.execute('COMMIT'); // an append commits first: the modifying ones still conflict with it
    const e1 = await failureOf(s1.execute('COMMIT'));
    expect(e1.code).toBe('SERIALIZATION_FAILURE');
    await s2.execute('ROLLBACK');
    const [r] = await db.connect().execute('SELECT id FROM d ORDER BY id');
    expect(r.rows).toEqual([[1], [2], [3], [4]]);
    // two appends never conflict
    await s1.execute('BEGIN; INSERT INTO d VALUES (5)');
    await s2.execute('BEGIN; INSERT INTO d VALUES (6)');
    await s1.execute('COMMIT');
    await s2.execute('COMMIT');
    expect((await s3.execute('SELECT count(*) FROM d'))[0].rows).toEqual([[6]]);
  });

  it('ROLLBACK discards every statement of the block', async () => {
    const s = db.connect();
    await s.execute('CREATE TABLE r (id INTEGER, name VARCHAR(10)); INSERT INTO r VALUES (1, \'one\')');
    await s.execute('BEGIN');
    await s.execute("INSERT INTO r VALUES (2, 'two')");
    await s.execute("UPDATE r SET name = 'uno' WHERE id = 1");
    await s.execute('CREATE TABLE r2 (x INTEGER)');
    // the block sees its own writes
    expect((await s.execute('SELECT id, name FROM r ORDER BY id'))[0].rows).toEqual([[1, 'uno'], [2, 'two']]);
    // nobody else does
    expect((await db.connect().execute('SELECT id, name FROM r ORDER BY id'))[0].rows).toEqual([[1, 'one']]);
    await s.execute('ROLLBACK');
    expect((await s.execute('SELECT id, name FROM r ORDER BY id'))[0].rows).toEqual([[1, 'one']]);
    expect((await failureOf(s.execute('SELECT * FROM r2'))).code).toBe('UNDEFINED_TABLE');
  });

  it('an error inside a block aborts it: later statements are refused and COMMIT rolls back', async () => {
    const s = db.connect();
    await s.execute('CREATE TABLE e (id INTEGER)');
    await s.execute('BEGIN; INSERT INTO e VALUES (1)');
    expect((await failureOf(s.execute('SELECT 1 / 0'))).code).toBe('DIVISION_BY_ZERO');
    expect((await failureOf(s.execute('INSERT INTO e VALUES (2)'))).code).toBe('INVALID_TRANSACTION_STATE');
    const [c] = await s.execute('COMMIT');
    expect(c.command).toBe('ROLLBACK');
    expect((await s.execute('SELECT count(*) FROM e'))[0].rows).toEqual([[0]]);
  });

  it("a reader's snapshot does not see commits made after its first statement", async () => {
    const w = db.connect(), r = db.connect();
    await w.execute('CREATE TABLE snap (id INTEGER); INSERT INTO snap VALUES (1), (2)');
    await r.execute('BEGIN');
    expect((await r.execute('SELECT count(*) FROM snap'))[0].rows).toEqual([[2]]);
    await w.execute('INSERT INTO snap VALUES (3)');
    await w.execute('UPDATE snap SET id = id * 10');
    await w.execute('CREATE TABLE snap_new (x INTEGER)');
    expect((await r.execute('SELECT count(*), sum(id) FROM snap'))[0].rows).toEqual([[2, 3]]);
    expect((await failureOf(r.execute('SELECT * FROM snap_new'))).code).toBe('UNDEFINED_TABLE');
    await r.execute('COMMIT');
    expect((await r.execute('SELECT count(*), sum(id) FROM snap'))[0].rows).toEqual([[3, 60]]);
  });

  it('the snapshot is taken at the first statement of the block, not at BEGIN', async () => {
    const w = db.connect(), r = db.connect();
    await w.execute('CREATE TABLE late (id INTEGER)');
    await r.execute('BEGIN');
    await w.execute('INSERT INTO late VALUES (1)');
    expect((await r.execute('SELECT count(*) FROM late'))[0].rows).toEqual([[1]]);
    await w.execute('INSERT INTO late VALUES (2)');
    expect((await r.execute('SELECT count(*) FROM late'))[0].rows).toEqual([[1]]);
    await r.execute('COMMIT');
  });
});
