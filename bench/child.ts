// What the benchmarks that run each engine in its own child process share: starting the child
// and reading its one-line JSON report, the process's peak RSS, and printing a text table.
import { spawn } from 'node:child_process';
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

/** Runs `script --child ...args` through tsx and resolves with the last JSON line it prints. */
export function runChild<T>(script: string, args: string[]): Promise<T> {
  const argv = [join(root, 'bin', 'run-ts.js'), script, '--child', ...args];
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

/** A text table: the first row is the header; `left` columns are left-aligned, others right. */
export function textTable(rows: string[][], left = new Set([0])): string {
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r, i) => r.map((c, j) => (left.has(j) ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ') +
    (i === 0 ? '\n' + w.map((n) => '-'.repeat(n)).join('  ') : '')).join('\n');
}
