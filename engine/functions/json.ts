// JSON_EXTRACT_PATH_TEXT(json, path_elem [, ...] [, null_if_invalid]): Redshift's reader of JSON
// kept in VARCHAR (model explanations and probabilities are returned that way). Up to five path
// elements, case-sensitive keys (array positions as numbers); a missing element gives NULL; text
// that is not JSON is an error unless null_if_invalid is true.
import { SqlError } from '../errors.ts';

/** Redshift's limits: five levels of path, 64 KB of JSON. */
const MAX_PATH = 5;
const MAX_BYTES = 65_536;

export function jsonExtractPathText(json: string | null, path: (string | null)[], nullIfInvalid: boolean | null): string | null {
  if (json === null || path.some((p) => p === null)) return null;
  if (path.length > MAX_PATH) throw new SqlError('INVALID_PARAMETER', `JSON_EXTRACT_PATH_TEXT takes at most ${MAX_PATH} path elements, got ${path.length}`);
  if (json.length > MAX_BYTES) throw new SqlError('INVALID_PARAMETER', `JSON_EXTRACT_PATH_TEXT: the JSON text is larger than 64 KB`);
  let v: unknown;
  try { v = JSON.parse(json); } catch (e) {
    if (nullIfInvalid) return null;
    throw new SqlError('INVALID_PARAMETER', `JSON_EXTRACT_PATH_TEXT: invalid JSON (${(e as Error).message})`);
  }
  for (const p of path as string[]) {
    if (v === null || typeof v !== 'object') return null;
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(p)) return null;
      v = v[Number(p)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(v, p)) return null;
      v = (v as Record<string, unknown>)[p];
    }
    if (v === undefined) return null;
  }
  if (v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}
