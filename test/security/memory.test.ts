// The server's memory limit (--memory-limit) holds for a statement that would otherwise take the
// process down: it fails with OUT_OF_MEMORY, the server's RSS stays under the limit + 500 MB
// throughout (sampled every 20 ms from /proc), and the server keeps answering, slices included.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { serveProcess, type ServerProcess } from './server-process.ts';
import { client, ok, tempDir } from '../api/helpers.ts';

const MB = 2 ** 20;
const LIMIT = 400 * MB;
const tmp = tempDir('strata-memory-');
let server: ServerProcess;

beforeAll(async () => {
  // a per-statement limit far above the server's: only the server-wide limit can stop it
  server = await serveProcess(tmp.dir, ['--slices', '1', '--memory-limit', '400MB', '--query-memory-limit', '64GB']);
  ok(await client(fetch, server.url, server.adminToken)(`mutation { executeScript(sql: """
    create table d (x int); insert into d values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
    create table n as select a.x*1000+b.x*100+c.x*10+e.x as x from d a, d b, d c, d e, d f where f.x < 3
  """) { command } }`));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

it.runIf(existsSync('/proc/self/status'))('a statement that would need gigabytes fails with OUT_OF_MEMORY; RSS stays under the limit + 500 MB', async () => {
  const admin = client(fetch, server.url, server.adminToken);
  const before = server.rss();
  let peak = before;
  const sampler = setInterval(() => { peak = Math.max(peak, server.rss()); }, 20);
  // 30 000 rows of about 100 000 characters each: 3 GB of strings before the sort even starts
  const r = await admin('{ query(sql: "select x, repeat(cast(x as varchar), 20000) as s from n order by s desc", limit: 1) { rows } }');
  clearInterval(sampler);
  if (process.env.STRATA_TEST_VERBOSE) console.log(`[memory] limit ${LIMIT / MB} MB, RSS before ${Math.round(before / MB)} MB, peak ${Math.round(peak / MB)} MB: ${r.errors?.[0]?.message}`);
  expect(r.errors?.[0]?.extensions?.code).toBe('OUT_OF_MEMORY');
  expect(r.errors?.[0]?.message).toMatch(/memory limit|ran out of memory/);
  expect(peak).toBeLessThan(LIMIT + 500 * MB);
  // the server and its slice still work
  expect(ok(await admin('{ query(sql: "select 1") { rows } }')).query.rows).toEqual([[1]]);
  expect(ok(await admin('{ query(sql: "select count(*), sum(x) from n") { rows } }')).query.rows).toEqual([[30000, 3 * 4999.5 * 10000]]);
}, 120_000);
