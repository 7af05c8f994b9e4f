// The `strata` command line: `strata sql` runs SQL (argument, -f file, stdin or an interactive
// shell), `strata serve` runs the GraphQL server, `strata token` manages API tokens.
// Arguments and help: cli-args.ts; the shell: cli-shell.ts; results: output.ts; who runs the
// SQL (this process, or the server that owns the data directory): data-dir-owner.ts.
import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Database, type Session } from '../engine/database.ts';
import { asSqlError } from '../engine/errors.ts';
import { type CliOptions, helpFor, parseArgs, USAGE } from './cli-args.ts';
import { catalogNames } from './cli-complete.ts';
import { WAIT_FOR_TRAINING, showModelProgress } from './cli-progress.ts';
import { runShell, type ShellSession } from './cli-shell.ts';
import { type ServerSession, type SqlSession, sqlTarget } from './data-dir-owner.ts';
import { loadExtensions } from './extensions.ts';
import { writeResult } from './output.ts';

/** Says on stderr when the data directory does not exist yet, so a mistyped --data shows. */
function announceNewDirectory(data: string): void {
  if (!existsSync(data)) process.stderr.write(`strata: ${resolve(data)} does not exist: creating a new, empty warehouse there\n`);
}

async function openDatabase(o: CliOptions): Promise<Database> {
  announceNewDirectory(o.data);
  const db = await Database.open({ dataDir: o.data, slices: o.slices, owner: 'strata sql', queryMemoryLimit: o.queryMemoryLimit, memoryLimit: o.memoryLimit, lazySlices: true });
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
  if (o.help || cmd === undefined || cmd === 'help') {
    process.stdout.write(`${helpFor(cmd === 'help' ? rest[0] : cmd)}\n`);
    return;
  }
  try {
    switch (cmd) {
      case 'sql': process.exitCode = await sqlCommand(o, rest); break;
      case 'serve': process.exitCode = await serveCommand(o); break;
      case 'token': {
        const { tokenCommand } = await import('./tokens-cli.ts');
        process.exitCode = await tokenCommand(o, rest);
        break;
      }
      default:
        process.stderr.write(`ERROR: unknown command "${cmd}"\n${USAGE}\n`);
        process.exitCode = 2;
    }
  } catch (e) {
    process.stderr.write(`ERROR: ${asSqlError(e).message}\n`);
    process.exitCode = 1;
  }
}

/** `strata serve`: runs until stopped; 1 when it cannot listen (the reason named, not "internal error"). */
async function serveCommand(o: CliOptions): Promise<number> {
  const { serve } = await import('./server.ts');
  const port = o.port ?? 4000, host = o.host ?? '127.0.0.1';
  announceNewDirectory(o.data);
  try {
    const pg = o.pgPort !== undefined ? { port: o.pgPort, host: o.pgHost, auth: o.pgAuth } : undefined;
    await serve({ dataDir: o.data, port, host, slices: o.slices, importDirs: o.importDirs, exportDirs: o.exportDirs, corsOrigins: o.corsOrigins, pg, queryMemoryLimit: o.queryMemoryLimit, memoryLimit: o.memoryLimit, sliceNiceness: o.sliceNiceness });
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const at = `${err.address ?? host}:${err.port ?? port}`;
    const reason = err.code === 'EADDRINUSE' ? 'the port is already in use (is another strata serve running?); choose another port'
      : err.code === 'EACCES' ? 'permission denied; choose a port above 1023'
        : err.code === 'EADDRNOTAVAIL' ? 'no such address on this machine; check the host' : null;
    if (!reason) throw e;
    process.stderr.write(`ERROR: cannot listen on ${at}: ${reason}\n`);
    return 1;
  }
}

/** `strata sql`: returns the process exit code (1 on any SQL error). */
async function sqlCommand(o: CliOptions, rest: string[]): Promise<number> {
  let sql: string | undefined = rest.length ? rest.join(' ') : undefined;
  if (o.file) sql = await readFile(o.file, 'utf8');
  const interactive = sql === undefined && (process.stdin.isTTY === true || o.interactive);
  if (sql === undefined && !interactive) sql = await readStdin();
  // the one-shot process ends with the script: CREATE MODEL waits for its training, showing progress
  const target = await sqlTarget({ ...o, waitForTraining: sql !== undefined }, () => openDatabase(o));
  if (target.kind === 'server') {
    try {
      return sql === undefined ? await shell(serverShellSession(target.session), o) : await runScript(target.session, target.session, sql, o);
    } finally {
      target.session.close();
    }
  }
  const { db } = target;
  try {
    const session = db.connect({ account: o.account, user: o.user });
    if (sql === undefined) return await shell(localShellSession(session), o);
    session.info.settings.set(WAIT_FOR_TRAINING, 'on');
    return await runScript(session, db, sql, o);
  } finally {
    await db.close();
  }
}

function shell(session: ShellSession, o: CliOptions): Promise<number> {
  return runShell(session, o.format, {
    input: process.stdin, output: process.stdout, errors: process.stderr,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    historyFile: join(homedir(), '.strata_history'),
  });
}

/** The shell on a session of this process: cancellable, completion from the live catalog. */
function localShellSession(session: Session): ShellSession {
  return {
    execute: (sql, opts) => session.execute(sql, opts),
    cancellable: true,
    names: () => catalogNames(session.db.catalog, session.info.account, session.info.database),
    systemViews: () => [...session.db.systemViews],
  };
}

/**
 * The shell through the server that owns the data directory: statements run there (Ctrl-C
 * cannot reach them), and completion knows the tables SHOW TABLES listed after the last statement.
 */
function serverShellSession(session: ServerSession): ShellSession {
  let relations: string[] = [];
  return {
    execute: (sql, opts) => session.execute(sql, { onResult: opts.onResult, stream: opts.stream }),
    cancellable: false,
    names: () => ({ relations, columns: new Map() }),
    systemViews: () => [],
    refreshNames: async () => {
      const [r] = await session.execute('SHOW TABLES');
      relations = r.rows.map((row) => String(row[1]));
    },
  };
}

/** Runs a script, printing each statement's result as it finishes; the exit code. */
async function runScript(session: SqlSession, progress: { events: EventEmitter }, sql: string, o: CliOptions): Promise<number> {
  const stopProgress = showModelProgress(progress, process.stderr);
  try {
    const width = process.stdout.isTTY ? process.stdout.columns : undefined; // wrap to a terminal, never into files or pipes
    // queries' rows come as streams (a server's as it sends them), printed a piece at a time
    await session.execute(sql, { onResult: (r) => writeResult(r, (text) => process.stdout.write(text), o.format, false, width), stream: true });
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
