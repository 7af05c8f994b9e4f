#!/usr/bin/env node
// The `strata` command. Runs the compiled JavaScript in dist/ (built by `npm install` through the
// `prepare` script, or `npm run build`) when it is at least as new as every source file it was
// built from; otherwise the TypeScript sources through tsx, so an edit is never run stale.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Whether dist/ was compiled after the last change to any of its sources. */
function distIsFresh() {
  let build;
  try {
    build = JSON.parse(readFileSync(`${root}dist/build.json`, 'utf8'));
  } catch {
    return false;
  }
  try {
    return build.files.every((f) => statSync(`${root}${f}`).mtimeMs < build.builtAt);
  } catch {
    return false; // a source file was removed since the build
  }
}

let cli;
if (process.env.STRATA_NO_DIST !== '1' && distIsFresh()) {
  cli = await import('../dist/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../api/cli.ts');
}
await cli.main(process.argv.slice(2));
