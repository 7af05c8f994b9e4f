// Where EXPORT MODEL writes and IMPORT MODEL reads: a local file or an S3 object, the ONNX graph
// with its metadata JSON beside it (`m.onnx` + `m.json`). Local paths go through the server's
// file-access policy (ctx.files: the one-shot CLI's own files, or a server's --import-dir /
// --export-dir; never the data directory), and EXPORT never overwrites an existing file. S3 goes
// through the SDK's credential chain and STRATA_S3_ENDPOINT, like TRAINER 'sagemaker'; the SDK
// loads only when a statement names s3://.
import { open, readFile, unlink } from 'node:fs/promises';
import { SqlError } from '../../engine/errors.ts';
import { CREATE_NEW, type FileAccess, type OpenedDir } from '../../engine/session/file-access.ts';
import type { StatementContext } from '../../engine/session/context.ts';
import type * as A from '../../engine/sql/ast.ts';

/**
 * One file: a local path (checked by the policy now, and opened through it again race-free when
 * read or written) or an S3 object, plus how errors name it.
 */
export type Place = { kind: 'local'; shown: string; files: FileAccess; what: string } | { kind: 's3'; bucket: string; key: string; shown: string };

/** Graphs above this size are refused before reading (a model this size is a mistake or an attack). */
export const MAX_ONNX_BYTES = 1 << 30;
const MAX_JSON_BYTES = 16 << 20;

/** The ONNX file and its metadata JSON named by a statement's path ('x.onnx' -> 'x.json'). */
export function modelPlaces(ctx: StatementContext, raw: string, direction: 'read' | 'write', pos: A.Pos): { onnx: Place; meta: Place } {
  if (!/\.onnx$/i.test(raw)) throw new SqlError('INVALID_PARAMETER', `'${raw}' must name an .onnx file (its metadata is the .json file beside it)`, pos);
  const metaRaw = raw.replace(/\.onnx$/i, '.json');
  if (/^s3:\/\//i.test(raw)) return { onnx: s3Place(raw, pos), meta: s3Place(metaRaw, pos) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new SqlError('FEATURE_NOT_SUPPORTED', `only local paths and s3:// URIs are supported, not '${raw}'`, pos);
  const what = direction === 'read' ? 'IMPORT MODEL' : 'EXPORT MODEL';
  const check = (given: string): Place => {
    if (direction === 'read') ctx.files.readable(given, what, pos, 'UNDEFINED_OBJECT');
    else ctx.files.writable(given, what, pos);
    return { kind: 'local', shown: given, files: ctx.files, what };
  };
  // the metadata first: it names what is wrong with an import before the (larger) graph is read
  const meta = check(metaRaw);
  return { onnx: check(raw), meta };
}

function s3Place(uri: string, pos: A.Pos): Place {
  const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(uri);
  if (!m) throw new SqlError('INVALID_PARAMETER', `'${uri}' is not an S3 URI of the form s3://bucket/key.onnx`, pos);
  return { kind: 's3', bucket: m[1], key: m[2], shown: uri };
}

/** Reads a place whole, refusing more than `limit` bytes. */
export async function readPlace(p: Place, pos: A.Pos, limit = p.shown.toLowerCase().endsWith('.json') ? MAX_JSON_BYTES : MAX_ONNX_BYTES): Promise<Uint8Array> {
  if (p.kind === 'local') {
    const file = p.files.openRead(p.shown, p.what, pos, 'UNDEFINED_OBJECT');
    try {
      if (file.size > limit) throw new SqlError('INVALID_PARAMETER', `'${p.shown}' is ${file.size} bytes, more than the ${limit} allowed`, pos);
      return new Uint8Array(await readFile(file.path));
    } catch (e) {
      if (e instanceof SqlError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new SqlError('UNDEFINED_OBJECT', `cannot read '${p.shown}': ${code === 'ENOENT' ? 'no such file' : code ?? (e as Error).message}`, pos);
    } finally {
      file.close();
    }
  }
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { awsError, connect } = await import('../sagemaker/aws.ts');
  const aws = connect({});
  try {
    const r = await aws.s3.send(new GetObjectCommand({ Bucket: p.bucket, Key: p.key }));
    if ((r.ContentLength ?? 0) > limit) throw new SqlError('INVALID_PARAMETER', `'${p.shown}' is ${r.ContentLength} bytes, more than the ${limit} allowed`, pos);
    return await r.Body!.transformToByteArray();
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchKey') throw new SqlError('UNDEFINED_OBJECT', `cannot read '${p.shown}': no such object`, pos);
    throw withPos(awsError(e, `reading ${p.shown}`, aws.s3Endpoint, 'STRATA_S3_ENDPOINT'), pos);
  } finally {
    aws.s3.destroy();
    aws.sm.destroy();
  }
}

/** Writes both files; a local file that exists is an error and nothing is written over it. */
export async function writePlaces(files: [Place, Uint8Array][], pos: A.Pos): Promise<void> {
  const local = files.filter(([p]) => p.kind === 'local') as [Extract<Place, { kind: 'local' }>, Uint8Array][];
  const written: string[] = [];
  const dirs: OpenedDir[] = [];
  try {
    for (const [p, bytes] of local) {
      // created new in the verified directory, never through a link
      const dir = p.files.openDirForWrite(p.shown, p.what, pos);
      dirs.push(dir);
      let fh;
      try {
        fh = await open(dir.path, CREATE_NEW, 0o644);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new SqlError(code === 'EEXIST' ? 'DUPLICATE_OBJECT' : 'INVALID_PARAMETER', `cannot write '${p.shown}': ${code === 'EEXIST' ? 'the file exists (EXPORT MODEL never overwrites)' : code === 'ENOENT' ? 'no such directory' : code ?? (e as Error).message}`, pos);
      }
      written.push(dir.path);
      try { await fh.writeFile(bytes); await fh.sync(); } finally { await fh.close(); }
    }
  } catch (e) {
    for (const w of written) await unlink(w).catch(() => undefined);
    throw e;
  } finally {
    for (const d of dirs) d.close();
  }
  const remote = files.filter(([p]) => p.kind === 's3') as [Extract<Place, { kind: 's3' }>, Uint8Array][];
  if (!remote.length) return;
  const { PutObjectCommand } = await import('@aws-sdk/client-s3');
  const { awsError, connect } = await import('../sagemaker/aws.ts');
  const aws = connect({});
  try {
    for (const [p, bytes] of remote) {
      try {
        await aws.s3.send(new PutObjectCommand({ Bucket: p.bucket, Key: p.key, Body: bytes, ContentType: p.key.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
      } catch (e) {
        throw withPos(awsError(e, `writing ${p.shown}`, aws.s3Endpoint, 'STRATA_S3_ENDPOINT'), pos);
      }
    }
  } finally {
    aws.s3.destroy();
    aws.sm.destroy();
  }
}

function withPos(e: SqlError, pos: A.Pos): SqlError {
  return new SqlError(e.code, e.message, pos);
}
