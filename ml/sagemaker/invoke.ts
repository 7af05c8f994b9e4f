// Remote inference: a model function backed by a SageMaker endpoint (CREATE MODEL ... SAGEMAKER
// 'endpoint'). Each slice sends its rows as text/csv bodies of at most MAX_BATCH_ROWS rows,
// MAX_CONCURRENT_CALLS at a time, retries throttling and 5xx with backoff, and stops at the
// statement's deadline or cancel. Where the calls go is the server's configuration only
// (STRATA_SAGEMAKER_RUNTIME_ENDPOINT, else AWS in the region): a statement names an endpoint, never
// a URL.
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SqlError } from '../../engine/errors.ts';
import type { RemoteModelRef } from '../../engine/plan/bound.ts';
import { type SqlType, TYPES, typeName } from '../../engine/types/types.ts';
import { parseValue, valueToText } from '../../engine/types/values.ts';
import { type Vector, allocVector, stringVector, valueAt } from '../../engine/types/vector.ts';
import { awsError } from './aws.ts';

/** What stops the calls: the statement's cancel flag (check throws) and deadline (epoch ms, 0 = none). */
export interface CallStop { check(): void; readonly deadline: number }

/** SageMaker's own limits: a request body of at most 6 MB, an answer within 60 s. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const CALL_TIMEOUT_MS = 60_000;
/** Attempts per batch (throttling, 5xx, network errors), with exponential backoff and jitter. */
const MAX_ATTEMPTS = 6;
const BACKOFF_MS = 100;
const BACKOFF_CAP_MS = 5_000;
/** How often a waiting call looks at the statement's cancel flag. */
const CANCEL_POLL_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const clients = new Map<string, SageMakerRuntimeClient>();

/** One client per region and configured endpoint in this thread; the SDK's own retries are off (ours know the deadline). */
function client(region: string): { c: SageMakerRuntimeClient; where: string } {
  const url = process.env.STRATA_SAGEMAKER_RUNTIME_ENDPOINT || undefined;
  const key = `${region}|${url ?? ''}`;
  let c = clients.get(key);
  if (!c) {
    c = new SageMakerRuntimeClient(url ? { region, endpoint: url, maxAttempts: 1 } : { region, maxAttempts: 1 });
    clients.set(key, c);
  }
  return { c, where: url ?? `SageMaker Runtime in ${region}` };
}

export function regionOf(ref: RemoteModelRef): string {
  return ref.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** The endpoint's answers for `count` rows of `args`, as a vector of `returns`. */
export async function invokeRemote(ref: RemoteModelRef, args: Vector[], count: number, returns: SqlType, stop: CallStop): Promise<Vector> {
  const all = csvLines(args, count);
  // a one-argument row that is NULL is a blank line, which CSV readers skip: it answers NULL without a call
  const sent = all.flatMap((l, r) => (l === '' ? [] : [r]));
  const lines = sent.length === count ? all : sent.map((r) => all[r]);
  const batches = batchRanges(lines, ref.maxBatchRows);
  const out: string[] = new Array(lines.length);
  let next = 0;
  let failed: unknown = null;
  // MAX_CONCURRENT_CALLS workers take the batches in order; the first error stops the others
  const worker = async () => {
    while (failed === null && next < batches.length) {
      const [from, to] = batches[next++];
      try {
        const answers = await invokeWithRetries(ref, `${lines.slice(from, to).join('\n')}\n`, to - from, stop);
        for (let i = 0; i < answers.length; i++) out[from + i] = answers[i];
      } catch (e) { failed ??= e; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ref.maxConcurrency, batches.length) }, worker));
  if (failed !== null) throw failed;
  if (sent.length === count) return toVector(out, returns, ref.endpoint);
  const full: string[] = new Array(count).fill('');
  sent.forEach((r, i) => { full[r] = out[i]; });
  return toVector(full, returns, ref.endpoint);
}

/** One CSV line per row; NULL is an empty cell, text is quoted when it needs to be. */
export function csvLines(args: Vector[], count: number): string[] {
  const lines: string[] = new Array(count);
  const cells: string[] = new Array(args.length);
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < args.length; j++) {
      const v = valueAt(args[j], r);
      cells[j] = v === null ? '' : csvCell(valueToText(args[j].type, v));
    }
    lines[r] = cells.join(',');
  }
  return lines;
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** [from, to) row ranges: at most `maxRows` rows and MAX_BODY_BYTES per call. */
export function batchRanges(lines: string[], maxRows: number): [number, number][] {
  const out: [number, number][] = [];
  let from = 0, bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const b = Buffer.byteLength(lines[i]) + 1;
    if (b > MAX_BODY_BYTES) throw new SqlError('INVALID_PARAMETER', `row ${i + 1} is ${b} bytes as CSV, more than SageMaker's request limit`);
    if (i > from && (i - from >= maxRows || bytes + b > MAX_BODY_BYTES)) { out.push([from, i]); from = i; bytes = 0; }
    bytes += b;
  }
  if (lines.length > from) out.push([from, lines.length]);
  return out;
}

const RETRIABLE = new Set(['ThrottlingException', 'ServiceUnavailable', 'InternalFailure', 'InternalDependencyException', 'ModelNotReadyException', 'TooManyRequestsException', 'TimeoutError']);
const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|socket hang up/;

function retriable(e: unknown): boolean {
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const status = err?.$metadata?.httpStatusCode ?? 0;
  if (err?.name === 'ModelError') return false; // the container answered with an error: the same rows fail again
  return status === 429 || status >= 500 || RETRIABLE.has(err?.name ?? '') || NETWORK.test(`${err?.code ?? ''} ${err?.cause?.code ?? ''} ${err?.message ?? ''}`);
}

/** One batch: InvokeEndpoint, retried with backoff while it may still succeed before the deadline. */
async function invokeWithRetries(ref: RemoteModelRef, body: string, rows: number, stop: CallStop): Promise<string[]> {
  const region = regionOf(ref);
  const { c, where } = client(region);
  const doing = `calling SageMaker endpoint '${ref.endpoint}'${ref.targetModel ? ` (model '${ref.targetModel}')` : ''}`;
  for (let attempt = 1; ; attempt++) {
    stop.check();
    const left = stop.deadline > 0 ? stop.deadline - Date.now() : Infinity;
    const timeout = Math.min(CALL_TIMEOUT_MS, left);
    try {
      const text = await sendOnce(c, ref, body, timeout, stop);
      return parseAnswers(text, rows, ref.endpoint);
    } catch (e) {
      stop.check(); // a canceled or timed-out statement says so, not the aborted call
      if (e instanceof SqlError) throw e;
      const wait = Math.min(BACKOFF_CAP_MS, BACKOFF_MS * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      const timeLeft = stop.deadline > 0 ? stop.deadline - Date.now() : Infinity;
      if (!retriable(e) || attempt >= MAX_ATTEMPTS || wait >= timeLeft) throw invokeError(e, doing, where, attempt);
      await sleep(wait);
    }
  }
}

/** Sends one request; aborts it when the statement is canceled or `timeoutMs` passes. */
async function sendOnce(c: SageMakerRuntimeClient, ref: RemoteModelRef, body: string, timeoutMs: number, stop: CallStop): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const watch = setInterval(() => { try { stop.check(); } catch { ac.abort(); } }, CANCEL_POLL_MS);
  try {
    const r = await c.send(new InvokeEndpointCommand({
      EndpointName: ref.endpoint, Body: new TextEncoder().encode(body), ContentType: 'text/csv', Accept: 'text/csv',
      ...(ref.targetModel ? { TargetModel: ref.targetModel } : {}),
    }), { abortSignal: ac.signal });
    return new TextDecoder().decode(r.Body);
  } catch (e) {
    if (ac.signal.aborted && !(e as { $metadata?: unknown }).$metadata) throw Object.assign(new Error(`no answer within ${Math.round(timeoutMs)} ms`), { name: 'TimeoutError' });
    throw e;
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
  }
}

function invokeError(e: unknown, doing: string, where: string, attempts: number): SqlError {
  const err = e as { name?: string; message?: string; OriginalStatusCode?: number; OriginalMessage?: string };
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  if (err?.name === 'ModelError') {
    return new SqlError('INVALID_PARAMETER', `${doing}: the model container answered ${err.OriginalStatusCode ?? 'an error'}: ${err.OriginalMessage ?? err.message}`);
  }
  if (err?.name === 'ValidationError' && /endpoint/i.test(err.message ?? '')) return new SqlError('UNDEFINED_OBJECT', `${doing}: ${err.message}`);
  const mapped = awsError(e, doing, where, 'STRATA_SAGEMAKER_RUNTIME_ENDPOINT');
  return new SqlError(mapped.code, `${mapped.message}${tries}`);
}

/**
 * The answer's values, one per row: one per line (SageMaker's CSV serializers), or all on one
 * line separated by commas (older XGBoost containers). A count that does not match is an error.
 */
export function parseAnswers(text: string, rows: number, endpoint: string): string[] {
  let cells = text.split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  if (cells.length === 1 && rows > 1) cells = cells[0].split(',');
  if (cells.length !== rows) {
    throw new SqlError('INVALID_PARAMETER', `SageMaker endpoint '${endpoint}' returned ${cells.length} values for ${rows} rows (it must answer text/csv with one value per row)`);
  }
  return cells.map((c) => c.trim());
}

/** The answers as a vector of the function's RETURNS type; an empty answer is NULL. */
function toVector(cells: string[], type: SqlType, endpoint: string): Vector {
  if (TYPES[type.id].string) return stringVector(type, cells.map((c) => (c === '' ? null : c.replace(/^"(.*)"$/s, '$1').replace(/""/g, '"'))));
  const v = allocVector(type, cells.length, true);
  for (let i = 0; i < cells.length; i++) {
    if (cells[i] === '') { v.valid![i] = 0; continue; }
    let x;
    try { x = parseValue(type, cells[i]); } catch {
      throw new SqlError('DATATYPE_MISMATCH', `SageMaker endpoint '${endpoint}' returned '${cells[i].slice(0, 40)}' for row ${i + 1}, which is not a ${typeName(type)} (the function's RETURNS type)`);
    }
    v.values[i] = typeof x === 'boolean' ? (x ? 1 : 0) : Number(x);
    // a BIGINT past 2^53 keeps its exact value beside the nearest double, as the engine's vectors do
    if (typeof x === 'bigint' && !Number.isSafeInteger(Number(x))) (v.big ??= new Array(cells.length).fill(null))[i] = x;
  }
  return v;
}
