// `strata serve` in a process of its own, for tests that measure the server alone: its latency
// without the test's clients sharing its event loop, and its memory (RSS) apart from theirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

export interface ServerProcess {
  url: string;
  adminToken: string;
  pid: number;
  /** the server's resident set size now (bytes) */
  rss(): number;
  /** each thread's nice value (Linux), the main thread's first */
  threadNices(): number[];
  /** what it wrote to stderr so far */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited */
  stop(graceMs?: number): Promise<void>;
}

/** Starts `strata serve --data dir --port 0 ...args` on a new data directory and waits for it to listen. */
export function serveProcess(dir: string, args: string[] = []): Promise<ServerProcess> {
  const proc: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--data', dir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STRATA_DATA: '' } });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let out = '', err = '';
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API on (http:\/\/127\.0\.0\.1:\d+\/graphql)/.exec(out);
      const token = /^\s+(strata_\S+)$/m.exec(out)?.[1];
      if (m && token) resolve({
        url: m[1], adminToken: token, pid: proc.pid!,
        rss: () => rssOf(proc.pid!),
        threadNices: () => threadNices(proc.pid!),
        stderr: () => err,
        async stop(graceMs = 5000) {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(t);
        },
      });
    });
    proc.once('exit', (code) => reject(new Error(`strata serve exited (${code}) before listening: ${out}${err}`)));
  });
}

/** A process's resident set size from /proc (Linux), 0 where there is none. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The nice value of each thread of a process (field 19 of /proc/PID/task/TID/stat), the main thread first. */
function threadNices(pid: number): number[] {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b));
  return tids.flatMap((t) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch { return []; } // a thread that ended meanwhile
  });
}
