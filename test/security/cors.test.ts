// CORS through the real HTTP server: off by default (no Access-Control-* header for any Origin),
// and with --cors-origin only the listed origins get headers, never with allow-credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureServer, type SecureServer } from './helpers.ts';
import { parseCorsOrigins } from '../../api/cors.ts';

let off: SecureServer;
let on: SecureServer;

beforeAll(async () => {
  off = await secureServer();
  on = await secureServer({ corsOrigins: ['https://app.example', 'http://localhost:3000'] });
}, 60_000);
afterAll(async () => {
  await off?.close();
  await on?.close();
});

async function call(s: SecureServer, origin: string, method: 'POST' | 'OPTIONS' = 'POST'): Promise<Headers> {
  const r = await fetch(s.server.url, method === 'OPTIONS'
    ? { method, headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } }
    : { method, headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${s.server.adminToken}` }, body: JSON.stringify({ query: '{ me { user } }' }) });
  await r.arrayBuffer();
  return r.headers;
}

const corsHeaders = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));

describe('CORS', () => {
  it('is off by default: no Access-Control headers for any origin, preflight included', async () => {
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1:1']) {
      expect(corsHeaders(await call(off, origin))).toEqual([]);
      expect(corsHeaders(await call(off, origin, 'OPTIONS'))).toEqual([]);
    }
  });

  it('answers only listed origins, and never allows credentials', async () => {
    const h = await call(on, 'https://app.example');
    expect(h.get('access-control-allow-origin')).toBe('https://app.example');
    expect(h.get('access-control-allow-credentials')).toBeNull();
    const pre = await call(on, 'http://localhost:3000', 'OPTIONS');
    expect(pre.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(pre.get('access-control-allow-headers')).toContain('authorization');
    expect(pre.get('access-control-allow-credentials')).toBeNull();
    for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'null']) {
      expect(corsHeaders(await call(on, origin))).toEqual([]);
      expect(corsHeaders(await call(on, origin, 'OPTIONS'))).toEqual([]);
    }
  });

  it('checks --cors-origin values', () => {
    expect(parseCorsOrigins(['https://app.example/', '*', 'http://localhost:3000'])).toEqual(['https://app.example', '*', 'http://localhost:3000']);
    for (const bad of ['app.example', 'https://app.example/path', 'file:///x', 'javascript:alert(1)']) expect(() => parseCorsOrigins([bad])).toThrow(/--cors-origin/);
  });
});
