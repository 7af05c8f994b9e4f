// `npm run bench -- api [--rows N] [--seconds S] [--clients C] [--scan-ratio R] [--slices N]`:
// loads LINEITEM into a real `strata serve` (child process), then C concurrent HTTP clients send
// a mix of short selective queries and occasional full scans for S seconds. Reports latency
// percentiles per kind, throughput and failures, then runs the same mix in-process (same
// database and workload manager, no HTTP/GraphQL) to give the API's overhead as a ratio.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LINEITEM_COLUMNS, lineitemCsv } from './lineitem.ts';
import { Q1, Q6 } from './engine.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Options { rows: number; seconds: number; clients: number; scanRatio: number; slices?: number }

function parseArgs(args: string[]): Options {
  const o: Options = { rows: 6_000_000, seconds: 30, clients: 64, scanRatio: 0.02 };
  for (let i = 0; i < args.length; i++) {
    const v = Number(args[i + 1]);
    switch (args[i]) {
      case '--rows': o.rows = v; break;
      case '--seconds': o.seconds = v; break;
      case '--clients': o.clients = v; break;
      case '--scan-ratio': o.scanRatio = v; break;
      case '--slices': o.slices = v; break;
      default: throw new Error(`unknown argument ${args[i]} (usage: api [--rows N] [--seconds S] [--clients C] [--scan-ratio R] [--slices N])`);
    }
    i++;
  }
  if (!(o.rows > 0 && o.seconds > 0 && o.clients > 0 && o.scanRatio >= 0 && o.scanRatio <= 1)) throw new Error('bad arguments');
  return o;
}

type Kind = 'short' | 'scan';

/** A deterministic query mix: short selective lookups (zone-map pruned) and full scans. */
function queryMix(rows: number, scanRatio: number) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const maxKey = Math.max(8, Math.floor((rows / 4) * 32 / 8));
  const day = () => new Date(Date.UTC(1992, 0, 2) + Math.floor(rnd() * 2500) * 86_400_000).toISOString().slice(0, 10);
  const shorts = [
    () => `select l_orderkey, l_linenumber, l_quantity, l_extendedprice, l_shipdate from lineitem where l_orderkey = ${1 + Math.floor(rnd() * maxKey)}`,
    () => { const k = 1 + Math.floor(rnd() * maxKey); return `select count(*), sum(l_extendedprice) from lineitem where l_orderkey between ${k} and ${k + 200}`; },
    () => { const k = 1 + Math.floor(rnd() * maxKey); return `select l_shipmode, count(*) from lineitem where l_orderkey between ${k} and ${k + 2000} and l_shipdate >= date '${day()}' group by l_shipmode order by 1`; },
  ];
  const scans = [() => Q1, () => Q6];
  return (): { kind: Kind; sql: string } => {
    if (rnd() < scanRatio) return { kind: 'scan', sql: scans[Math.floor(rnd() * scans.length)]() };
    return { kind: 'short', sql: shorts[Math.floor(rnd() * shorts.length)]() };
  };
}

/** Latency samples of one kind. */
class Samples {
  readonly ms: number[] = [];
  failed = 0;
  add(ms: number): void { this.ms.push(ms); }
  pct(p: number): number {
    if (!this.ms.length) return NaN;
    const s = [...this.ms].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  }
  mean(): number { return this.ms.reduce((a, b) => a + b, 0) / Math.max(1, this.ms.length); }
}

/** Runs `clients` loops for `seconds`, each sending the next query of the mix via `send`. */
async function load(o: Options, send: (sql: string) => Promise<boolean>, errors: string[]): Promise<{ short: Samples; scan: Samples; total: number; wallMs: number }> {
  const next = queryMix(o.rows, o.scanRatio);
  const s = { short: new Samples(), scan: new Samples() };
  const end = performance.now() + o.seconds * 1000;
  const t0 = performance.now();
  let total = 0;
  await Promise.all(Array.from({ length: o.clients }, async () => {
    while (performance.now() < end) {
      const q = next();
      const t = performance.now();
      let good = false;
      try { good = await send(q.sql); } catch (e) { if (errors.length < 5) errors.push(String((e as Error).message)); }
      total++;
      if (good) s[q.kind].add(performance.now() - t); else s[q.kind].failed++;
    }
  }));
  return { ...s, total, wallMs: performance.now() - t0 };
}

/** Starts `strata serve` on a free port; resolves with its URL and first admin token. */
function startChild(dir: string, o: Options): Promise<{ child: ChildProcess; url: string; token: string }> {
  const args = ['bin/strata.js', 'serve', '--data', dir, '--port', '0', ...(o.slices ? ['--slices', String(o.slices)] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STRATA_STATEMENT_TIMEOUT_MS: '600000' } });
  return new Promise((resolve, reject) => {
    let out = '';
    let token = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      out += c;
      token ||= /(strata_[0-9a-f]{12}_[A-Za-z0-9_-]{43})/.exec(out)?.[1] ?? '';
      const url = /on (http:\/\/\S+\/graphql)/.exec(out)?.[1];
      if (url && token) resolve({ child, url, token });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

function gqlSender(url: string, token: string) {
  return async (sql: string, mutation = false): Promise<boolean> => {
    const query = mutation ? 'mutation($s: String!) { execute(sql: $s, timeoutMs: 600000) { rowCount } }' : 'query($s: String!) { query(sql: $s) { rowCount rows } }';
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables: { s: sql } }) });
    const body = (await r.json()) as { errors?: { message: string }[] };
    if (r.status !== 200 || body.errors) throw new Error(`HTTP ${r.status}: ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
    return true;
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

function report(name: string, r: Awaited<ReturnType<typeof load>>): void {
  const rate = (r.total / r.wallMs) * 1000;
  console.log(`${name}: ${r.total} requests in ${(r.wallMs / 1000).toFixed(1)} s = ${rate.toFixed(1)} req/s, failed ${r.short.failed + r.scan.failed}`);
  for (const k of ['short', 'scan'] as const) {
    const s = r[k];
    console.log(`  ${k.padEnd(5)} n=${String(s.ms.length).padStart(6)}  p50 ${fmt(s.pct(50))} ms  p90 ${fmt(s.pct(90))} ms  p99 ${fmt(s.pct(99))} ms  mean ${fmt(s.mean())} ms`);
  }
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const csv = lineitemCsv(o.rows, console.log);
  const dir = mkdtempSync(join(tmpdir(), 'bench-api-'));
  let child: ChildProcess | undefined;
  try {
    const s = await startChild(dir, o);
    child = s.child;
    const send = gqlSender(s.url, s.token);
    let t = performance.now();
    await send(`CREATE TABLE lineitem (${LINEITEM_COLUMNS.map(([n, ty]) => `${n} ${ty}`).join(', ')}) SORTKEY(l_orderkey)`, true);
    await send(`COPY lineitem FROM '${csv.replace(/'/g, "''")}' FORMAT CSV DELIMITER ','`, true);
    console.log(`loaded ${o.rows} rows over HTTP in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // warm-up: decode segments into the slices' caches and teach WLM the query shapes
    const warm = queryMix(o.rows, 0.5);
    for (let i = 0; i < 20; i++) await send(warm().sql);
    // one client, one short query at a time: the API's fixed cost per request
    const seqMix = queryMix(o.rows, 0);
    const seq = new Samples();
    for (let i = 0; i < 200; i++) { const q = seqMix(); t = performance.now(); await send(q.sql); seq.add(performance.now() - t); }

    console.log(`\n${o.clients} HTTP clients for ${o.seconds} s, ${(o.scanRatio * 100).toFixed(0)}% full scans (TPC-H Q1/Q6), ${o.rows} rows:`);
    const errors: string[] = [];
    const http = await load(o, (sql) => send(sql), errors);
    report('HTTP+GraphQL', http);
    if (errors.length) console.log(`  first errors: ${errors.join(' | ')}`);
    const wlm = await fetch(s.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` }, body: JSON.stringify({ query: '{ wlm { slots shortSlots completed failed timedOut queueWaitP50Ms queueWaitP90Ms execP50Ms execP90Ms } }' }) });
    console.log(`  server WLM: ${JSON.stringify(((await wlm.json()) as { data: unknown }).data)}`);
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;

    // the same mix in-process: same database and workload manager, no HTTP or GraphQL
    const { openApi } = await import('../api/server.ts');
    const { sqlRunner } = await import('../api/app.ts');
    const api = await openApi({ dataDir: dir, slices: o.slices, wlm: { statementTimeoutMs: 600_000 } });
    try {
      const runSql = sqlRunner(api.services, { account: 'admin', user: 'admin', superuser: true, tokenId: 'bench' });
      const direct = async (sql: string) => { await runSql(sql, { readOnly: true }); return true; };
      for (let i = 0; i < 20; i++) await direct(warm().sql);
      const seqIn = new Samples();
      const seqMix2 = queryMix(o.rows, 0);
      for (let i = 0; i < 200; i++) { const q = seqMix2(); t = performance.now(); await direct(q.sql); seqIn.add(performance.now() - t); }
      const inproc = await load(o, direct, []);
      console.log('');
      report('in-process', inproc);
      console.log('\nHTTP+GraphQL overhead (HTTP / in-process):');
      console.log(`  one client, short query: p50 ${fmt(seq.pct(50))} ms vs ${fmt(seqIn.pct(50))} ms = ${(seq.pct(50) / seqIn.pct(50)).toFixed(2)}x (+${fmt(seq.pct(50) - seqIn.pct(50))} ms per request)`);
      console.log(`  under load, short p50: ${(http.short.pct(50) / inproc.short.pct(50)).toFixed(2)}x, short p90: ${(http.short.pct(90) / inproc.short.pct(90)).toFixed(2)}x, throughput: ${((http.total / http.wallMs) / (inproc.total / inproc.wallMs)).toFixed(2)}x`);
      const pass = http.short.pct(90) < 1000 && http.short.failed + http.scan.failed === 0;
      console.log(`\ntarget (short p90 < 1000 ms, zero failed requests): ${pass ? 'PASS' : 'FAIL'}`);
    } finally {
      await api.close();
    }
  } finally {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
