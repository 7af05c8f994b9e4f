// `strata serve` in a process of its own, for tests that measure the server alone: its latency
// without the test's clients sharing its event loop, and its memory (RSS) apart from theirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));

export interface ServerProcess {
  url: string;
  adminToken: string;
  pid: number;
  /** the server's resident set size now (bytes) */
  rss(): number;
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
