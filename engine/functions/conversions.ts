// Redshift's text-to-number and hashing functions: TO_NUMBER(text, format), STRTOL(text, base),
// SHA1/FUNC_SHA1 and SHA2(text, bits). Runtime helpers (exported for `rt`) and their signatures.
import { createHash } from 'node:crypto';
import { SqlError } from '../errors.ts';
import { T } from '../types/types.ts';
import { parseDecimalWide } from '../types/values.ts';
import type { FunctionTable } from './registry.ts';

/** What a TO_NUMBER format says: digits before and after the decimal point. */
export interface NumberFormat { intDigits: number; scale: number }

/** Reads a numeric format: 9 and 0 are digits, D or . the decimal point; G , $ L S MI PR FM are decoration. */
export function numberFormat(fmt: string): NumberFormat {
  let intDigits = 0, scale = 0, afterPoint = false;
  const f = fmt.toUpperCase();
  for (let i = 0; i < f.length; i++) {
    const c = f[i];
    if (c === '9' || c === '0') { if (afterPoint) scale++; else intDigits++; }
    else if (c === 'D' || c === '.') {
      if (afterPoint) throw new SqlError('INVALID_PARAMETER', `to_number format "${fmt}" has two decimal points`);
      afterPoint = true;
    }
  }
  if (intDigits + scale === 0) throw new SqlError('INVALID_PARAMETER', `to_number format "${fmt}" has no digits (9 or 0)`);
  if (intDigits + scale > 38) throw new SqlError('INVALID_PARAMETER', `to_number format "${fmt}" has more than 38 digits`);
  return { intDigits, scale };
}

/** The DECIMAL type TO_NUMBER returns for a format. */
export const toNumberType = (fmt: string) => { const f = numberFormat(fmt); return T.decimal(Math.max(1, f.intDigits + f.scale), f.scale); };

/**
 * TO_NUMBER(text, format) as a DECIMAL scaled by the format's scale: group separators, currency
 * signs and spaces are skipped, a sign may lead or trail (or <> wraps a negative), fraction
 * digits past the format's are dropped (as PostgreSQL), and more integer digits than the format
 * has is an overflow.
 */
export function toNumber(text: string, fmt: string): number | bigint {
  const { intDigits, scale } = numberFormat(fmt);
  let s = text.trim();
  let neg = false;
  if (s.startsWith('<') && s.endsWith('>')) { neg = true; s = s.slice(1, -1); }
  if (s.startsWith('-') || s.startsWith('+')) { neg = s[0] === '-'; s = s.slice(1); }
  else if (s.endsWith('-') || s.endsWith('+')) { neg = s.endsWith('-'); s = s.slice(0, -1); }
  s = s.replace(/[\s,$]/g, '');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw new SqlError('INVALID_TEXT_REPRESENTATION', `invalid input syntax for type numeric: "${text}"`);
  const int = m[1].replace(/^0+/, '');
  if (int.length > intDigits) throw new SqlError('NUMERIC_OVERFLOW', `value "${text}" has more integer digits than format "${fmt}"`);
  const frac = (m[2] ?? '').slice(0, scale);
  return parseDecimalWide(`${neg ? '-' : ''}${int || '0'}.${frac || '0'}`, scale, Math.max(1, intDigits + scale));
}

/** STRTOL(text, base): an integer written in base 2..36 (a 0x prefix allowed in base 16). */
export function strtol(text: string, base: number): number {
  if (!Number.isInteger(base) || base < 2 || base > 36) throw new SqlError('INVALID_PARAMETER', `strtol base must be between 2 and 36, not ${base}`);
  let s = text.trim();
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) { neg = s[0] === '-'; s = s.slice(1); }
  if (base === 16 && /^0x/i.test(s)) s = s.slice(2);
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, base);
  if (s === '' || [...s.toLowerCase()].some((c) => !digits.includes(c))) {
    throw new SqlError('INVALID_TEXT_REPRESENTATION', `invalid digits for base ${base}: "${text}"`);
  }
  const v = parseInt(s, base);
  if (!Number.isSafeInteger(v)) throw new SqlError('NUMERIC_OVERFLOW', `strtol value "${text}" is out of the exact BIGINT range`);
  return neg ? -v : v;
}

const SHA2_BITS: Record<number, string> = { 0: 'sha256', 224: 'sha224', 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** SHA2(text, bits): the hex digest; bits is 0 (= 256), 224, 256, 384 or 512. */
export function sha2(s: string, bits: number): string {
  const alg = SHA2_BITS[bits];
  if (!alg) throw new SqlError('INVALID_PARAMETER', `sha2 bits must be 0, 224, 256, 384 or 512, not ${bits}`);
  return createHash(alg).update(s, 'utf8').digest('hex');
}

export function sha1(s: string): string {
  return createHash('sha1').update(s, 'utf8').digest('hex');
}

/** JSON string literal code -> its value, for return types that depend on a constant format. */
const constString = (code: string | undefined): string | undefined => (code && /^"/.test(code) ? (JSON.parse(code) as string) : undefined);

export const CONVERSION_FUNCTIONS: FunctionTable = {
  to_number: [{
    params: ['str', 'str'],
    // the format decides the result's precision and scale, so it must be a constant
    returns: (_types, args) => {
      const fmt = constString(args[1]);
      if (fmt === undefined) throw new SqlError('INVALID_PARAMETER', 'the to_number format must be a constant string');
      return toNumberType(fmt);
    },
    emit: ([s, f]) => `rt.toNumber(${s}, ${f})`,
  }],
  strtol: [{ params: ['str', 'int'], returns: T.bigint, emit: ([s, b]) => `rt.strtol(${s}, ${b})` }],
  sha2: [{ params: ['str', 'int'], returns: T.varchar, emit: ([s, b]) => `rt.sha2(${s}, ${b})` }],
  sha1: [{ params: ['str'], returns: { id: 'VARCHAR', length: 40 }, emit: ([s]) => `rt.sha1(${s})` }],
  func_sha1: [{ params: ['str'], returns: { id: 'VARCHAR', length: 40 }, emit: ([s]) => `rt.sha1(${s})` }],
  sha: [{ params: ['str'], returns: { id: 'VARCHAR', length: 40 }, emit: ([s]) => `rt.sha1(${s})` }],
};
