// Real crashes: a child process commits in a loop and is SIGKILLed at random points after its
// first acknowledgement; every reopen must see at least the last version the child acknowledged,
// with its state intact. Kills follow the child's progress, so a busy machine only makes it slower.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManifestStore } from '../../../engine/storage/manifest.ts';
import { expectedState } from './fixtures/crash-state.ts';
import { rng } from './lineitem.ts';
import { compile, type Compiled } from '../../support/compile.ts';
import { underLoad } from '../../support/deadline.ts';

let root: string;
/** the child compiled once (test/support/compile.ts): 30 starts without tsx's second of CPU each */
let compiled: Compiled;
let child: string;
const live = new Set<ChildProcess>();
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-crash-'));
  compiled = await compile({ 'commit-loop': fileURLToPath(new URL('./fixtures/commit-loop.ts', import.meta.url)) }, { workers: false });
  child = join(compiled.dir, 'commit-loop.js');
});
afterAll(async () => {
  for (const p of live) p.kill('SIGKILL');
  compiled?.remove();
  await rm(root, { recursive: true, force: true });
});

/** Runs the child until a random moment after its first acknowledgement, SIGKILLs it, returns the last ack. */
function runAndKill(dir: string, delayMs: number): Promise<{ lastAck: number; acks: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(proc);
    let out = '', err = '', lastAck = -1, acks = 0, timer: NodeJS.Timeout | undefined;
    const kill = () => proc.kill('SIGKILL');
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!; // only complete lines are acknowledgements
      for (const l of lines) { lastAck = Number(l); acks++; }
      if (acks > 0 && !timer) timer = setTimeout(kill, delayMs);
    });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolve({ lastAck, acks });
    });
  });
}

it('recovers at least the last acknowledged version after SIGKILL at random points', async () => {
  const lanes = 3, rounds = 10; // 30 crashes, three directories in parallel
  const r = rng(42);
  let totalAcks = 0;
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    const dir = join(root, `lane${lane}`);
    let known = 0;
    for (let round = 0; round < rounds; round++) {
      const { lastAck, acks } = await runAndKill(dir, Math.floor(r() * 80));
      totalAcks += acks;
      const store = await ManifestStore.open(dir);
      const { version, state } = store.current();
      expect(version).toBeGreaterThanOrEqual(Math.max(lastAck, known));
      expect(state).toEqual(expectedState(version));
      known = version;
    }
  }));
  expect(totalAcks).toBeGreaterThanOrEqual(30); // every round got past its first commit
}, underLoad(60_000));
