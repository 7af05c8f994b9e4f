// CORS: off unless the operator names the origins a browser app may call from
// (`strata serve --cors-origin https://app.example`). Tokens travel in the Authorization header,
// so credentials (cookies) are never allowed, and an origin is never echoed unless listed.
import type { CORSOptions } from 'graphql-yoga';

/** Checks `--cors-origin` values: '*' or exact origins such as https://app.example:8443. */
export function parseCorsOrigins(values: string[]): string[] {
  return values.map((v) => {
    if (v === '*') return v;
    let origin: string | null = null;
    try { origin = new URL(v).origin; } catch { /* not a URL */ }
    if (!origin || origin === 'null' || origin !== v.replace(/\/$/, '')) throw new Error(`--cors-origin ${v}: give an origin like https://app.example[:port] (scheme, host and port only) or *`);
    return origin;
  });
}

/** Yoga's `cors` option for the allowed origins: CORS headers only for a listed Origin. */
export function corsPolicy(allowed: string[]): (request: Request) => CORSOptions | false {
  const any = allowed.includes('*');
  const listed = new Set(allowed);
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || (!any && !listed.has(origin))) return false;
    return {
      origin: any ? '*' : origin,
      credentials: false,
      methods: ['GET', 'POST'],
      allowedHeaders: ['authorization', 'content-type', 'accept'],
      exposedHeaders: ['x-strata-rows'],
      maxAge: 600,
    };
  };
}
