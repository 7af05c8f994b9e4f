// Child process of crash.test.ts: opens a data directory and commits in a loop until it is
// SIGKILLed. Every batch is derived from its sequence number (see batchRows), so the parent can
// check any batch it finds without knowing what the child did. After each commit is acknowledged
// (execute() resolved) the child prints "ack <seq>" on stdout.
//
// Batch kinds by seq % 4:
//   0  INSERT ... VALUES of all the batch's rows (one statement)
//   1  COPY of a small CSV holding the batch's rows
//   2  BEGIN; INSERT rows; INSERT into log; COMMIT (two tables, one transaction)
//   3  BEGIN; UPDATE acct (take); UPDATE acct (give); INSERT into xfer; COMMIT (sum invariant)
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from '../../../engine/database.ts';
import { ACCOUNTS, INITIAL_BALANCE, batchRows, transferOf } from './crash-batches.ts';

const [dataDir, csvDir] = process.argv.slice(2);
mkdirSync(csvDir, { recursive: true });
// the parent starts this process early (loading modules takes a while) and says "go" on stdin once
// it has closed the directory itself; stdin closing without "go" means the parent is gone
await new Promise<void>((resolve) => {
  let buf = '', started = false;
  process.stdin.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('go\n')) { started = true; resolve(); } });
  process.stdin.on('end', () => { if (!started) process.exit(0); });
});
const db = await Database.open({ dataDir, slices: 2 });
const s = db.connect();
const ack = (seq: number) => process.stdout.write(`ack ${seq}\n`);

const tables = (await s.execute('SHOW TABLES'))[0].rows.map((r) => String(r.find((v) => v === 'rows' || v === 'acct') ?? ''));
if (!tables.includes('rows')) {
  // one transaction, so a crash leaves either no schema or all of it
  const accts = Array.from({ length: ACCOUNTS }, (_, i) => `(${i}, ${INITIAL_BALANCE})`).join(', ');
  await s.execute(`BEGIN;
    CREATE TABLE rows (seq INTEGER, k INTEGER, v BIGINT, note VARCHAR(20));
    CREATE TABLE log (seq INTEGER, n INTEGER);
    CREATE TABLE acct (id INTEGER, bal BIGINT);
    CREATE TABLE xfer (seq INTEGER, src INTEGER, dst INTEGER, amount BIGINT);
    INSERT INTO acct VALUES ${accts};
    COMMIT`);
}
const max = (await s.execute('SELECT coalesce(max(seq), 0) FROM (SELECT seq FROM rows UNION ALL SELECT seq FROM xfer) x'))[0].rows[0][0] as number;
process.stdout.write('ready\n');

for (let seq = max + 1; ; seq++) {
  const kind = seq % 4;
  if (kind === 3) {
    const { src, dst, amount } = transferOf(seq);
    await s.execute(`BEGIN;
      UPDATE acct SET bal = bal - ${amount} WHERE id = ${src};
      UPDATE acct SET bal = bal + ${amount} WHERE id = ${dst};
      INSERT INTO xfer VALUES (${seq}, ${src}, ${dst}, ${amount});
      COMMIT`);
  } else {
    const rows = batchRows(seq);
    if (kind === 1) {
      const file = join(csvDir, `batch-${seq}.csv`);
      writeFileSync(file, 'seq,k,v,note\n' + rows.map((r) => `${r.seq},${r.k},${r.v},"${r.note}"`).join('\n') + '\n');
      await s.execute(`COPY rows FROM '${file}' FORMAT CSV IGNOREHEADER 1`);
    } else {
      const values = rows.map((r) => `(${r.seq}, ${r.k}, ${r.v}, '${r.note}')`).join(', ');
      if (kind === 0) await s.execute(`INSERT INTO rows VALUES ${values}`);
      else await s.execute(`BEGIN; INSERT INTO rows VALUES ${values}; INSERT INTO log VALUES (${seq}, ${rows.length}); COMMIT`);
    }
  }
  ack(seq);
}
