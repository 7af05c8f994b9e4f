#!/usr/bin/env node
// The `strata` command. Runs the compiled JavaScript in dist/ (built by `npm install` through the
// `prepare` script, or `npm run build`) when it is at least as new as every source file it was
// built from; otherwise the TypeScript sources through tsx, so an edit is never run stale.
import { fileURLToPath } from 'node:url';
import { distIsFresh } from './dist-fresh.js';

const root = fileURLToPath(new URL('..', import.meta.url));

let cli;
if (process.env.STRATA_NO_DIST !== '1' && distIsFresh(root)) {
  cli = await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../api/cli.ts');
}
await cli.main(process.argv.slice(2));
