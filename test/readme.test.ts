// The README's commands, run verbatim as a new user would from the repo root: every ```sh block
// through bash (with `npx strata` as written) and every ```sql block through `strata sql`, in
// order, against one fresh data directory. Blocks that start a long-running server or the whole
// test suite are skipped (they are covered by test/api and by running the suite itself).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIP = /\bnpm (install|start|test)\b|\bstrata serve\b/;

interface Block { lang: 'sh' | 'sql'; text: string; line: number }
interface Run { code: number | null; stdout: string; stderr: string }

/** The fenced sh/sql blocks of a markdown file, with the line each starts on. */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(sh|sql)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !lines[i + 1].startsWith('```')) i++;
    blocks.push({ lang: open[1] as Block['lang'], text: lines.slice(start, i + 1).join('\n'), line: start });
    i++;
  }
  return blocks;
}

const home = mkdtempSync(join(tmpdir(), 'strata-readme-'));
const env = { ...process.env, STRATA_DATA: join(home, 'strata-data'), HOME: home, NO_COLOR: '1' };
afterAll(() => { rmSync(home, { recursive: true, force: true }); });

function run(cmd: string, args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.end(input);
  });
}

const blocks = codeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const outputs: string[] = [];

describe('README blocks run verbatim from the repo root', () => {
  it('has the tour, ML and sharing blocks; leaves out only the server and install blocks', () => {
    expect(blocks.filter((b) => !SKIP.test(b.text)).length).toBeGreaterThanOrEqual(4);
    for (const b of blocks.filter((x) => SKIP.test(x.text))) expect(b.text).toMatch(/^(npm install && npm start|npx strata serve)\b/);
  });
  for (const b of blocks.filter((x) => !SKIP.test(x.text))) {
    const title = `README.md:${b.line} (${b.lang}) ${b.text.split('\n')[0].slice(0, 60)}`;
    it(title, async () => {
      // sh blocks stop at their first failing command, as a user would notice it
      const r = b.lang === 'sh'
        ? await run('bash', ['-e', '-o', 'pipefail', '-c', b.text], '')
        : await run(process.execPath, [join(ROOT, 'bin/strata.js'), 'sql'], b.text);
      outputs.push(r.stdout);
      expect(r.stderr).not.toMatch(/ERROR|npm warn|npm WARN|Error:/);
      expect(r.code, r.stderr).toBe(0);
    }, 180_000);
  }
  it('gives the answers the README promises', () => {
    const all = outputs.join('\n');
    // the tour's GROUP BY: 120.50 + 42.25 in the north
    expect(all).toMatch(/north\s*\|\s*2\s*\|\s*162\.75/);
    const accuracy = Number(/accuracy\s*\n-+\s*\n\s*([0-9.]+)/.exec(all)?.[1]);
    expect(accuracy).toBeGreaterThan(0.82);
    // bring your own model: class 1 only when x1 + x2 > 1
    expect(all).toMatch(/low \| high\s*\n-+\+-+\s*\n\s*0 \|\s*1/);
    // the consumer account sees the producer's rows
    expect(all).toMatch(/east\s*\|\s*310\.00\s*\n\s*north\s*\|\s*162\.75\s*\n\s*south\s*\|\s*80\.00/);
  });
});
