// Child of first-detach.test.ts: opens the loaded directory argv[2] with one slice and runs a
// join into a GROUP BY three times, printing a marker before each run (the V8 traces it runs under
// go to the same stdout) and the first run's answer on stderr, which the traces leave alone.
import { writeSync } from 'node:fs';
import { Database } from '../../../engine/database.ts';

const db = await Database.open({ dataDir: process.argv[2], slices: 1 });
const s = db.connect();
let answer: unknown[][] = [];
for (let i = 0; i < 3; i++) {
  writeSync(1, `@@QUERY ${i}\n`);
  const [r] = await s.execute('SELECT dim.label, sum(f.v) AS total FROM f JOIN dim ON f.k = dim.k GROUP BY dim.label ORDER BY dim.label');
  if (i === 0) answer = r.rows;
}
writeSync(2, JSON.stringify(answer, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
await s.close();
await db.close();
process.exit(0);
