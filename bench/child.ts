// What the benchmarks that run each engine in its own child process share: starting the child
// and reading its one-line JSON report (or keeping it up to answer requests, so two engines can
// be timed alternately), the process's peak RSS, and printing a text table.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Peak resident set size of this process so far (Linux VmHWM, else maxRSS). */
export function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS * 1024;
}

/** Node's arguments for `script --child ...args`, run through tsx. */
const childArgv = (script: string, args: string[]): string[] => [join(root, 'bin', 'run-ts.js'), script, '--child', ...args];

/** Runs `script --child ...args` through tsx and resolves with the last JSON line it prints. */
export function runChild<T>(script: string, args: string[]): Promise<T> {
  const argv = childArgv(script, args);
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || !line) return reject(new Error(`${args[0]} exited with code ${code}\n${out.slice(-2000)}`));
      resolveP(JSON.parse(line) as T);
    });
  });
}

/**
 * A child process kept up to answer requests, one at a time: each request is a JSON line on its
 * stdin, each answer a JSON line on its stdout (`serveRequests` is the child's side). A benchmark
 * asks two engines in turn for one run each, so a minute the machine is busy slows both.
 */
export class ServedChild<Req, Res> {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  /** Starts `script --child ...args` and waits for its first answer, the ready line. */
  static async start<Req, Res>(script: string, args: string[]): Promise<ServedChild<Req, Res>> {
    const served = new ServedChild<Req, Res>(spawn(process.execPath, childArgv(script, args), { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] }));
    await served.answer();
    return served;
  }

  /** Sends one request and resolves with its answer. */
  request(req: Req): Promise<Res> {
    this.child.stdin!.write(JSON.stringify(req) + '\n');
    return this.answer() as Promise<Res>;
  }

  /** Ends the child's input, so it closes its engine and exits. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return; // it died: nothing to wait for
    const exited = new Promise((resolveP) => this.child.once('close', resolveP));
    this.child.stdin!.end();
    await exited;
  }

  /** The next JSON line on the child's stdout (other lines are the engine's own output). */
  private async answer(): Promise<unknown> {
    for (;;) {
      const next = await this.lines.next();
      if (next.done) throw new Error(`a served child exited with code ${this.child.exitCode} before answering`);
      if (next.value.startsWith('{')) {
        const reply = JSON.parse(next.value) as { error?: string; answer?: unknown };
        if (reply.error !== undefined) throw new Error(reply.error);
        return reply.answer;
      }
    }
  }
}

/** The child's side of `ServedChild`: says it is ready, then answers each request line with `handle` until stdin ends. */
export async function serveRequests<Req>(handle: (req: Req) => Promise<unknown>): Promise<void> {
  const say = (reply: object): Promise<void> => new Promise((resolveP) => process.stdout.write(JSON.stringify(reply) + '\n', () => resolveP()));
  await say({ answer: 'ready' });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    try { await say({ answer: await handle(JSON.parse(line) as Req) }); }
    catch (e) { await say({ error: (e as Error).message.split('\n')[0] }); }
  }
}

/** A text table: the first row is the header; `left` columns are left-aligned, others right. */
export function textTable(rows: string[][], left = new Set([0])): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => r.map((c, j) => (left.has(j) ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ') +
    (i === 0 ? '\n' + w.map((n) => '-'.repeat(n)).join('  ') : '')).join('\n');
}
