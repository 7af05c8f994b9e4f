// Drift monitors from the one-shot CLI (`strata sql`): a script trains a model, creates a monitor,
// runs it and reads SHOW MONITORS and stv_ml_monitor_runs, as a user of the CLI would.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('strata sql: CREATE MONITOR, RUN MONITOR, SHOW MONITORS and the runs view', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-monitor-cli-'));
  try {
    const rows = Array.from({ length: 120 }, (_, i) => `(${i % 9}, ${(i * 5) % 13}, ${(i % 9) > 4 ? 1 : 0})`).join(', ');
    const script = `CREATE TABLE c (a REAL, b REAL, y INTEGER); INSERT INTO c VALUES ${rows};
      CREATE MODEL cm FROM c TARGET y FUNCTION cm_fn AUTO OFF MODEL_TYPE XGBOOST;
      CREATE MONITOR cmon ON MODEL cm USING (SELECT a * 2 + 5 AS a, b FROM c);
      RUN MONITOR cmon;
      SHOW MONITORS;
      SELECT run, column_name, state FROM stv_ml_monitor_runs ORDER BY column_name;`;
    const { stdout, stderr } = await promisify(execFile)('node', [join(root, 'bin/strata.js'), 'sql', '--data', dir, '--slices', '1', '--format', 'csv', script], { cwd: root });
    expect(stderr).not.toMatch(/ERROR/);
    const lines = stdout.split(/\r?\n/);
    expect(lines).toContain('1,(overall),,120,,,,DRIFTED');
    expect(lines.some((l) => /^1,a,number,120,[\d.]+,[\d.]+,[\d.e-]+,DRIFTED$/.test(l))).toBe(true);
    expect(lines.some((l) => /^cmon,public,admin,public\.cm,,DRIFTED,/.test(l))).toBe(true);
    expect(stdout).toMatch(/run,column_name,state\r?\n1,\(overall\),DRIFTED\r?\n1,\(prediction\),\w+\r?\n1,a,DRIFTED\r?\n1,b,OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
