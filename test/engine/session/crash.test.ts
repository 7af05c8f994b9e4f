// Crash safety of whole statements: a child process loops over INSERT, COPY, multi-table
// transactions and UPDATE transfers and is SIGKILLed many times: in the middle of each kind of
// statement in turn (at a random moment within it) and, every fifth round, while it opens and
// recovers the directory. After every kill the parent reopens the data directory and checks that
// every acknowledged commit is there, that no batch is partially there, that the transfer
// invariant holds, and that it still writes. Kill points follow the child's progress, not the
// clock, so a busy machine changes nothing but the duration.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Database } from '../../../engine/database.ts';
import { compile, type Compiled } from '../../support/compile.ts';
import { underLoad } from '../../support/deadline.ts';
import { ACCOUNTS, INITIAL_BALANCE, batchRows, batchSum, transferOf } from './crash-batches.ts';

/** rounds: every fifth kills during recovery, the others each kind of batch in turn (each twice) */
const ROUNDS = 10;
/** Batch kinds (seq % 4): INSERT, COPY, two-table transaction, transfer. */
const KINDS = [0, 1, 2, 3];
let root: string;
let dataDir: string;
/** the child compiled once (test/support/compile.ts): each start costs ~0.2 s of CPU, not tsx's ~2 s */
let compiled: Compiled;
let childJs: string;
const live = new Set<ChildProcess>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-session-crash-'));
  dataDir = join(root, 'data');
  compiled = await compile({ 'crash-child': fileURLToPath(new URL('./crash-child.ts', import.meta.url)) });
  childJs = join(compiled.dir, 'crash-child.js');
  const db = await Database.open({ dataDir, slices: 2 });
  await db.connect().execute('CREATE TABLE probe (round INTEGER)');
  await db.close();
});
afterAll(async () => {
  for (const p of live) p.kill('SIGKILL');
  compiled?.remove();
  await rm(root, { recursive: true, force: true });
});

/** A seeded generator, so a failing run can be repeated. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Round {
  acks: number[];
  sawReady: boolean;
  /** ms from "go" to "ready" (opening and recovering the directory), if it got there */
  startupMs?: number;
  /** the batch that was in flight when the kill was scheduled (loop rounds) */
  inFlight?: number;
  /** ms each acknowledged batch took, by seq */
  commitMs: Map<number, number>;
  stderr: string;
}

/** When to kill: `afterMs` after "go", or `delayMs(kind)` into the first batch of `kind` that follows an acknowledgement. */
type KillPlan = { early: true; afterMs: number } | { early: false; kind: number; delayMs: (kind: number) => number };

/** A started child that has loaded its modules and waits for "go" before it opens the directory. */
interface Child { proc: ChildProcess; round: Promise<Round>; go(plan: KillPlan): void }

function startChild(): Child {
  const proc = spawn(process.execPath, [childJs, dataDir, join(root, 'csv')], { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(proc);
  const r: Round = { acks: [], sawReady: false, commitMs: new Map(), stderr: '' };
  let out = '';
  let plan: KillPlan | undefined;
  let goAt = 0, lastAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const killIn = (ms: number) => { if (!timer) timer = setTimeout(() => proc.kill('SIGKILL'), ms); };
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!; // a torn last line is not an acknowledgement
    for (const l of lines) {
      const now = performance.now();
      if (l === 'ready') {
        r.sawReady = true;
        r.startupMs = now - goAt;
      } else if (l.startsWith('ack ')) {
        const q = Number(l.slice(4));
        r.acks.push(q);
        r.commitMs.set(q, now - lastAt);
        // the child starts batch q + 1 at once: kill inside it when it is of the planned kind
        if (plan && !plan.early && (q + 1) % 4 === plan.kind && r.inFlight === undefined) {
          r.inFlight = q + 1;
          killIn(plan.delayMs(plan.kind));
        }
      }
      lastAt = now;
    }
  });
  proc.stderr!.on('data', (d: Buffer) => { r.stderr += d.toString(); });
  const round = new Promise<Round>((resolve, reject) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited by itself (code ${code}): ${r.stderr}`));
      else resolve(r);
    });
  });
  round.catch(() => undefined); // reported when awaited
  return {
    proc,
    round,
    go(p) {
      plan = p;
      goAt = lastAt = performance.now();
      if (p.early) killIn(p.afterMs);
      proc.stdin!.write('go\n');
    },
  };
}

const num = (v: unknown) => Number(v);

/** Opens the directory and checks everything; returns the sequence numbers present. */
async function verify(acked: Set<number>, probes: number): Promise<{ present: number[]; rows: number }> {
  const db = await Database.open({ dataDir, slices: 2 });
  try {
    const s = db.connect();
    const tables = (await s.execute('SHOW TABLES'))[0].rows.map((r) => r[1]);
    const present: number[] = [];
    let rowCount = 0;
    if (tables.includes('rows')) {
      // every batch found is whole: all its k, the right count and sum
      const groups = (await s.execute('SELECT seq, count(*), count(DISTINCT k), min(k), max(k), sum(v), count(DISTINCT note) FROM rows GROUP BY seq ORDER BY seq'))[0].rows;
      for (const [seq, n, nk, mink, maxk, sum, notes] of groups) {
        const q = num(seq);
        const want = batchRows(q).length;
        expect({ seq: q, n: num(n), nk: num(nk), mink, maxk, sum: num(sum), notes: num(notes) })
          .toEqual({ seq: q, n: want, nk: want, mink: 0, maxk: want - 1, sum: batchSum(q), notes: want });
        expect(q % 4).not.toBe(3);
        present.push(q);
        rowCount += want;
      }
      // the two-table transactions: log and rows agree exactly
      const log = (await s.execute('SELECT seq, n FROM log ORDER BY seq'))[0].rows.map(([q, n]) => [num(q), num(n)]);
      expect(log).toEqual(present.filter((q) => q % 4 === 2).map((q) => [q, batchRows(q).length]));
      // transfers: the balances are the initial ones plus exactly the logged transfers
      const xfers = (await s.execute('SELECT seq, src, dst, amount FROM xfer ORDER BY seq'))[0].rows.map((r) => r.map(num));
      const bal = Array.from({ length: ACCOUNTS }, () => INITIAL_BALANCE);
      for (const [seq, src, dst, amount] of xfers) {
        expect(seq % 4).toBe(3);
        expect({ src, dst, amount }).toEqual(transferOf(seq));
        bal[src] -= amount;
        bal[dst] += amount;
        present.push(seq);
      }
      const acct = (await s.execute('SELECT id, bal FROM acct ORDER BY id'))[0].rows.map((r) => r.map(num));
      expect(acct).toEqual(bal.map((b, i) => [i, b]));
      const total = (await s.execute('SELECT sum(bal) FROM acct'))[0].rows[0][0];
      expect(num(total)).toBe(ACCOUNTS * INITIAL_BALANCE);
      present.sort((a, b) => a - b);
    }
    // every acknowledged commit is there; the child commits in order, so what is there is a
    // prefix 1..M of the sequence, with at most the one batch in flight beyond the last ack
    for (const q of acked) expect(present.includes(q), `acknowledged batch ${q} is missing`).toBe(true);
    expect(present).toEqual(present.map((_, i) => i + 1));
    const lastAck = Math.max(0, ...acked);
    expect(present.length - lastAck).toBeGreaterThanOrEqual(0);
    expect(present.length - lastAck).toBeLessThanOrEqual(1);
    // the database still accepts writes after the crash
    await s.execute(`INSERT INTO probe VALUES (${probes + 1})`);
    const p = (await s.execute('SELECT count(*), max(round) FROM probe'))[0].rows[0].map(num);
    expect(p).toEqual([probes + 1, probes + 1]);
    return { present, rows: rowCount };
  } finally {
    await db.close();
  }
}

it('every acknowledged commit survives SIGKILL in every kind of statement and during recovery', async () => {
  const rand = rng(20240611);
  const acked = new Set<number>();
  const startups: number[] = [];
  /** how long each kind of batch took to commit, from the acknowledgements seen so far */
  const commitMs = new Map<number, number[]>(KINDS.map((k) => [k, []]));
  const killedInFlight = new Map<number, number>(KINDS.map((k) => [k, 0]));
  let earlyRounds = 0;
  let present: number[] = [];
  let next: Child | null = startChild();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // every fifth round: kill while the child opens and recovers the directory, at a random
      // point of (about) its startup time so far; otherwise in the middle of a batch, the kinds in
      // turn, at a random point of (about) how long that kind takes to commit
      const early = round % 5 === 4;
      const plan: KillPlan = early
        ? { early: true, afterMs: rand() * 1.2 * median(startups) }
        : { early: false, kind: KINDS[(round - Math.floor(round / 5)) % 4], delayMs: (kind) => rand() * 1.2 * (median(commitMs.get(kind)!) || 20) };
      const child: Child = next!;
      child.go(plan);
      const r = await child.round;
      // the next child loads its modules while this round is checked; it opens the directory
      // only after "go", once the check below has closed it
      next = round + 1 < ROUNDS ? startChild() : null;
      if (r.startupMs !== undefined) startups.push(r.startupMs);
      for (const [q, ms] of r.commitMs) commitMs.get(q % 4)!.push(ms);
      if (early) earlyRounds++;
      else {
        // a batch round always gets through recovery and commits before its kill
        expect(r.sawReady, r.stderr).toBe(true);
        expect(r.acks.length).toBeGreaterThan(0);
        killedInFlight.set(r.inFlight! % 4, killedInFlight.get(r.inFlight! % 4)! + 1);
      }
      for (const q of r.acks) acked.add(q);
      // acknowledgements come in sequence order, continuing where the directory left off
      if (r.acks.length) expect(r.acks[0]).toBe(present.length + 1);
      ({ present } = await verify(acked, round));
      if (process.env.STRATA_TEST_VERBOSE) console.log(`round ${round}: ${early ? 'early' : `kind ${r.inFlight! % 4}`}, ${r.acks.length} acks, startup ${r.startupMs?.toFixed(0)} ms, ${present.length} present`);
    }
  } finally {
    next?.proc.kill('SIGKILL');
  }
  expect(earlyRounds).toBe(ROUNDS / 5);
  // each kind of statement was killed in flight as often as the others
  expect([...killedInFlight.values()]).toEqual(KINDS.map(() => (ROUNDS - ROUNDS / 5) / 4));
  for (const kind of KINDS) expect([...acked].some((q) => q % 4 === kind)).toBe(true);
}, underLoad(120_000));

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

it('after all rounds the directory answers a query over everything', async () => {
  const db = await Database.open({ dataDir, slices: 2 });
  try {
    const s = db.connect();
    const [seqs] = await s.execute('SELECT seq FROM rows UNION SELECT seq FROM xfer ORDER BY 1');
    const present = seqs.rows.map((r) => Number(r[0]));
    expect(present.length).toBeGreaterThan(0);
    const batches = present.filter((q) => q % 4 !== 3);
    const wantRows = batches.reduce((n, q) => n + batchRows(q).length, 0);
    const wantSum = batches.reduce((n, q) => n + batchSum(q), 0);
    const [all] = await s.execute(`
      SELECT count(*), sum(r.v), count(l.seq), count(DISTINCT r.seq)
      FROM rows r LEFT JOIN log l ON l.seq = r.seq`);
    expect(all.rows[0].map(Number)).toEqual([wantRows, wantSum, batches.filter((q) => q % 4 === 2).reduce((n, q) => n + batchRows(q).length, 0), batches.length]);
    const [moved] = await s.execute('SELECT sum(a.bal) + 0 * count(*), count(*) FROM acct a');
    expect(moved.rows[0].map(Number)).toEqual([ACCOUNTS * INITIAL_BALANCE, ACCOUNTS]);
  } finally {
    await db.close();
  }
}, underLoad(30_000));
