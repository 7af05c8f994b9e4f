// The `strata` command line's arguments: options shared by the subcommands and each
// subcommand's --help text.
import { parseCorsOrigins } from './cors.ts';
import { parseMemorySize } from '../engine/exec/memory-budget.ts';
import type { OutputFormat } from './output.ts';

export interface CliOptions {
  data: string;
  account?: string;
  user?: string;
  slices?: number;
  format: OutputFormat;
  file?: string;
  port?: number;
  host?: string;
  /** directories API clients may COPY / CREATE MODEL from, and UNLOAD to (serve) */
  importDirs: string[];
  exportDirs: string[];
  /** browser origins that get CORS headers (serve) */
  corsOrigins: string[];
  /** the PostgreSQL wire protocol listener (serve --pg-port) */
  pgPort?: number;
  pgHost?: string;
  pgAuth?: 'scram' | 'password';
  /** bytes one statement may hold (--query-memory-limit 2GB) */
  queryMemoryLimit?: number;
  /** bytes the whole process may use (--memory-limit 8GB) */
  memoryLimit?: number;
  /** nice levels a server's slice threads run below its leader (serve --slice-niceness) */
  sliceNiceness?: number;
  help: boolean;
  /** the shell even when stdin is not a terminal (to drive it from a program) */
  interactive: boolean;
  positional: string[];
}

const SQL_HELP = `usage: strata sql [options] ["SQL" | -f file.sql]

Runs SQL against a data directory: the statements given as an argument, in a file (-f), or on
standard input; with none of these on a terminal it opens an interactive shell (type \\? there).
A script may hold many statements separated by ';'.

options:
  --data DIR              the data directory (default ./strata-data, or $STRATA_DATA)
  --account A             the account to run as (default admin)
  --user U                the user to run as (default: the account's admin user)
  --slices N              slices (worker threads) to run on (default: one per core)
  --memory-limit SIZE     the process's memory (default: half of RAM); see strata serve --help
  --format table|json|csv output format (default table); json is one object per statement per line
  -f, --file FILE         read SQL from FILE
  -i, --interactive       the shell even when standard input is not a terminal
  -h, --help              this help

Errors go to stderr as "ERROR: <message>" and the exit code is 1.`;

const SERVE_HELP = `usage: strata serve [options]

Runs the GraphQL API over HTTP (GraphiQL in a browser at /graphql). Prints the admin account's
first API token when the data directory is new.

options:
  --data DIR      the data directory (default ./strata-data, or $STRATA_DATA)
  --port P        the TCP port (default 4000)
  --host H        the address to listen on (default 127.0.0.1)
  --slices N      slices (worker threads) to run on (default: one per core)
  --import-dir D  API clients may COPY / CREATE MODEL ... FROM files under D (repeatable; none by default)
  --export-dir D  API clients may UNLOAD to files under D (repeatable; none by default)
  --cors-origin O browsers on origin O (e.g. https://app.example) may call the API (repeatable;
                  none by default)
  --pg-port P     also speak the PostgreSQL wire protocol on port P (psql, JDBC, ...)
  --pg-host H     the address for --pg-port (default 127.0.0.1)
  --pg-auth scram|password   PostgreSQL clients log in with one of their API tokens as the
                  password, by SCRAM-SHA-256 (scram, the default); password also accepts
                  cleartext passwords from loopback clients
  --query-memory-limit SIZE  a statement holding more than SIZE (e.g. 2GB) fails with
                  OUT_OF_MEMORY (default: a quarter of RAM; SET query_memory_limit per session)
  --memory-limit SIZE  the whole server's memory: running statements together reserve at most
                  SIZE, and when the process grows past it the statement holding the most
                  fails with OUT_OF_MEMORY (default: half of RAM)
  --slice-niceness N  the slice threads run N nice levels (0-19) below the thread that answers
                  clients, so a busy machine still answers SELECT 1 and /health at once
                  while other statements compute (Linux; default 10, 0 for equal priority)
  -h, --help      this help`;

const TOKEN_HELP = `usage: strata token create --account A [--user U] [--data DIR] [label]
       strata token list [--account A] [--data DIR]
       strata token revoke ID [--data DIR]

Manages API tokens for the GraphQL API. A new token is shown once; only its hash is stored.
With a server running on the data directory, the command goes through the server.`;

export const USAGE = `usage: strata <command> [options]

commands:
  sql      run SQL, or open an interactive shell       (strata sql --help)
  serve    run the GraphQL API server                  (strata serve --help)
  token    create, list and revoke API tokens          (strata token --help)
  help     this help`;

/** The --help text of a subcommand, or the general usage for none or an unknown one. */
export function helpFor(command: string | undefined): string {
  switch (command) {
    case 'sql': return SQL_HELP;
    case 'serve': return SERVE_HELP;
    case 'token': return TOKEN_HELP;
    default: return USAGE;
  }
}

/** Parses argv (without node and the script); throws an Error naming a bad option. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const o: CliOptions = { data: env.STRATA_DATA || './strata-data', format: 'table', help: false, interactive: false, positional: [], importDirs: [], exportDirs: [], corsOrigins: [] };
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
      case '--port': {
        const v = value();
        o.port = Number(v);
        if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`--port must be a port number (0-65535), not "${v}"`);
        break;
      }
      case '--host': o.host = value(); break;
      case '--import-dir': o.importDirs.push(...value().split(',').filter(Boolean)); break;
      case '--export-dir': o.exportDirs.push(...value().split(',').filter(Boolean)); break;
      case '--cors-origin': o.corsOrigins.push(...parseCorsOrigins(value().split(',').filter(Boolean))); break;
      case '--query-memory-limit': o.queryMemoryLimit = parseMemorySize(value()); break;
      case '--memory-limit': o.memoryLimit = parseMemorySize(value()); break;
      case '--slice-niceness': {
        const v = value();
        o.sliceNiceness = Number(v);
        if (!/^\d+$/.test(v) || o.sliceNiceness > 19) throw new Error(`--slice-niceness must be an integer from 0 to 19, not "${v}"`);
        break;
      }
      case '--pg-port': o.pgPort = Number(value()); if (!Number.isInteger(o.pgPort) || o.pgPort < 0 || o.pgPort > 65535) throw new Error('--pg-port must be a port number'); break;
      case '--pg-host': o.pgHost = value(); break;
      case '--pg-auth': {
        const v = value();
        if (v !== 'scram' && v !== 'password') throw new Error(`--pg-auth must be scram or password, not "${v}"`);
        o.pgAuth = v;
        break;
      }
      case '-h': case '--help': o.help = true; break;
      case '-i': case '--interactive': o.interactive = true; break;
      default:
        if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
        o.positional.push(a);
    }
  }
  return o;
}
