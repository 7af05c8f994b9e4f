// EXPORT MODEL / IMPORT MODEL: a trained model (preprocessing in the graph) goes from one data
// directory to another, locally and through S3, with identical predictions and its metadata;
// models made by scikit-learn and XGBoost (models/build_converted_fixtures.py) import with the
// libraries' own predictions; bad paths, tampered files and bad metadata fail clearly.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../../../engine/database.ts';
import { setBeforeOpenForTests } from '../../../engine/session/file-access.ts';
import { extension } from '../../../ml/extension.ts';
import { S3_CREDENTIALS, type S3Server, startS3Server } from '../../servers/s3-server.ts';
import { type TestDb, makePoints, openDb } from './helpers.ts';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'strata-export-'));
const ENV = ['STRATA_S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

let a: TestDb, b: TestDb, s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server(['exports']);
  Object.assign(process.env, { STRATA_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey });
  a = await openDb();
  b = await openDb();
  await makePoints(a);
  await makePoints(b);
  await a.s.execute('SET ml_wait_for_training TO on');
  await a.s.execute('CREATE MODEL clf FROM (SELECT x1, x2, cat, label FROM pts) TARGET label FUNCTION clf_fn AUTO OFF MODEL_TYPE LINEAR_LEARNER SETTINGS (SEED 3)');
  await a.s.execute('CREATE MODEL clf FROM (SELECT x1, x2, cat, label FROM pts WHERE id < 200) TARGET label FUNCTION clf_fn AUTO OFF MODEL_TYPE XGBOOST SETTINGS (SEED 3)');
}, 120_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await s3?.close();
  rmSync(out, { recursive: true, force: true });
  for (const k of ENV) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
});

const PREDICT = 'SELECT id, clf_fn(x1, x2, cat), clf_fn_prob(x1, x2, cat) FROM pts ORDER BY id';
const PREDICT_V1 = PREDICT.replace('clf_fn(', 'clf_fn@1(').replace('clf_fn_prob(', 'clf_fn_prob@1(');

describe('between two data directories', () => {
  it('exports a version to one ONNX file plus metadata, and imports it with identical predictions', async () => {
    const file = join(out, 'clf_v1.onnx');
    await a.s.execute(`EXPORT MODEL clf VERSION 1 TO '${file}'`);
    const meta = JSON.parse(readFileSync(join(out, 'clf_v1.json'), 'utf8'));
    expect(meta).toMatchObject({
      format: 'strata-model', formatVersion: 1, model: 'clf', version: 1, function: 'clf_fn',
      signature: { args: [{ name: 'x1', type: 'REAL' }, { name: 'x2', type: 'REAL' }, { name: 'cat', type: 'VARCHAR(5)' }], returns: 'INTEGER' },
      labels: [0, 1], proba: true, modelType: 'LINEAR_LEARNER', problemType: 'BINARY_CLASSIFICATION', objective: 'F1',
      target: 'label', query: expect.stringMatching(/SELECT x1, x2, cat, label FROM pts/i), settings: { SEED: '3' },
      hyperparameters: expect.objectContaining({ epochs: expect.any(String) }),
      preprocessing: expect.arrayContaining([expect.objectContaining({ column: 'cat', transform: expect.stringMatching(/one-hot/) })]),
      onnxSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(meta.validationScore).toBeGreaterThan(0.9);

    await b.s.execute(`IMPORT MODEL clf FROM '${file}'`);
    expect(await b.rows(PREDICT)).toEqual(await a.rows(PREDICT_V1));
    const shown = await b.show('clf');
    expect(shown).toMatchObject({ 'Model State': 'READY', 'Model Type': 'LINEAR_LEARNER', 'Function Name': 'clf_fn', Source: file, Settings: 'SEED=3' });
    expect(shown['Validation Score']).toMatch(/^F1 0\.9/);
    expect(shown.Query).toMatch(/SELECT x1, x2, cat, label FROM pts/i);
  }, 60_000);

  it('imports as the next version of an existing model; the current version exports by default', async () => {
    const file = join(out, 'clf_current.onnx');
    await a.s.execute(`EXPORT MODEL clf TO '${file}'`);
    expect(JSON.parse(readFileSync(join(out, 'clf_current.json'), 'utf8'))).toMatchObject({ version: 2, modelType: 'XGBOOST' });
    await b.s.execute(`IMPORT MODEL clf FROM '${file}'`);
    expect((await b.rows('SHOW MODEL clf VERSIONS')).map((r) => [r[0], r[2], r[4]])).toEqual([[1, false, 'LINEAR_LEARNER'], [2, true, 'XGBOOST']]);
    expect(await b.rows(PREDICT)).toEqual(await a.rows(PREDICT));
  }, 60_000);

  it('round-trips through S3', async () => {
    await a.s.execute(`EXPORT MODEL clf VERSION 2 TO 's3://exports/team/clf.onnx'`);
    await b.s.execute(`IMPORT MODEL clf2 FROM 's3://exports/team/clf.onnx' FUNCTION clf2_fn`);
    expect(await b.rows(PREDICT.replace(/clf_fn/g, 'clf2_fn'))).toEqual(await a.rows(PREDICT));
    const e = await b.error(`IMPORT MODEL clf3 FROM 's3://exports/nothing/here.onnx' FUNCTION clf3_fn`);
    expect(e).toEqual({ code: 'UNDEFINED_OBJECT', message: expect.stringMatching(/cannot read 's3:\/\/exports\/nothing\/here\.json': no such object/) });
  }, 60_000);
});

describe('models made by scikit-learn and XGBoost', () => {
  const fixtures = JSON.parse(readFileSync(join(MODELS, 'converted_fixtures.json'), 'utf8')) as Record<string, { file: string; rows: number[][]; expected: number[]; probabilities?: number[][] }>;
  for (const [name, f] of Object.entries(fixtures)) {
    it(`${name} predicts what the library predicted`, async () => {
      const meta = JSON.parse(readFileSync(join(MODELS, `${name}.json`), 'utf8'));
      await b.s.execute(`IMPORT MODEL ${name} FROM '${join(MODELS, f.file)}'`);
      const cols = meta.signature.args.map((x: { name: string }) => x.name);
      await b.s.execute(`CREATE TABLE in_${name} (id INTEGER, ${cols.map((c: string) => `${c} REAL`).join(', ')});
        INSERT INTO in_${name} VALUES ${f.rows.map((r, i) => `(${i}, ${r.join(', ')})`).join(', ')}`);
      const got = await b.rows(`SELECT ${meta.function}(${cols.join(', ')}) FROM in_${name} ORDER BY id`);
      if (meta.problemType === 'REGRESSION') {
        got.forEach((r, i) => expect(Number(r[0])).toBeCloseTo(f.expected[i], 3));
      } else {
        expect(got.map((r) => r[0])).toEqual(f.expected);
        const probs = await b.rows(`SELECT ${meta.function}_prob(${cols.join(', ')}) FROM in_${name} ORDER BY id`);
        probs.forEach((r, i) => JSON.parse(r[0] as string).probabilities.forEach((p: number, j: number) => expect(p).toBeCloseTo(f.probabilities![i][j], 5)));
      }
      expect((await b.show(name))['Model Type']).toBe(meta.modelType);
    }, 60_000);
  }
});

describe('what export and import refuse', () => {
  it('never overwrites, stays out of the data directory, wants .onnx', async () => {
    const file = join(out, 'clf_v1.onnx');
    const cases: [string, string, RegExp][] = [
      [`EXPORT MODEL clf TO '${file}'`, 'DUPLICATE_OBJECT', /the file exists \(EXPORT MODEL never overwrites\)/],
      [`EXPORT MODEL clf TO '${join(a.dir, 'models', 'x.onnx')}'`, 'PERMISSION_DENIED', /EXPORT MODEL may not open ".*x\.json" for writing: it is inside the data directory/],
      [`EXPORT MODEL clf TO '${join(out, 'clf.txt')}'`, 'INVALID_PARAMETER', /must name an \.onnx file/],
      [`EXPORT MODEL clf TO '${join(out, 'no', 'dir.onnx')}'`, 'BAD_COPY_FILE', /EXPORT MODEL could not open file ".*dir\.json" for writing: its directory does not exist/],
      [`EXPORT MODEL clf VERSION 9 TO '${join(out, 'v9.onnx')}'`, 'UNDEFINED_OBJECT', /has no version 9/],
      [`EXPORT MODEL nosuch TO '${join(out, 'n.onnx')}'`, 'UNDEFINED_OBJECT', /model "nosuch" does not exist/],
      [`EXPORT MODEL clf TO 'http://example.com/x.onnx'`, 'FEATURE_NOT_SUPPORTED', /only local paths and s3/],
    ];
    for (const [sql, code, message] of cases) expect({ sql, ...(await a.error(sql)) }).toEqual({ sql, code, message: expect.stringMatching(message) });
    expect(existsSync(join(out, 'v9.onnx'))).toBe(false);
  });

  it('writes and reads nothing through a directory swapped for a symlink after the check', async () => {
    // the swap runs at the seam between the policy check and the open; the swapped component is
    // above the file's own directory, so only verifying the opened descriptor catches it
    const swapAt = (dir: string, to: string) => setBeforeOpenForTests((checked) => {
      if (!checked.startsWith(dir)) return;
      setBeforeOpenForTests(null);
      renameSync(dir, `${dir}-was`);
      symlinkSync(to, dir);
    });
    try {
      const elsewhere = mkdtempSync(join(tmpdir(), 'strata-elsewhere-'));
      for (const d of [join(out, 'race', 'sub'), join(elsewhere, 'sub')]) mkdirSync(d, { recursive: true });
      swapAt(join(out, 'race'), elsewhere);
      expect(await a.error(`EXPORT MODEL clf TO '${join(out, 'race', 'sub', 'm.onnx')}'`)).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/the path changed while it was being opened/) });
      expect(readdirSync(join(elsewhere, 'sub'))).toEqual([]);
      // an import: the checked directory holds one model, the swapped-in one another
      mkdirSync(join(out, 'race2', 'sub'), { recursive: true });
      await a.s.execute(`EXPORT MODEL clf TO '${join(out, 'race2', 'sub', 'm.onnx')}'`);
      await a.s.execute(`EXPORT MODEL clf TO '${join(elsewhere, 'sub', 'm.onnx')}'`);
      swapAt(join(out, 'race2'), elsewhere);
      expect(await b.error(`IMPORT MODEL raced FROM '${join(out, 'race2', 'sub', 'm.onnx')}'`)).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/the path changed while it was being opened/) });
      rmSync(elsewhere, { recursive: true, force: true });
    } finally {
      setBeforeOpenForTests(null);
    }
  });

  it('checks the files it imports: hash, metadata fields, signature against the graph', async () => {
    const src = join(out, 'clf_v1');
    const variant = (name: string, change: (m: Record<string, unknown>) => void, onnx?: Uint8Array) => {
      const m = JSON.parse(readFileSync(`${src}.json`, 'utf8'));
      change(m);
      writeFileSync(join(out, `${name}.json`), JSON.stringify(m));
      writeFileSync(join(out, `${name}.onnx`), onnx ?? readFileSync(`${src}.onnx`));
      return `IMPORT MODEL ${name} FROM '${join(out, `${name}.onnx`)}' FUNCTION ${name}_fn`;
    };
    const tampered = new Uint8Array(readFileSync(`${src}.onnx`));
    tampered[tampered.length - 1] ^= 1;
    const cases: [string, string, RegExp][] = [
      [variant('t1', () => undefined, tampered), 'INVALID_PARAMETER', /does not match its metadata's onnxSha256/],
      [variant('t2', (m) => { m.format = 'other'; }), 'INVALID_PARAMETER', /t2\.json': "format" must be "strata-model"/],
      [variant('t3', (m) => { (m.signature as { args: { type: string }[] }).args[1].type = 'NOPE'; }), 'INVALID_PARAMETER', /"signature\.args\[1\]\.type" "NOPE" is not a SQL type/],
      [variant('t4', (m) => { (m.signature as { args: unknown[] }).args.pop(); }), 'DATATYPE_MISMATCH', /t4\.onnx: model does not match the function signature/],
      [variant('t5', (m) => { m.validationScore = 'high'; }), 'INVALID_PARAMETER', /"validationScore" must be a number/],
      [variant('t6', (m) => { m.function = 'x; drop'; }), 'INVALID_PARAMETER', /"function" "x; drop" is not a function name/],
      [`IMPORT MODEL t7 FROM '${join(out, 'missing.onnx')}' FUNCTION t7_fn`, 'UNDEFINED_OBJECT', /IMPORT MODEL could not open file ".*missing\.json" for reading: no such file/],
      [`IMPORT MODEL t8 FROM '${join(b.dir, 'models', 'x.onnx')}' FUNCTION t8_fn`, 'PERMISSION_DENIED', /inside the data directory/],
      [`IMPORT MODEL clf FROM '${src}.onnx' FUNCTION other_fn`, 'INVALID_PARAMETER', /model "clf" has function clf_fn/],
    ];
    for (const [sql, code, message] of cases) expect({ sql, ...(await b.error(sql)) }).toEqual({ sql, code, message: expect.stringMatching(message) });
    expect((await b.rows('SHOW MODEL ALL')).map((r) => r[1]).filter((n) => String(n).startsWith('t'))).toEqual([]);
  });

  it('a server reads only under --import-dir and writes only under --export-dir', async () => {
    const imports = mkdtempSync(join(out, 'in-')), exports = mkdtempSync(join(out, 'out-'));
    for (const ext of ['onnx', 'json']) writeFileSync(join(imports, `clf.${ext}`), readFileSync(join(out, `clf_v1.${ext}`)));
    const dir = mkdtempSync(join(tmpdir(), 'strata-restricted-'));
    const db = await Database.open({ dataDir: dir, slices: 1, files: { mode: 'restricted', importDirs: [imports], exportDirs: [exports] } });
    db.use(extension(db));
    const s = db.connect();
    const code = async (sql: string) => { try { await s.execute(sql); return 'ok'; } catch (e) { return `${(e as { code: string }).code}: ${(e as Error).message}`; } };
    try {
      expect(await code(`IMPORT MODEL clf FROM '${join(out, 'clf_v1.onnx')}'`)).toMatch(/^PERMISSION_DENIED: IMPORT MODEL could not open file .* not under an --import-dir/);
      expect(await code(`IMPORT MODEL clf FROM 'clf.onnx'`)).toBe('ok');
      expect(await code(`EXPORT MODEL clf TO '${join(out, 'escaped.onnx')}'`)).toMatch(/^PERMISSION_DENIED: EXPORT MODEL could not open file .* not under an --export-dir/);
      expect(await code(`EXPORT MODEL clf TO '../${basename(imports)}/again.onnx'`)).toMatch(/^PERMISSION_DENIED/);
      expect(await code(`EXPORT MODEL clf TO 'clf.onnx'`)).toBe('ok');
      expect(readdirSync(exports).sort()).toEqual(['clf.json', 'clf.onnx']);
      expect(existsSync(join(out, 'escaped.onnx')) || existsSync(join(imports, 'again.onnx'))).toBe(false);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exports only for the owner; imports need CREATE MODEL', async () => {
    await a.s.execute(`CREATE USER eve PASSWORD 'Secret123'; GRANT EXECUTE ON MODEL clf TO eve`);
    const eve = a.db.connect({ user: 'eve' });
    const code = async (sql: string) => { try { await eve.execute(sql); return 'ok'; } catch (e) { return (e as { code: string }).code; } };
    expect(await code(`EXPORT MODEL clf TO '${join(out, 'eve.onnx')}'`)).toBe('PERMISSION_DENIED');
    expect(await code(`IMPORT MODEL mine FROM '${join(out, 'clf_v1.onnx')}' FUNCTION mine_fn`)).toBe('PERMISSION_DENIED');
    expect(existsSync(join(out, 'eve.onnx'))).toBe(false);
  });
});
