// Shared test helpers: temp data dirs, an in-process API, a GraphQL client (in-process or HTTP),
// and a reader of subscription events over SSE.
import { expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApi, type Api } from '../../api/server.ts';
import type { WlmOptions } from '../../api/wlm.ts';
import type { ApiLimits } from '../../api/limits.ts';
import type { CursorLimits } from '../../api/cursors.ts';

export function tempDir(prefix = 'strata-api-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface GqlResponse {
  status: number;
  data?: Record<string, any>;
  errors?: { message: string; extensions?: Record<string, any>; path?: string[] }[];
}

type Fetch = (url: string, init: RequestInit) => Promise<Response> | Response;

/** A GraphQL client for one token over `fetch` (yoga.fetch in-process, or global fetch). */
export function client(fetcher: Fetch, url: string, token: string | null) {
  return async (query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse> => {
    const r = await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await r.json()) as Omit<GqlResponse, 'status'>;
    return { status: r.status, ...body };
  };
}

/** An in-process API on a temp data dir with an admin client. */
export async function inProcess(opts: { wlm?: Partial<WlmOptions>; limits?: Partial<ApiLimits>; cursors?: Partial<CursorLimits> } = {}) {
  const tmp = tempDir();
  const api: Api = await openApi({ dataDir: tmp.dir, slices: 2, ...opts });
  const fetcher: Fetch = (url, init) => api.app.fetch(url, init);
  const as = (token: string | null) => client(fetcher, 'http://localhost/graphql', token);
  return {
    api, dir: tmp.dir, fetcher, as,
    admin: as(api.adminToken!),
    async close() { await api.close(); tmp.remove(); },
  };
}

/** Data of a response that must have no errors. */
export function ok(r: GqlResponse): Record<string, any> {
  if (r.errors?.length) throw new Error(`unexpected GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

/** The first error's code extension. */
export const code = (r: GqlResponse) => r.errors?.[0]?.extensions?.code;

/** A read-only script slow enough to cancel (each statement ~1 s: a join of 100M row pairs). */
export const SLOW_SETUP = `create table d (x int); insert into d values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
create table big as select a.x*10000+b.x*1000+c.x*100+e.x*10+f.x as x from d a, d b, d c, d e, d f`;
export const slowScript = (n = 30) => Array.from({ length: n }, () => 'select count(*) from big a join big b on a.x % 100 = b.x % 100').join(';\n');

/**
 * Runs a GraphQL subscription over SSE as `token`, calls `started` once it is open, and collects
 * its events' `data` until `stop` matches one or `ms` pass.
 */
export async function subscribeEvents(fetcher: Fetch, token: string, query: string, stop: (e: any) => boolean, started: () => Promise<void>, ms = 30_000): Promise<any[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const r = await fetcher('http://localhost/graphql', {
    method: 'POST', signal: ac.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  expect(r.status).toBe(200);
  const reader = r.body!.getReader();
  const dec = new TextDecoder();
  const events: any[] = [];
  let buf = '';
  const kick = started();
  try {
    while (!events.some(stop)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value);
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const text = l.startsWith('data:') ? l.slice(5).trim() : '';
        if (!text) continue; // keep-alives
        const e = JSON.parse(text);
        if (e.data) events.push(e.data);
      }
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  await kick;
  return events;
}
