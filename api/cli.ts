// The `strata` command line: `strata sql` runs SQL (argument, -f file, stdin or an interactive
// shell), `strata serve` runs the GraphQL server, `strata token create` makes an API token.
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { appendFileSync, readFileSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import { Database, type Result } from '../engine/database.ts';
import { asSqlError } from '../engine/errors.ts';
import { formatResult, type OutputFormat } from './output.ts';
import { parseCorsOrigins } from './cors.ts';
import { loadExtensions } from './extensions.ts';
import { WAIT_FOR_TRAINING, showModelProgress } from './cli-progress.ts';
import { sqlTarget, type SqlSession } from './data-dir-owner.ts';

export interface CliOptions {
  data: string;
  account?: string;
  user?: string;
  slices?: number;
  format: OutputFormat;
  file?: string;
  port?: number;
  host?: string;
  importDirs: string[];
  exportDirs: string[];
  corsOrigins: string[];
  pgPort?: number;
  pgHost?: string;
  pgAuth?: 'scram' | 'password';
  positional: string[];
}

const USAGE = `usage:
  strata sql [--data DIR] [--account A] [--user U] [--slices N] [--format table|json|csv] ["SQL" | -f file.sql]
             (no SQL: reads stdin, or opens an interactive shell on a terminal)
  strata serve [--data DIR] [--port 4000] [--host 127.0.0.1] [--slices N] [--import-dir D]... [--export-dir D]...
               [--pg-port 5432] [--pg-host 127.0.0.1] [--pg-auth scram|password] [--cors-origin https://app.example]...
             (API clients may COPY / CREATE MODEL from files under an import dir and UNLOAD under an export dir; none by default)
  strata token create --account A [--user U] [--data DIR]`;

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = { data: process.env.STRATA_DATA ?? './strata-data', format: 'table', positional: [], importDirs: [], exportDirs: [], corsOrigins: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--data': o.data = value(); break;
      case '--account': o.account = value(); break;
      case '--user': o.user = value(); break;
      case '--slices': o.slices = Number(value()); if (!Number.isInteger(o.slices) || o.slices < 1) throw new Error('--slices must be a positive integer'); break;
      case '--format': {
        const f = value();
        if (f !== 'table' && f !== 'json' && f !== 'csv') throw new Error(`--format must be table, json or csv, not "${f}"`);
        o.format = f;
        break;
      }
      case '-f': case '--file': o.file = value(); break;
      case '--port': o.port = Number(value()); break;
      case '--host': o.host = value(); break;
      case '--import-dir': o.importDirs.push(...value().split(',').filter(Boolean)); break;
      case '--export-dir': o.exportDirs.push(...value().split(',').filter(Boolean)); break;
      case '--cors-origin': o.corsOrigins.push(...parseCorsOrigins(value().split(',').filter(Boolean))); break;
      case '--pg-port': o.pgPort = Number(value()); if (!Number.isInteger(o.pgPort) || o.pgPort < 0 || o.pgPort > 65535) throw new Error('--pg-port must be a port number'); break;
      case '--pg-host': o.pgHost = value(); break;
      case '--pg-auth': {
        const v = value();
        if (v !== 'scram' && v !== 'password') throw new Error(`--pg-auth must be scram or password, not "${v}"`);
        o.pgAuth = v;
        break;
      }
      case '-h': case '--help': o.positional.push('help'); break;
      default:
        if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
        o.positional.push(a);
    }
  }
  return o;
}

async function openDatabase(o: CliOptions): Promise<Database> {
  const db = await Database.open({ dataDir: o.data, slices: o.slices, owner: 'strata sql' });
  await loadExtensions(db);
  return db;
}

export async function main(argv: string[]): Promise<void> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`ERROR: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const [cmd, ...rest] = o.positional;
  try {
    switch (cmd) {
      case 'sql': process.exitCode = await sqlCommand(o, rest); break;
      case 'serve': {
        const { serve } = await import('./server.ts');
        const pg = o.pgPort !== undefined ? { port: o.pgPort, host: o.pgHost, auth: o.pgAuth } : undefined;
        await serve({ dataDir: o.data, port: o.port ?? 4000, host: o.host ?? '127.0.0.1', slices: o.slices, importDirs: o.importDirs, exportDirs: o.exportDirs, corsOrigins: o.corsOrigins, pg });
        break;
      }
      case 'token': {
        const { tokenCommand } = await import('./tokens-cli.ts');
        process.exitCode = await tokenCommand(o, rest);
        break;
      }
      case undefined: case 'help':
        process.stdout.write(`${USAGE}\n`);
        break;
      default:
        process.stderr.write(`ERROR: unknown command "${cmd}"\n${USAGE}\n`);
        process.exitCode = 2;
    }
  } catch (e) {
    process.stderr.write(`ERROR: ${asSqlError(e).message}\n`);
    process.exitCode = 1;
  }
}

/** `strata sql`: returns the process exit code (1 on any SQL error). */
async function sqlCommand(o: CliOptions, rest: string[]): Promise<number> {
  let sql: string | undefined = rest.length ? rest.join(' ') : undefined;
  if (o.file) sql = await readFile(o.file, 'utf8');
  if (sql === undefined && !process.stdin.isTTY) sql = await readStdin();
  // the one-shot process ends with the script: CREATE MODEL waits for its training, showing progress
  const target = await sqlTarget({ ...o, waitForTraining: sql !== undefined }, () => openDatabase(o));
  if (target.kind === 'server') {
    try {
      return sql === undefined ? await shell(target.session, o) : await runScript(target.session, target.session, sql, o);
    } finally {
      target.session.close();
    }
  }
  const { db } = target;
  try {
    const session = db.connect({ account: o.account, user: o.user });
    if (sql === undefined) return await shell(session, o);
    session.info.settings.set(WAIT_FOR_TRAINING, 'on');
    return await runScript(session, db, sql, o);
  } finally {
    await db.close();
  }
}

/** Runs a script, printing each statement's result as it finishes; the exit code. */
async function runScript(session: SqlSession, progress: { events: EventEmitter }, sql: string, o: CliOptions): Promise<number> {
  const stopProgress = showModelProgress(progress, process.stderr);
  try {
    await session.execute(sql, { onResult: (r) => process.stdout.write(formatResult(r, o.format)) });
    return 0;
  } catch (e) {
    process.stderr.write(`ERROR: ${asSqlError(e).message}\n`);
    return 1;
  } finally {
    stopProgress();
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => { s += c; });
    process.stdin.on('end', () => resolve(s));
    process.stdin.on('error', reject);
  });
}

/** Whether the buffered text ends a statement (a `;` outside quotes and comments). */
export function statementComplete(text: string): boolean {
  let q: string | null = null;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { if (c === q) q = null; continue; }
    if (c === "'" || c === '"') { q = c; continue; }
    if (c === '-' && text[i + 1] === '-') { const nl = text.indexOf('\n', i); if (nl < 0) break; i = nl; continue; }
    if (!/\s/.test(c)) last = c;
  }
  return !q && last === ';';
}

/** The interactive shell: multi-line input until `;`, history in ~/.strata_history, timing. */
async function shell(session: SqlSession, o: CliOptions): Promise<number> {
  const histFile = join(homedir(), '.strata_history');
  let history: string[] = [];
  try { history = readFileSync(histFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500); } catch { /* no history yet */ }
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, historySize: 500, prompt: 'strata=> ' });
  process.stdout.write('Strata interactive SQL. End statements with ";". \\q quits.\n');
  rl.prompt();
  let buf = '';
  for await (const line of rl) {
    if (!buf && (line.trim() === '\\q' || line.trim() === 'quit' || line.trim() === 'exit')) break;
    buf += (buf ? '\n' : '') + line;
    if (!statementComplete(buf)) { rl.setPrompt(buf.trim() ? 'strata-> ' : 'strata=> '); rl.prompt(); continue; }
    const text = buf;
    buf = '';
    try { appendFileSync(histFile, text.replace(/\n/g, ' ') + '\n'); } catch { /* history is best effort */ }
    const t0 = performance.now();
    try {
      const results: Result[] = await session.execute(text);
      for (const r of results) process.stdout.write(formatResult(r, o.format));
      process.stdout.write(`Time: ${(performance.now() - t0).toFixed(1)} ms\n`);
    } catch (e) {
      process.stdout.write(`ERROR: ${asSqlError(e).message}\n`);
    }
    rl.setPrompt('strata=> ');
    rl.prompt();
  }
  rl.close();
  return 0;
}
