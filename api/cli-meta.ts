// The shell's backslash commands (psql's habits): listings and descriptions run as ordinary SQL
// statements of the session (SHOW TABLES, DESCRIBE, SHOW MODEL), so they see exactly what the
// user may see; the rest switch display settings or where input comes from and output goes.
import { SqlError, asSqlError } from '../engine/errors.ts';
import type { Result } from '../engine/result.ts';
import type { ShellSession } from './cli-shell.ts';

/** What the meta-commands act on: the shell implements it. */
export interface MetaHost {
  session: ShellSession;
  timing: boolean;
  expanded: boolean;
  /** prints a result the way the shell prints query results (honours \x and \o) */
  printResult(r: Result): void;
  /** a message for the terminal (never into the \o file) */
  say(text: string): void;
  /** runs a file's lines as if typed (\i) */
  include(file: string): Promise<void>;
  /** sends query output to a file, or back to stdout for null (\o) */
  setOutput(file: string | null): void;
}

export const META_HELP = `General
  \\q                 quit (also Ctrl-D at an empty prompt)
  \\?                 this help; "help" explains the shell
Informational
  \\d                 list tables and views
  \\d NAME            describe a table or view (columns, types, keys), or show a model
  \\dt [PATTERN]      list tables          \\dv [PATTERN]   list views
  \\dm [PATTERN]      list models          \\dS [PATTERN]   also list system views
  \\dn                list schemas         \\l              list databases
Formatting
  \\x [on|off]        toggle expanded output (one line per column)
  \\timing [on|off]   toggle showing each statement's time
Input/Output
  \\i FILE            run commands from FILE
  \\o [FILE]          send query results to FILE, or back to the terminal
Keys
  Ctrl-C cancels the running statement, or clears the input; Ctrl-D quits; Tab completes
  keywords, tables and columns; Up recalls whole statements (kept in ~/.strata_history).`;

export const SHELL_HELP = `You are using strata, the interactive SQL shell of Strata.
Type:  \\? for help with shell commands
       \\q to quit
End SQL statements with ";" (they may span lines). The SQL reference is docs/sql.md.`;

/** Whether a line (outside any statement being typed) is a shell command rather than SQL. */
export function isMetaCommand(line: string): boolean {
  const t = line.trim();
  return t.startsWith('\\') || /^(help|quit|exit)$/i.test(t);
}

/** psql-style name patterns: `*` any run of characters, `?` one character, case-insensitive. */
function matcher(pattern: string | undefined): (name: string) => boolean {
  if (!pattern) return () => true;
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'i');
  return (name) => re.test(name);
}

/** A name as the user typed it: plain or "quoted" parts separated by dots, nothing else. */
const NAME = /^("[^"]+"|[A-Za-z_][\w$]*)(\.("[^"]+"|[A-Za-z_][\w$]*)){0,2}$/;

/** Runs the statement a command stands for; its errors lose the position, which is in that hidden text. */
async function one(host: MetaHost, sql: string): Promise<Result> {
  try {
    const [r] = await host.session.execute(sql, {});
    return r;
  } catch (e) {
    const err = asSqlError(e);
    throw err.position ? new SqlError(err.code, err.message.slice(0, err.message.lastIndexOf(' at line '))) : err;
  }
}

function only(r: Result, keep: (row: unknown[]) => boolean, title: string): Result {
  const rows = r.rows.filter(keep);
  return { ...r, command: title, rowCount: rows.length, rows };
}

/** Tables and views of the current database (and system views for \dS). */
async function relations(host: MetaHost, types: string[], pattern: string | undefined, system: boolean): Promise<Result> {
  const match = matcher(pattern);
  const r = only(await one(host, 'SHOW TABLES'), (row) => types.includes(String(row[2])) && match(String(row[1])), 'SHOW');
  if (system) {
    for (const v of host.session.systemViews()) if (match(v)) r.rows.push(['pg_catalog', v, 'SYSTEM VIEW']);
    r.rowCount = r.rows.length;
  }
  return r;
}

/**
 * Runs one backslash command (or help/quit). Returns 'quit' for \q. Errors (a bad name, an
 * unknown table) are thrown as SqlErrors or Errors for the shell to print.
 */
export async function runMeta(line: string, host: MetaHost): Promise<'quit' | undefined> {
  const t = line.trim();
  if (/^(quit|exit)$/i.test(t)) return 'quit';
  if (/^help$/i.test(t)) { host.say(SHELL_HELP); return undefined; }
  const [cmd, ...args] = t.split(/\s+/);
  const arg = args[0];
  const onOff = (current: boolean, what: string): boolean => {
    const v = arg === undefined ? !current : arg === 'on' ? true : arg === 'off' ? false : null;
    if (v === null) throw new Error(`${cmd}: expected "on" or "off", not "${arg}"`);
    host.say(`${what} is ${v ? 'on' : 'off'}.`);
    return v;
  };
  switch (cmd) {
    case '\\q': return 'quit';
    case '\\?': host.say(META_HELP); return undefined;
    case '\\timing': host.timing = onOff(host.timing, 'Timing'); return undefined;
    case '\\x': host.expanded = onOff(host.expanded, 'Expanded display'); return undefined;
    case '\\d':
      if (arg === undefined) { host.printResult(await relations(host, ['TABLE', 'VIEW'], undefined, false)); return undefined; }
      if (!NAME.test(arg)) throw new Error(`\\d: "${arg}" is not a table, view or model name`);
      host.printResult(await describe(host, arg));
      return undefined;
    case '\\dt': host.printResult(await relations(host, ['TABLE'], arg, false)); return undefined;
    case '\\dv': host.printResult(await relations(host, ['VIEW'], arg, false)); return undefined;
    case '\\dS': case '\\dtS': host.printResult(await relations(host, ['TABLE', 'VIEW'], arg, true)); return undefined;
    case '\\dm': {
      const match = matcher(arg);
      host.printResult(only(await one(host, 'SHOW MODEL ALL'), (row) => match(String(row[1])), 'SHOW'));
      return undefined;
    }
    case '\\dn': host.printResult(await one(host, 'SHOW SCHEMAS')); return undefined;
    case '\\l': host.printResult(await one(host, 'SHOW DATABASES')); return undefined;
    case '\\i': case '\\include': {
      const file = t.slice(cmd.length).trim();
      if (!file) throw new Error(`${cmd} needs a file name`);
      await host.include(file);
      return undefined;
    }
    case '\\o': case '\\out': {
      const file = t.slice(cmd.length).trim();
      host.setOutput(file || null);
      return undefined;
    }
    default:
      throw new Error(`invalid command ${cmd}; try \\? for help`);
  }
}

/** \d NAME: a table's or view's columns; a model's SHOW MODEL when no relation has the name. */
async function describe(host: MetaHost, name: string): Promise<Result> {
  try {
    return await one(host, `DESCRIBE ${name}`);
  } catch (e) {
    if ((e as { code?: string }).code !== 'UNDEFINED_TABLE') throw e;
    try {
      return await one(host, `SHOW MODEL ${name}`);
    } catch {
      throw e; // neither: report the relation error, with its hints
    }
  }
}
