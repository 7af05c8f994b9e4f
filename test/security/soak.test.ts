// Soak: one account runs abusive statements (runaway joins, regex bombs, huge chunked bodies,
// piles of cursors, sorts near the memory limit) while another account's normal clients keep
// asking `SELECT 1` and a monitor polls /health. Normal work must keep answering. The server runs
// in a process of its own, so its latency and memory are measured without the test's clients.
// ~3 s by default, and until every kind of abuse has run at least once (however busy the
// machine); STRATA_SOAK=1 runs 60 s. p50/p99 latencies and the server's peak RSS are
// printed for the report; the assertions are deliberately generous (CI machines are shared and
// noisy), except that RSS stays under the server's memory limit + 500 MB.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { serveProcess, type ServerProcess } from './server-process.ts';
import { client, ok, tempDir } from '../api/helpers.ts';
import { underLoad } from '../support/deadline.ts';

const LONG = process.env.STRATA_SOAK === '1';
const DURATION_MS = LONG ? 60_000 : 3_000;
/** every abuse loop runs at least this many times, past DURATION_MS if need be */
const MIN_RUNS = 1;
const MB = 1024 * 1024;
const QUERY_MEMORY_LIMIT = 256 * MB;
const MEMORY_LIMIT = 1024 * MB;
const tmp = tempDir('strata-soak-');
let server: ServerProcess;
let abuserToken: string;

beforeAll(async () => {
  server = await serveProcess(tmp.dir, ['--slices', '2', '--query-memory-limit', '256MB', '--memory-limit', '1GB']);
  const admin = client(fetch, server.url, server.adminToken);
  ok(await admin('mutation { execute(sql: "create account abuser; create account normal") { command } }'));
  abuserToken = ok(await admin('mutation { createToken(account: "abuser") { token } }')).createToken.token;
  const abuser = client(fetch, server.url, abuserToken);
  ok(await abuser(`mutation { executeScript(sql: """
    create table d (x int); insert into d values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
    create table n as select a.x*10000+b.x*1000+c.x*100+e.x*10+f.x as x from d a, d b, d c, d e, d f, d g where g.x < 3
  """) { command } }`));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  tmp.remove();
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** A chunked POST of `bytes` to /arrow; resolves with the status (413 expected). */
function hugeBody(bytes: number): Promise<number> {
  const url = new URL('/arrow', server.url);
  return new Promise((resolve) => {
    let sent = 0, status = 0;
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${abuserToken}`, 'transfer-encoding': 'chunked' } }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => { req.destroy(); resolve(status); });
    });
    req.on('error', () => resolve(status));
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const pump = () => {
      while (sent < bytes && !status && !req.destroyed) { sent += chunk.length; if (!req.write(chunk)) { req.once('drain', pump); return; } }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

it(`normal clients keep answering while another account abuses the server (${DURATION_MS / 1000} s)`, async () => {
  const normalToken = ok(await client(fetch, server.url, server.adminToken)('mutation { createToken(account: "normal") { token } }')).createToken.token;
  const normal = client(fetch, server.url, normalToken);
  const abuser = client(fetch, server.url, abuserToken);
  const end = Date.now() + DURATION_MS;
  const abuse: Record<string, number> = {};
  const count = (k: string) => { abuse[k] = (abuse[k] ?? 0) + 1; };
  const errors: string[] = [];
  let abusing = true;
  const run = (f: () => Promise<void>) => f().catch((e) => { errors.push(String(e)); });
  const loop = async (f: () => Promise<void>) => { for (let n = 0; Date.now() < end || n < MIN_RUNS; n++) await run(f); };
  /** normal clients keep going as long as any abuse does */
  const whileAbused = async (f: () => Promise<void>) => { while (abusing) await run(f); };

  const abusers = [
    // runaway broadcast join: 3*10^10 pairs; stopped by its timeout
    () => loop(async () => { const r = await abuser('{ query(sql: "select count(*) from n a join n b on a.x % 100 = b.x % 100", timeoutMs: 1000) { rows } }'); count(`join:${r.errors?.[0]?.extensions?.code ?? 'ok'}`); }),
    // a statement that would need gigabytes (30 000 strings of 100 000 characters, then sorted):
    // stopped by the server's memory limit
    () => loop(async () => { const r = await abuser('{ query(sql: "select x, repeat(cast(x as varchar), 20000) as s from n where x < 30000 order by s", limit: 1) { rows } }'); count(`bomb:${r.errors?.[0]?.extensions?.code ?? 'ok'}`); }),
    // a join at the leader, stopped by SET statement_timeout
    () => loop(async () => { const r = await abuser('mutation { executeScript(sql: "set statement_timeout = 1000; select count(*) from (select x % 100 k from n group by x) a join (select x % 100 k from n group by x) b on a.k = b.k") { rows } }'); count(`leader-join:${r.errors?.[0]?.extensions?.code ?? 'ok'}`); }),
    // regex bombs: a backreference (refused) and nested quantifiers over long text (linear)
    () => loop(async () => {
      const r = await abuser(`{ query(sql: "select regexp_count(repeat('a', 30) || '!', '^(a+)+\\\\1$')") { rows } }`);
      count(`redos-backref:${r.errors?.[0]?.extensions?.code ?? 'ok'}`);
      const r2 = await abuser(`{ query(sql: "select regexp_count(repeat('a', 20000) || '!', '(a|aa)+$'), count(*) from n where cast(x as varchar) like '%1%2%3%4%'") { rows } }`);
      count(`redos-nested:${r2.errors?.[0]?.extensions?.code ?? 'ok'}`);
    }),
    // 200 MB chunked bodies
    () => loop(async () => { count(`body:${await hugeBody(200 * 1024 * 1024)}`); }),
    // piles of cursors over a large result, and sorts over the memory limit
    () => loop(async () => {
      const r = await abuser('{ query(sql: "select x, x * 2 from n where x < 60000", limit: 1) { cursor } }');
      count(`cursor:${r.errors?.[0]?.extensions?.code ?? 'ok'}`);
      const m = await abuser('{ query(sql: "select x, cast(x as varchar) || repeat(\'y\', 200) as s from n order by 2 desc", limit: 1) { rows } }');
      count(`memory:${m.errors?.[0]?.extensions?.code ?? 'ok'}`);
    }),
  ];

  const selectMs: number[] = [];
  const healthMs: number[] = [];
  let wrong = 0;
  let peakRss = 0;
  const normals = [
    ...[0, 1].map(() => () => whileAbused(async () => {
      const t0 = performance.now();
      const r = await normal('{ query(sql: "select 1") { rows } }');
      selectMs.push(performance.now() - t0);
      if (JSON.stringify(r.data?.query?.rows) !== '[[1]]') wrong++;
      await new Promise((res) => setTimeout(res, 20));
    })),
    () => whileAbused(async () => {
      const t0 = performance.now();
      const r = await fetch(server.url.replace(/\/graphql$/, '/health'));
      await r.text();
      healthMs.push(performance.now() - t0);
      await new Promise((res) => setTimeout(res, 50));
    }),
  ];
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, server.rss()); }, 50);
  const normalWork = normals.map((f) => f());
  await Promise.all(abusers.map((f) => f()));
  abusing = false;
  await Promise.all(normalWork);
  clearInterval(sampler);
  const seconds = (Date.now() - end + DURATION_MS) / 1000;

  const report = {
    seconds: Math.round(seconds * 10) / 10,
    // the machine's 1-minute load average at the end: on 2 cores shared with other work, the
    // server's threads wait for a core, and the latencies say more about the machine than the server
    loadAverage: Math.round(loadavg()[0] * 10) / 10,
    selectOne: { n: selectMs.length, p50: Math.round(pct(selectMs, 50)), p99: Math.round(pct(selectMs, 99)), max: Math.round(Math.max(...selectMs)) },
    health: { n: healthMs.length, p50: Math.round(pct(healthMs, 50)), p99: Math.round(pct(healthMs, 99)), max: Math.round(Math.max(...healthMs)) },
    serverPeakRssMB: Math.round(peakRss / MB), memoryLimitMB: MEMORY_LIMIT / MB, queryMemoryLimitMB: QUERY_MEMORY_LIMIT / MB,
    abuse,
  };
  console.log(`[soak] ${JSON.stringify(report)}`);
  expect(errors).toEqual([]);
  expect(wrong).toBe(0);
  // the abuse really happened and was refused or stopped, never answered by a crash
  expect(Object.keys(abuse).some((k) => k.startsWith('join:QUERY_CANCELED'))).toBe(true);
  expect(abuse['body:413']).toBeGreaterThan(0);
  expect(Object.keys(abuse).filter((k) => k.startsWith('bomb:'))).toEqual(['bomb:OUT_OF_MEMORY']);
  expect(Object.keys(abuse).filter((k) => k.includes('INTERNAL_ERROR'))).toEqual([]);
  // normal work kept flowing; generous bounds (the target, p99 < 100 ms, is what the report shows,
  // measured on a quiet machine: on a loaded one the server's thread waits for a core)
  expect(selectMs.length).toBeGreaterThan(seconds);
  expect(report.selectOne.p99).toBeLessThan(10_000);
  expect(report.health.p99).toBeLessThan(10_000);
  // the server (leader and slices; not the test's clients) stays under its memory limit + 500 MB
  if (peakRss > 0) expect(peakRss).toBeLessThan(MEMORY_LIMIT + 500 * MB);
  // its two slice threads (restarted by this statement if the abuse killed one) run 10 nice
  // levels below the leader (`--slice-niceness` default)
  expect(ok(await abuser('{ query(sql: "select count(*) from n") { rows } }')).query.rows).toEqual([[300_000]]);
  const nices = server.threadNices();
  if (process.platform === 'linux') expect(nices.filter((n) => n === nices[0] + 10)).toHaveLength(2);
}, underLoad(120_000));
