// `npm run bench -- pgwire [--rows N] [--queries Q] [--clients C]`: starts a real `strata serve
// --pg-port` (child process), loads a table of N rows, then runs Q parameterised point queries
// (`... where id = $1`) through the PostgreSQL protocol with the `pg` client and the same Q
// queries through GraphQL over HTTP, each with C concurrent connections. Checks that both
// return the same rows for every query and reports throughput and latency percentiles.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Options { rows: number; queries: number; clients: number }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 10_000, queries: 10_000, clients: 8 };
  for (let i = 0; i < args.length; i += 2) {
    const v = Number(args[i + 1]);
    if (!(v > 0)) throw new Error(`${args[i]} needs a positive number`);
    if (args[i] === '--rows') o.rows = v;
    else if (args[i] === '--queries') o.queries = v;
    else if (args[i] === '--clients') o.clients = v;
    else throw new Error(`unknown argument ${args[i]} (usage: pgwire [--rows N] [--queries Q] [--clients C])`);
  }
  return o;
}

/** Starts `strata serve` on free ports; resolves with its token, GraphQL URL and pg port. */
async function serve(dir: string): Promise<{ child: ChildProcess; token: string; url: string; pgPort: number }> {
  const pgPort = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [join(root, 'bin/strata.js'), 'serve', '--data', dir, '--port', '0', '--pg-port', String(pgPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`strata serve exited with ${code}: ${out}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      const token = /^\s+(strata_\S+)$/m.exec(out)?.[1];
      const url = /GraphQL API on (\S+)/.exec(out)?.[1];
      if (token && url && /PostgreSQL protocol on/.test(out)) resolve({ child, token, url, pgPort });
    });
  });
}

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

/** Runs `n` jobs over `clients` workers; returns per-job latencies and wall time. */
async function drive(n: number, clients: number, job: (i: number, worker: number) => Promise<void>): Promise<{ ms: number[]; wallMs: number }> {
  const ms: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, w) => {
    for (let i = next++; i < n; i = next++) {
      const t = performance.now();
      await job(i, w);
      ms.push(performance.now() - t);
    }
  }));
  return { ms, wallMs: performance.now() - t0 };
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-pg-'));
  const s = await serve(join(dir, 'data'));
  const clients: pg.Client[] = [];
  try {
    const connect = async () => {
      const c = new pg.Client({ host: '127.0.0.1', port: s.pgPort, user: 'admin@admin', database: 'dev', password: s.token });
      await c.connect();
      clients.push(c);
      return c;
    };
    const admin = await connect();
    await admin.query('create table d (x int)');
    await admin.query('insert into d values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');
    const digits = Math.ceil(Math.log10(o.rows));
    const from = Array.from({ length: digits }, (_, i) => `d d${i}`).join(', ');
    const id = Array.from({ length: digits }, (_, i) => `d${i}.x * ${10 ** i}`).join(' + ');
    await admin.query(`create table points sortkey(id) as select ${id} as id, 'name-' || cast(${id} as varchar) as name, cast(${id} as decimal(12,2)) / 7 as score from ${from} where ${id} < ${o.rows}`);
    const ids = Array.from({ length: o.queries }, (_, i) => (i * 7919) % o.rows);
    const sql = 'select id, name, score from points where id = $1';

    const pool = await Promise.all(Array.from({ length: o.clients }, connect));
    const pgRows: unknown[][][] = new Array(o.queries);
    const viaPg = await drive(o.queries, o.clients, async (i, w) => {
      pgRows[i] = (await pool[w].query({ text: sql, values: [ids[i]], rowMode: 'array' })).rows;
    });

    const gqlRows: unknown[][][] = new Array(o.queries);
    const query = 'query($sql: String!) { query(sql: $sql) { rows } }';
    const viaGraphQL = await drive(o.queries, o.clients, async (i) => {
      const r = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` }, body: JSON.stringify({ query, variables: { sql: sql.replace('$1', String(ids[i])) } }) });
      const body = (await r.json()) as { data?: { query: { rows: unknown[][] } }; errors?: unknown };
      if (!body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
      gqlRows[i] = body.data.query.rows;
    });

    // the same rows, compared as text (pg returns NUMERIC and BIGINT as strings, GraphQL as JSON)
    let mismatches = 0;
    for (let i = 0; i < o.queries; i++) {
      if (JSON.stringify(pgRows[i].map((r) => r.map(String))) !== JSON.stringify(gqlRows[i].map((r) => r.map(String)))) mismatches++;
    }
    const report = (name: string, r: { ms: number[]; wallMs: number }) =>
      console.log(`${name.padEnd(10)} ${(o.queries / (r.wallMs / 1000)).toFixed(0).padStart(7)} queries/s   p50 ${pct(r.ms, 50).toFixed(2)} ms   p99 ${pct(r.ms, 99).toFixed(2)} ms   (${(r.wallMs / 1000).toFixed(1)} s)`);
    console.log(`${o.queries} point queries on ${o.rows} rows, ${o.clients} connections each`);
    report('pg', viaPg);
    report('GraphQL', viaGraphQL);
    console.log(`ratio pg/GraphQL throughput: ${(viaGraphQL.wallMs / viaPg.wallMs).toFixed(2)}x; rows differing: ${mismatches} of ${o.queries}`);
    if (mismatches) process.exitCode = 1;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
