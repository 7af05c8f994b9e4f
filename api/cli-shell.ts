// The interactive shell of `strata sql`: SQL typed over several lines until ';', backslash
// commands (api/cli-meta.ts), whole-statement history in ~/.strata_history, tab completion
// (api/cli-complete.ts). Ctrl-C cancels the running statement through the session's abort
// signal (the slices stop too) and keeps the shell; with nothing running it clears the input.
// Ctrl-D at an empty prompt quits.
import { appendFileSync, closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import { asSqlError } from '../engine/errors.ts';
import type { Result } from '../engine/result.ts';
import { type CatalogNames, complete } from './cli-complete.ts';
import { isMetaCommand, type MetaHost, runMeta } from './cli-meta.ts';
import { writeResult, type OutputFormat } from './output.ts';

/** What the shell runs statements on: a session of this process, or of the server that owns the data directory. */
export interface ShellSession {
  /** with `stream`, a session that can hands queries' rows over as Result.stream (printed a piece at a time) */
  execute(sql: string, opts: { signal?: AbortSignal; onResult?: (r: Result) => void; stream?: boolean }): Promise<Result[]>;
  /** whether aborting the signal stops a running statement */
  readonly cancellable: boolean;
  /** tables, views and columns for Tab completion */
  names(): CatalogNames;
  /** system views for \dS */
  systemViews(): string[];
  /** brings names() up to date after a statement, when that takes a round trip */
  refreshNames?(): Promise<void>;
}

export interface ShellIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  errors: NodeJS.WritableStream;
  /** a terminal: line editing, Tab, and Ctrl-C as a key; otherwise lines are read as they come */
  terminal: boolean;
  /** where whole statements are remembered across sessions; null keeps none */
  historyFile: string | null;
}

const PROMPT = 'strata=> ';
const CONTINUE = 'strata-> ';
const HISTORY_SIZE = 1000;
/** \i inside \i: deep enough for real scripts, stops a file that includes itself */
const MAX_INCLUDE_DEPTH = 16;

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

/** A statement typed over several lines as one history line: comments dropped, lines joined. */
export function historyLine(text: string): string {
  let out = '';
  let q: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) { out += c; if (c === q) q = null; continue; }
    if (c === "'" || c === '"') { q = c; out += c; continue; }
    if (c === '-' && text[i + 1] === '-') { const nl = text.indexOf('\n', i); i = nl < 0 ? text.length : nl - 1; continue; }
    out += c === '\n' || c === '\r' ? ' ' : c;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** One shell: its settings, the statement being typed, and where results go. */
export class Shell implements MetaHost {
  timing = false;
  expanded = false;
  /** the statement typed so far (lines before the current one) */
  pending = '';
  private outFd: number | null = null;
  private running: AbortController | null = null;
  private depth = 0;

  constructor(readonly session: ShellSession, private readonly format: OutputFormat, private readonly io: ShellIO, private readonly remember: (statement: string) => void = () => {}) {}

  printResult(r: Result): void {
    // on a terminal, long last columns (SHOW MODEL's preprocessing) wrap to its width
    const width = this.outFd === null && this.io.terminal ? (this.io.output as { columns?: number }).columns : undefined;
    const fd = this.outFd;
    writeResult(r, (text) => { if (fd === null) this.io.output.write(text); else writeSync(fd, text); }, this.format, this.expanded, width);
  }

  say(text: string): void {
    this.io.output.write(`${text}\n`);
  }

  private error(e: unknown): void {
    const message = e instanceof Error && !('code' in e) ? e.message : asSqlError(e).message;
    this.io.errors.write(`ERROR: ${message}\n`);
  }

  setOutput(file: string | null): void {
    if (this.outFd !== null) closeSync(this.outFd);
    this.outFd = null;
    if (file) this.outFd = openSync(file, 'w');
  }

  async include(file: string): Promise<void> {
    if (this.depth >= MAX_INCLUDE_DEPTH) throw new Error(`\\i: files include each other more than ${MAX_INCLUDE_DEPTH} deep (${file})`);
    const text = await readFile(file, 'utf8');
    this.depth++;
    try {
      for (const line of text.split(/\r?\n/)) if ((await this.feed(line)) === 'quit') break;
    } finally {
      this.depth--;
    }
  }

  /** One line of input: a backslash command, or SQL gathered until it ends with ';'. */
  async feed(line: string): Promise<'quit' | undefined> {
    if (!this.pending.trim() && isMetaCommand(line)) {
      if (this.depth === 0) this.remember(line.trim());
      try {
        return await runMeta(line, this);
      } catch (e) {
        this.error(e);
        return undefined;
      }
    }
    this.pending += (this.pending ? '\n' : '') + line;
    if (!statementComplete(this.pending)) return undefined;
    const text = this.pending;
    this.pending = '';
    if (this.depth === 0) this.remember(historyLine(text));
    await this.execute(text);
    return undefined;
  }

  private async execute(text: string): Promise<void> {
    const ac = new AbortController();
    this.running = ac;
    const t0 = performance.now();
    try {
      await this.session.execute(text, { signal: ac.signal, onResult: (r) => this.printResult(r), stream: true });
    } catch (e) {
      this.error(e);
    } finally {
      this.running = null;
    }
    await this.session.refreshNames?.().catch(() => undefined);
    if (this.timing) this.say(`Time: ${(performance.now() - t0).toFixed(3)} ms`);
  }

  /** Ctrl-C: cancels the running statement, or drops what has been typed. */
  interrupt(): 'canceled' | 'uncancellable' | 'cleared' {
    if (this.running) {
      if (!this.session.cancellable) return 'uncancellable';
      this.running.abort();
      return 'canceled';
    }
    this.pending = '';
    return 'cleared';
  }

  close(): void {
    this.setOutput(null);
  }
}

function loadHistory(file: string | null): string[] {
  if (!file) return [];
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).reverse().slice(0, HISTORY_SIZE);
  } catch {
    return []; // no history yet
  }
}

/** Runs the shell until \q or the end of input; returns the exit code. */
export async function runShell(session: ShellSession, format: OutputFormat, io: ShellIO): Promise<number> {
  let rl: Interface;
  const remember = (statement: string) => {
    if (!statement) return;
    if (io.terminal) {
      const h = (rl as unknown as { history: string[] }).history;
      if (h[0] !== statement) h.unshift(statement);
      if (h.length > HISTORY_SIZE) h.length = HISTORY_SIZE;
    }
    if (io.historyFile) try { appendFileSync(io.historyFile, `${statement}\n`, { mode: 0o600 }); } catch { /* history is best effort */ }
  };
  const shell = new Shell(session, format, io, remember);
  rl = createInterface({
    input: io.input, output: io.output, terminal: io.terminal, prompt: PROMPT,
    // historySize 0: readline would file every line; the shell files whole statements (remember)
    history: loadHistory(io.historyFile), historySize: 0,
    completer: (line: string) => complete(session.names(), shell.pending, line),
  });
  const lines: string[] = [];
  let closed = false;
  let wake: (() => void) | null = null;
  rl.on('line', (line) => {
    lines.push(line);
    wake?.();
  });
  rl.on('close', () => { closed = true; wake?.(); });
  // prompts only on a terminal: piped input (--interactive) gets bare results, as psql gives
  const prompt = () => { if (io.terminal) { rl.setPrompt(shell.pending.trim() ? CONTINUE : PROMPT); rl.prompt(); } };
  const onInterrupt = () => {
    const done = shell.interrupt();
    if (done === 'canceled') { io.errors.write('Cancel request sent\n'); return; }
    if (done === 'uncancellable') { io.errors.write('cannot cancel: the statement runs in the server that owns the data directory (cancel it there with cancelQuery)\n'); return; }
    if (io.terminal) {
      lines.length = 0; // typed ahead of the ^C
      io.output.write('^C\n');
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      prompt();
    }
  };
  rl.on('SIGINT', onInterrupt);
  process.on('SIGINT', onInterrupt); // piped input: Ctrl-C arrives as a signal
  if (io.terminal) io.output.write('strata shell. Type "help" for help, \\q to quit.\n');
  await session.refreshNames?.().catch(() => undefined);
  prompt();
  try {
    for (;;) {
      const line = lines.shift();
      if (line === undefined) {
        if (closed) break;
        await new Promise<void>((resolve) => { wake = resolve; });
        wake = null;
        continue;
      }
      if ((await shell.feed(line)) === 'quit') break;
      if (!lines.length && !closed) prompt();
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    if (closed && io.terminal) io.output.write('\n');
    rl.close();
    shell.close();
  }
  return 0;
}
