// Column encoding names: Strata's four physical encodings and the Redshift ENCODE names that map to them.
import { SqlError } from '../errors.ts';

/** A physical column encoding inside a segment file. */
export type Encoding = 'raw' | 'dict' | 'for' | 'rle';

const NAMES: Record<string, Encoding | 'auto'> = {
  RAW: 'raw',
  BYTEDICT: 'dict', TEXT255: 'dict', TEXT32K: 'dict', DICT: 'dict',
  DELTA: 'for', DELTA32K: 'for', MOSTLY8: 'for', MOSTLY16: 'for', MOSTLY32: 'for', AZ64: 'for', FOR: 'for',
  RUNLENGTH: 'rle', RLE: 'rle',
  LZO: 'auto', ZSTD: 'auto', AUTO: 'auto',
};

/**
 * Resolves a requested encoding (Redshift ENCODE name or a Strata name, any case; undefined means
 * automatic) to a Strata encoding or 'auto'. Compression codecs (LZO, ZSTD) become 'auto'.
 */
export function resolveEncodingName(name: string | undefined): Encoding | 'auto' {
  if (name === undefined) return 'auto';
  const e = NAMES[name.toUpperCase()];
  if (e === undefined) throw new SqlError('INVALID_PARAMETER', `unknown column encoding "${name}"`);
  return e;
}
