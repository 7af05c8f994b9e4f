#!/usr/bin/env node
// Compiles the `strata` command into plain JavaScript in dist/ so it starts without transpiling
// or opening hundreds of module files: esbuild bundles the CLI and the two worker-thread entries,
// splitting what they load lazily (the server, ML training, the AWS SDK glue) into chunks that
// load only when a statement needs them. npm packages stay external. All files sit flat in dist/,
// so `new URL('./slice-worker.js', import.meta.url)` finds a worker from any chunk.
// bin/strata.js runs dist/ when it is newer than every source it was built from, tsx otherwise.
// Runs as `npm run build` and as the `prepare` script, which `npm install` runs in a clone.
import { build } from 'esbuild';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BUILD_OPTIONS, ROOT as root, WORKER_ENTRIES } from './esbuild-options.mjs';

const out = join(root, 'dist');
const staging = join(root, `.dist-${process.pid}`);

const started = Date.now();
try {
  const result = await build({
    ...BUILD_OPTIONS,
    entryPoints: { cli: join(root, 'api/cli.ts'), ...WORKER_ENTRIES },
    outdir: staging,
    metafile: true,
    // less source for V8 to parse at every start; names stay, so stack traces stay readable
    minifyWhitespace: true,
    minifySyntax: true,
  });
  // what bin/strata.js checks before trusting dist/: every source file and when the build began
  const files = Object.keys(result.metafile.inputs).map((f) => relative(root, join(root, f))).filter((f) => !f.startsWith('node_modules')).sort();
  writeFileSync(join(staging, 'build.json'), JSON.stringify({ builtAt: started, files }));
  // replace dist/ in one step, so a `strata` running meanwhile sees the old build or the new one
  rmSync(out, { recursive: true, force: true });
  renameSync(staging, out);
  if (process.argv.includes('--verbose')) console.log(`dist/: ${files.length} source files compiled in ${Date.now() - started} ms`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
