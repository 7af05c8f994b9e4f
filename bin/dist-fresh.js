// Whether dist/ (scripts/build.mjs) was compiled after the last change to any source file it was
// built from: bin/strata.js runs it only then, and the test suite builds it when it is not.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** True when `root`/dist/build.json exists and every file it lists is older than the build. */
export function distIsFresh(root) {
  let build;
  try {
    build = JSON.parse(readFileSync(join(root, 'dist', 'build.json'), 'utf8'));
  } catch {
    return false;
  }
  try {
    return build.files.every((f) => statSync(join(root, f)).mtimeMs < build.builtAt);
  } catch {
    return false; // a source file was removed since the build
  }
}
