// The `strata sql` shell as a child process: backslash commands through piped input
// (--interactive), Ctrl-C cancelling a running statement (SIGINT, as a terminal sends it), and
// on a real terminal (a pty from util-linux `script`): Tab completion, Ctrl-C clearing the line,
// whole-statement history, Ctrl-D. Plus the command line around it: --help for every
// subcommand, the notice for a new data directory, a port in use, did-you-mean hints.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/strata.js', import.meta.url));
let root: string;
let data: string;

interface Run { code: number | null; stdout: string; stderr: string }
interface Step { after: number; write?: string; signal?: NodeJS.Signals; end?: boolean }

/** Runs `strata ...args` with HOME in the temp dir, feeding stdin in timed steps. */
function strata(args: string[], steps: Step[] | string = '', timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, STRATA_DATA: '', HOME: root } });
    let stdout = '', stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    if (typeof steps === 'string') { child.stdin.end(steps); return; }
    for (const s of steps) {
      setTimeout(() => {
        if (s.write) child.stdin.write(s.write);
        if (s.signal) child.kill(s.signal);
        if (s.end) child.stdin.end();
      }, s.after);
    }
  });
}

const shell = (input: string) => strata(['sql', '--data', data, '--interactive'], input);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'strata-shell-'));
  data = join(root, 'data');
  const r = await strata(['sql', '--data', data, `CREATE TABLE sales (id INTEGER, region VARCHAR(10), amount DECIMAL(10,2));
    INSERT INTO sales VALUES (1, 'north', 120.50), (2, 'south', 80.00);
    CREATE VIEW big_sales AS SELECT * FROM sales WHERE amount > 100;
    CREATE TABLE g (x INTEGER);
    INSERT INTO g VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10);
    INSERT INTO g SELECT a.x FROM g a, g b, g c;
    INSERT INTO g SELECT a.x FROM g a, g b LIMIT 20000;`]);
  expect(r.code, r.stderr).toBe(0);
}, 60_000);
afterAll(() => { rmSync(root, { recursive: true, force: true }); });

describe('backslash commands', () => {
  it('list and describe tables, views and system views, with psql-style patterns', async () => {
    const r = await shell('\\dt\n\\dv\n\\d\n\\dt s*\n\\dS svv_datashare?\n\\d sales\n\\dn\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const blocks = r.stdout.split(/\(\d+ rows?\)\n/);
    expect(blocks[0]).toMatch(/public\s+\| g\s+\| TABLE\npublic\s+\| sales\s+\| TABLE\n$/);
    expect(blocks[1]).toMatch(/public\s+\| big_sales\s+\| VIEW\n$/);
    expect(blocks[2].match(/^public/gm)).toHaveLength(3);
    expect(blocks[3]).toMatch(/-\npublic\s+\| sales\s+\| TABLE\n$/);
    expect(blocks[4]).toMatch(/-\npg_catalog\s+\| svv_datashares\s+\| SYSTEM VIEW\n$/);
    expect(blocks[5]).toMatch(/^column_name \| data_type\s+\|/);
    expect(blocks[5]).toMatch(/\nregion\s+\| VARCHAR\(10\)\s+\| true/);
    expect(blocks[6]).toMatch(/\| public\s+\|/);
  }, 30_000);

  it('\\x and \\timing toggle; \\o sends results to a file; \\i runs a file; \\q quits', async () => {
    const script = join(root, 'two.sql'), out = join(root, 'out.txt');
    writeFileSync(script, "SELECT count(*) AS n\n  FROM sales;\n\\x off\n");
    const r = await shell(`\\x\nSELECT id, region FROM sales ORDER BY id;\n\\timing on\n\\o ${out}\nSELECT 7 AS seven;\n\\o\n\\i ${script}\n\\q\nSELECT 'not reached';\n`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('Expanded display is on.\n-[ RECORD 1 ]\nid     | 1\nregion | north\n-[ RECORD 2 ]\nid     | 2\nregion | south\n(2 rows)\n');
    expect(r.stdout).toMatch(/Timing is on\.\nTime: [0-9.]+ ms\n/);
    expect(r.stdout).not.toContain('seven');
    expect(readFileSync(out, 'utf8')).toBe('-[ RECORD 1 ]\nseven | 7\n(1 row)\n');
    expect(r.stdout).toMatch(/-\[ RECORD 1 \]\nn \| 2\n\(1 row\)\nTime: [0-9.]+ ms\nExpanded display is off\.\n$/);
    expect(r.stdout).not.toContain('not reached');
  }, 30_000);

  it('\\dm lists models and \\d shows one; help and \\? explain; mistakes are named', async () => {
    const model = fileURLToPath(new URL('../../models/matrix_classifier.onnx', import.meta.url));
    const r = await shell(`CREATE MODEL above FUNCTION above_one(REAL, REAL) RETURNS INT FROM '${model}';\n\\dm\n\\d above\nhelp\n\\?\n\\d nowhere\n\\d x;drop\n\\bogus\n\\x maybe\n`);
    expect(r.stdout).toMatch(/public\s+\| above\s+\| READY\s+\| EXTERNAL \(ONNX\)/);
    expect(r.stdout).toMatch(/Function Name\s+\| above_one/);
    expect(r.stdout).toContain('You are using strata');
    expect(r.stdout).toContain('\\dt [PATTERN]');
    expect(r.stderr).toBe([
      'ERROR: relation "nowhere" does not exist',
      'ERROR: \\d: "x;drop" is not a table, view or model name',
      'ERROR: invalid command \\bogus; try \\? for help',
      'ERROR: \\x: expected "on" or "off", not "maybe"',
      '',
    ].join('\n'));
  }, 30_000);
});

describe('Ctrl-C', () => {
  it('cancels the running statement (slices included) and keeps the shell', async () => {
    const child = spawn(process.execPath, [BIN, 'sql', '--data', data, '--interactive'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, STRATA_DATA: '', HOME: root } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const until = async (done: () => boolean, what: string, each?: () => void) => {
      for (const t0 = Date.now(); !done(); await new Promise((r) => setTimeout(r, 200))) {
        if (Date.now() - t0 > 40_000) throw new Error(`timed out waiting for ${what}; stdout: ${stdout} stderr: ${stderr}`);
        each?.();
      }
    };
    try {
      child.stdin.write("SELECT 'ready' AS state;\n");
      await until(() => stdout.includes('ready'), 'the shell');
      // a 441-million-row join: minutes if not cancelled. Ctrl-C (SIGINT) until the shell says it
      // cancelled: one that lands before the statement starts only clears the (empty) input
      child.stdin.write('SELECT count(*) FROM g a, g b WHERE a.x + b.x > 3;\n');
      await until(() => stderr.includes('Cancel request sent'), 'the cancel', () => child.kill('SIGINT'));
      await until(() => stderr.includes('ERROR'), 'the statement to stop');
      child.stdin.end("SELECT 'still here' AS shell;\n");
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(stderr).toMatch(/^Cancel request sent\n(Cancel request sent\n)*ERROR: canceling statement/);
      expect(stdout).toBe('state\n-----\nready\n(1 row)\nshell\n----------\nstill here\n(1 row)\n');
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});

// util-linux `script` gives the shell a real terminal (raw keys, line editing, Tab)
const HAVE_SCRIPT = spawnSync('script', ['--version']).status === 0;

describe.skipIf(!HAVE_SCRIPT)('on a terminal', () => {
  /** Types each key sequence once the terminal shows `waitFor` (the prompt by default). */
  function onTty(keys: { waitFor?: RegExp; write: string }[]): Promise<string> {
    const cmd = `'${process.execPath}' '${BIN}' sql --data '${data}'`;
    return new Promise((resolve, reject) => {
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: root, TERM: 'xterm', STRATA_DATA: '' } });
      let out = '', seen = 0, next = 0;
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const step = () => {
        const k = keys[next];
        if (!k) return;
        const m = (k.waitFor ?? /strata=> \S*$/).exec(out.slice(seen));
        if (!m) return;
        seen += m.index + m[0].length;
        next++;
        child.stdin.write(k.write);
        if (next === keys.length) child.stdin.end();
      };
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); step(); });
      child.on('error', reject);
      child.on('close', () => { clearTimeout(timer); resolve(out); });
    });
  }

  it('Tab completes tables and columns; Ctrl-C clears the line; history keeps whole statements; Ctrl-D quits', async () => {
    const history = join(root, '.strata_history');
    rmSync(history, { force: true });
    const out = await onTty([
      { write: 'SELECT reg\t' },
      { waitFor: /region/, write: ' FROM sal\t' }, // completes the column, then the table
      { waitFor: /sales/, write: '\r' },
      { waitFor: /strata-> \S*$/, write: '  WHERE id = 1;\r' },
      { waitFor: /\(1 row\)[^]*strata=> \S*$/, write: 'garbage that is never run\x03' }, // Ctrl-C drops the line
      { waitFor: /\^C[^]*strata=> \S*$/, write: 'SELECT 1 + 1 AS two;\r' },
      { waitFor: /\(1 row\)[^]*strata=> \S*$/, write: '\x04' }, // Ctrl-D
    ]);
    expect(out).toContain('strata shell.');
    expect(out).toMatch(/region\s*\r?\n-+\s*\r?\nnorth/);
    expect(out).toMatch(/two\s*\r?\n-+\s*\r?\n\s*2/);
    expect(out).not.toMatch(/ERROR/);
    // the two-line statement is one history entry, the Ctrl-C'd text none
    expect(readFileSync(history, 'utf8')).toBe('SELECT region FROM sales WHERE id = 1;\nSELECT 1 + 1 AS two;\n');
  }, 60_000);
});

describe('the command line around the shell', () => {
  it('--help on every subcommand, on stdout with exit code 0', async () => {
    for (const [args, first] of [[['--help'], 'usage: strata <command>'], [['sql', '--help'], 'usage: strata sql'], [['serve', '--help'], 'usage: strata serve'], [['token', '--help'], 'usage: strata token'], [['help', 'sql'], 'usage: strata sql']] as const) {
      const r = await strata([...args]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(first)).toBe(true);
    }
  }, 60_000);

  it('a --data that does not exist is announced on stderr; an existing one is not', async () => {
    const fresh = join(root, 'typo');
    const r = await strata(['sql', '--data', fresh, 'SELECT 1 AS one']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`strata: ${fresh} does not exist: creating a new, empty warehouse there\n`);
    expect(existsSync(fresh)).toBe(true);
    const again = await strata(['sql', '--data', fresh, 'SELECT 1 AS one']);
    expect(again.stderr).toBe('');
  }, 30_000);

  it('a port in use is named, not an internal error', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await strata(['serve', '--data', data, '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ERROR: cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(r.stderr).not.toMatch(/internal error/i);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('unknown tables and columns come with a did-you-mean hint', async () => {
    const t = await strata(['sql', '--data', data, 'SELECT * FROM sale']);
    expect(t.stderr).toBe('ERROR: relation "sale" does not exist (did you mean "sales"?) at line 1, column 15\n');
    const c = await strata(['sql', '--data', data, 'SELECT regoin FROM sales']);
    expect(c.stderr).toBe('ERROR: column "regoin" does not exist (did you mean "region"?) at line 1, column 8\n');
    const none = await strata(['sql', '--data', data, 'SELECT * FROM zzzzzz']);
    expect(none.stderr).toBe('ERROR: relation "zzzzzz" does not exist at line 1, column 15\n');
  }, 30_000);
});
