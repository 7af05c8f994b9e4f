// Server files are off limits: COPY, UNLOAD and CREATE MODEL ... FROM 'file' through the real
// HTTP server reach only the operator's --import-dir / --export-dir, never the data directory
// (even inside an import dir), not by `..` or symlinks, not by a symlink swapped in after the
// check; refusals do not reveal whether a path exists, and no error carries the server's absolute
// paths.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { code, ok } from '../api/helpers.ts';
import { secureServer, message, type Caller, type SecureServer } from './helpers.ts';
import { setBeforeOpenForTests } from '../../engine/session/file-access.ts';

const root = mkdtempSync(join(tmpdir(), 'strata-files-'));
const outside = mkdtempSync(join(tmpdir(), 'strata-outside-'));
const data = join(root, 'data');
let srv: SecureServer;
let bare: SecureServer;
let acme: Caller;
const messages: string[] = [];

async function denied(c: Caller, sql: string): Promise<string> {
  const r = await c.sql(sql);
  messages.push(message(r));
  expect(code(r), `${sql}: ${message(r)}`).toBe('PERMISSION_DENIED');
  return message(r);
}

/** Every file under a directory (the data directory's manifests, CURRENT, segments, ...). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []);
}

beforeAll(async () => {
  mkdirSync(join(root, 'in'));
  mkdirSync(join(root, 'out'));
  writeFileSync(join(root, 'in', 'ok.csv'), '1,one\n2,two\n');
  mkdirSync(join(outside, '.ssh'));
  writeFileSync(join(outside, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAA original\n');
  // the import root holds the data directory: the data directory must stay off limits anyway
  srv = await secureServer({ dataDir: data, importDirs: [root], exportDirs: [join(root, 'out')], accounts: ['acme'] });
  symlinkSync(data, join(root, 'in', 'data-link'));
  symlinkSync('/etc/passwd', join(root, 'in', 'passwd-link'));
  symlinkSync(join(data, 'segments'), join(root, 'out', 'seg-link'));
  symlinkSync(outside, join(root, 'out', 'escape'));
  acme = srv.as(await srv.token('acme'));
  ok(await acme.sql('CREATE TABLE t (a INT, b VARCHAR(10)); INSERT INTO t VALUES (7, \'seven\')'));
  bare = await secureServer({ accounts: ['acme'] });
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await bare?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('COPY and CREATE MODEL read only under --import-dir', () => {
  it('refuses /etc/passwd with the same error as a missing file', async () => {
    const passwd = await denied(acme, "COPY t FROM '/etc/passwd'");
    const missing = await denied(acme, "COPY t FROM '/etc/no-such-file-here'");
    expect(passwd.replace('/etc/passwd', 'P')).toBe(missing.replace('/etc/no-such-file-here', 'P'));
    expect(passwd).toMatch(/does not exist or is not under an --import-dir/);
  });

  it('refuses every file of the data directory, by absolute and relative path and through symlinks', async () => {
    const files = filesUnder(data).filter((f) => !f.endsWith('.sock'));
    expect(files.some((f) => f.includes('segments'))).toBe(true);
    for (const f of files) {
      await denied(acme, `COPY t FROM '${f}'`);
      await denied(acme, `COPY t FROM '${relative(root, f)}'`);
      await denied(acme, `COPY t FROM 'in/data-link/${relative(data, f)}'`);
    }
  });

  it('refuses traversal with .. and symlinks leading out', async () => {
    await denied(acme, "COPY t FROM 'in/../../../../../../etc/passwd'");
    await denied(acme, `COPY t FROM '${root}/in/../data/${relative(data, filesUnder(data)[0])}'`);
    await denied(acme, "COPY t FROM 'in/passwd-link'");
    await denied(acme, "COPY t FROM 'in'");
  });

  it('loads a file under the import directory (relative paths start there)', async () => {
    ok(await acme.sql("COPY t FROM 'in/ok.csv'"));
    ok(await acme.sql(`COPY t FROM '${root}/in/ok.csv'`));
    expect(ok(await acme.sql('SELECT count(*), sum(a) FROM t')).execute.rows).toEqual([[5, 13]]);
  });

  it('refuses CREATE MODEL from files outside or inside the data directory', async () => {
    await denied(acme, "CREATE MODEL m FUNCTION f(REAL) RETURNS INT FROM '/etc/passwd'");
    await denied(acme, `CREATE MODEL m FUNCTION f(REAL) RETURNS INT FROM '${filesUnder(data)[0]}'`);
  });
});

describe('UNLOAD writes only under --export-dir', () => {
  it('never writes into the data directory', async () => {
    const current = filesUnder(data).find((f) => /CURRENT$/.test(f)) ?? filesUnder(data)[0];
    const before = readFileSync(current);
    await denied(acme, `UNLOAD ('SELECT 1') TO '${current}' ALLOWOVERWRITE`);
    await denied(acme, "UNLOAD ('SELECT 1') TO 'seg-link/x.seg'");
    await denied(acme, `UNLOAD ('SELECT 1') TO '${data}/segments/new.seg'`);
    expect(readFileSync(current)).toEqual(before);
    expect(readdirSync(join(data, 'segments')).some((f) => f.startsWith('new') || f.startsWith('x.'))).toBe(false);
  });

  it('never writes outside the export directory (authorized_keys stays as it was)', async () => {
    const keys = join(outside, '.ssh', 'authorized_keys');
    await denied(acme, `UNLOAD ('SELECT 1') TO '${keys}' ALLOWOVERWRITE`);
    await denied(acme, "UNLOAD ('SELECT 1') TO 'escape/.ssh/authorized_keys' ALLOWOVERWRITE");
    await denied(acme, "UNLOAD ('SELECT 1') TO '../../../../../../tmp/strata-escape.csv'");
    expect(readFileSync(keys, 'utf8')).toBe('ssh-ed25519 AAAA original\n');
  });

  it('answers a missing directory like a forbidden one', async () => {
    const missing = await denied(acme, "UNLOAD ('SELECT 1') TO 'no-such-dir/r.csv'");
    const forbidden = await denied(acme, "UNLOAD ('SELECT 1') TO '../in/r.csv'");
    expect(missing.replace('no-such-dir/r.csv', 'P')).toBe(forbidden.replace('../in/r.csv', 'P'));
  });

  it('writes under the export directory', async () => {
    ok(await acme.sql("UNLOAD ('SELECT a, b FROM t WHERE a = 7') TO 'r.csv' FORMAT CSV"));
    expect(readFileSync(join(root, 'out', 'r.csv'), 'utf8')).toBe('7,seven\n');
    expect(statSync(join(root, 'out', 'r.csv')).isFile()).toBe(true);
  });
});

describe('a directory swapped for a symlink between the check and the open', () => {
  // The seam runs the swap at the one moment that matters: after the policy checked the real
  // directory, before the file is opened. The open must then notice it leads elsewhere.
  const swapAt = (dir: string, to: string) => setBeforeOpenForTests((checked) => {
    if (!checked.startsWith(dir)) return;
    setBeforeOpenForTests(null);
    renameSync(dir, `${dir}-was`);
    symlinkSync(to, dir);
  });
  afterEach(() => setBeforeOpenForTests(null));

  it('COPY and CREATE MODEL read nothing through it', async () => {
    writeFileSync(join(outside, 'stolen.csv'), '9,stolen\n');
    copyFileSync('models/linear_regressor.onnx', join(outside, 'm.onnx'));
    for (const [sql, name] of [["COPY t FROM 'in/race1/stolen.csv'", 'race1'], ["CREATE MODEL raced FUNCTION raced_fn(REAL, REAL) RETURNS REAL FROM 'in/race2/m.onnx'", 'race2']]) {
      const dir = join(root, 'in', name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'stolen.csv'), '8,decoy\n');
      copyFileSync('models/linear_regressor.onnx', join(dir, 'm.onnx'));
      swapAt(dir, outside);
      await denied(acme, sql);
    }
    expect(ok(await acme.sql('SELECT count(*) FROM t WHERE a IN (8, 9)')).execute.rows).toEqual([[0]]);
    expect(code(await acme.sql('SELECT raced_fn(1, 2)'))).toBe('UNDEFINED_FUNCTION');
  });

  it('UNLOAD writes nothing through it (authorized_keys stays as it was)', async () => {
    const keys = join(outside, '.ssh', 'authorized_keys');
    // the swapped directory is a component above the target's own (O_NOFOLLOW alone would miss it)
    const dir = join(root, 'out', 'race3');
    mkdirSync(join(dir, '.ssh'), { recursive: true });
    writeFileSync(join(dir, '.ssh', 'authorized_keys'), 'decoy\n');
    swapAt(dir, outside);
    await denied(acme, "UNLOAD ('SELECT ''ssh-ed25519 AAAA attacker''') TO 'race3/.ssh/authorized_keys' ALLOWOVERWRITE");
    expect(readFileSync(keys, 'utf8')).toBe('ssh-ed25519 AAAA original\n');
    expect(readdirSync(join(outside, '.ssh'))).toEqual(['authorized_keys']);
  });
});

describe('a server without --import-dir / --export-dir', () => {
  it('refuses every local path to API clients', async () => {
    const c = bare.as(await bare.token('acme'));
    ok(await c.sql('CREATE TABLE t (a INT, b VARCHAR(10))'));
    expect(await denied(c, `COPY t FROM '${root}/in/ok.csv'`)).toMatch(/started without --import-dir/);
    expect(await denied(c, `UNLOAD ('SELECT 1') TO '${root}/out/x.csv'`)).toMatch(/started without --export-dir/);
    ok(await bare.admin.sql('CREATE TABLE t (a INT, b VARCHAR(10))'));
    expect(await denied(bare.admin, `COPY t FROM '${root}/in/ok.csv'`)).toMatch(/--import-dir/);
  });
});

describe('the data directory', () => {
  it('is owner-only: the directory 0700 and every file in it 0600', () => {
    expect(statSync(data).mode & 0o777).toBe(0o700);
    const loose = filesUnder(data).filter((f) => (statSync(f).mode & 0o077) !== 0);
    expect(loose.map((f) => relative(data, f))).toEqual([]);
  });
});

describe('error messages', () => {
  it('carry no absolute server paths', async () => {
    // a real file in the import dir that is not valid Parquet: the reader's error goes to the client
    writeFileSync(join(root, 'in', 'bad.parquet'), 'not parquet');
    const r = await acme.sql(`COPY t FROM '${root}/in/bad.parquet' FORMAT PARQUET`);
    expect(code(r)).toBe('BAD_COPY_FILE');
    messages.push(message(r));
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) {
      expect(m).not.toContain(data);
      expect(m).not.toContain(root);
      expect(m).not.toContain(outside);
      expect(m).not.toContain(process.cwd());
    }
  });
});
