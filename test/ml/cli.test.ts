// The one-shot CLI (`strata sql`): CREATE MODEL waits for training, so the next statement of the
// script can use the model (and ALTER MODEL ... SET EXPLAIN_BACKGROUND change it); progress goes
// to stderr as plain lines when it is not a terminal.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

it('strata sql: a script creates a model and uses it in the next statement', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-ml-cli-'));
  try {
    const rows = Array.from({ length: 80 }, (_, i) => `(${i % 9}, ${(i * 5) % 13}, ${(i % 9) > 4 ? 1 : 0})`).join(', ');
    const script = `CREATE TABLE c (a REAL, b REAL, y INTEGER); INSERT INTO c VALUES ${rows};
      CREATE MODEL cm FROM c TARGET y FUNCTION cm_fn AUTO OFF MODEL_TYPE XGBOOST;
      SELECT count(*) AS correct FROM c WHERE cm_fn(a, b) = y;
      ALTER MODEL cm SET EXPLAIN_BACKGROUND 'SELECT a, b FROM c WHERE y = 1' SEED 2; SHOW MODEL cm;`;
    const { stdout, stderr } = await promisify(execFile)('node', [join(root, 'bin/strata.js'), 'sql', '--data', dir, '--slices', '2', '--format', 'csv', script], { cwd: root });
    expect(stdout).toMatch(/correct\r?\n80/);
    // 35 rows have y = 1: the background keeps 32
    expect(stdout).toMatch(/Explain Baseline,32 row\(s\) of EXPLAIN_BACKGROUND/);
    expect(stderr).toMatch(/model cm: TRAINING/);
    expect(stderr).toMatch(/model cm: READY XGBOOST/);
    expect(stderr).not.toMatch(/ERROR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
