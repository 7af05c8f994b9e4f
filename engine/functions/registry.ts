// The scalar function registry: name -> overloaded signatures. The binder asks lookupScalar for
// a name and argument types and gets back the result type and a code emitter; overloads are
// tried in the order they are declared (most specific first).
import { SqlError } from '../errors.ts';
import { isInteger, isNullType, isNumeric, isString, isTemporal, kindOf, type SqlType } from '../types/types.ts';
import { errorTypeName } from '../types/values.ts';
import { SCALAR_FUNCTIONS } from './scalar.ts';
import { DATE_FUNCTIONS } from './dates.ts';
import { CONDITIONAL_FUNCTIONS } from './conditional.ts';
import { CONVERSION_FUNCTIONS } from './conversions.ts';

export { emitExtract, extractType } from './dates.ts';

/** What an argument position accepts. NULL-typed arguments match every kind. */
export type ParamKind = 'any' | 'num' | 'int' | 'dbl' | 'str' | 'bool' | 'date' | 'ts' | 'temporal';

export interface Signature {
  params: ParamKind[];
  /** Trailing optional parameters. */
  optional?: ParamKind[];
  /** Repeats after params; `minArgs` bounds the total. */
  variadic?: ParamKind;
  minArgs?: number;
  returns: SqlType | ((types: SqlType[], args: string[]) => SqlType);
  /** JS code for the call; `args` are the argument codes in their own types. */
  emit: (args: string[], types: SqlType[], returnType: SqlType) => string;
  /** false: receives NULLs (COALESCE, NVL...). Default true: the caller returns NULL on any NULL. */
  strict?: boolean;
  /** Result can differ between rows with equal inputs (random): never constant-fold. */
  volatile?: boolean;
  /**
   * One call can take long (a regular expression over long text, ~5 µs per character): never
   * folded while binding, and at the leader evaluated in a slice, so the leader's thread, which
   * answers every client, is not held by it.
   */
  costly?: boolean;
  /**
   * Only passes values on and compares them (COALESCE, GREATEST, DECODE...), so BIGINT and wide
   * DECIMAL values past 2^53 reach it exactly (as bigints) instead of being limited to doubles.
   */
  exact?: boolean;
}

export type FunctionTable = Record<string, Signature[]>;

/** A resolved call: what the binder and the expression compiler need. */
export interface ScalarFunction {
  name: string;
  returnType: SqlType;
  strict: boolean;
  volatile: boolean;
  exact: boolean;
  /** what each argument position accepts ('dbl': the function works on the value's double) */
  argKinds: ParamKind[];
  emit(args: string[]): string;
}

const TABLE: FunctionTable = { ...SCALAR_FUNCTIONS, ...DATE_FUNCTIONS, ...CONDITIONAL_FUNCTIONS, ...CONVERSION_FUNCTIONS };

function accepts(kind: ParamKind, t: SqlType): boolean {
  if (isNullType(t) || kind === 'any') return true;
  switch (kind) {
    case 'num': case 'dbl': return isNumeric(t);
    case 'int': return isInteger(t);
    case 'str': return isString(t);
    case 'bool': return kindOf(t) === 'boolean';
    case 'date': return kindOf(t) === 'date';
    case 'ts': return kindOf(t) === 'timestamp';
    case 'temporal': return isTemporal(t);
  }
}

/** The kind of argument position i of a signature (undefined past its last). */
function kindAt(sig: Signature, i: number): ParamKind | undefined {
  const req = sig.params.length;
  const opt = sig.optional?.length ?? 0;
  return i < req ? sig.params[i] : i < req + opt ? sig.optional![i - req] : sig.variadic;
}

function matches(sig: Signature, types: SqlType[]): boolean {
  const n = types.length;
  const req = sig.params.length;
  const opt = sig.optional?.length ?? 0;
  if (n < Math.max(req, sig.minArgs ?? 0)) return false;
  if (!sig.variadic && n > req + opt) return false;
  for (let i = 0; i < n; i++) {
    const kind = kindAt(sig, i);
    if (!kind || !accepts(kind, types[i])) return false;
  }
  return true;
}

/** True when `name` names a scalar function (any signature). */
export function isScalarFunction(name: string): boolean {
  return Object.hasOwn(TABLE, name.toLowerCase());
}

/** True when a call of `name` may return a different value each time (random): never folded or shared. */
export function isVolatileFunction(name: string): boolean {
  const lname = name.toLowerCase();
  return Object.hasOwn(TABLE, lname) && TABLE[lname].some((sig) => sig.volatile === true);
}

/** Whether a call of `name` can take long (see Signature.costly). */
export function isCostlyFunction(name: string): boolean {
  const lname = name.toLowerCase();
  return Object.hasOwn(TABLE, lname) && TABLE[lname].some((sig) => sig.costly === true);
}

/**
 * Resolves a call, or null when no signature accepts these argument types. `constArgs` holds
 * the JS code of arguments that are constants (undefined elsewhere): some return types depend
 * on them (ROUND(x, 2) is DECIMAL(.., 2)). emit() must then get the same constant codes.
 */
export function lookupScalar(name: string, argTypes: SqlType[], constArgs: (string | undefined)[] = []): ScalarFunction | null {
  const lname = name.toLowerCase();
  const sigs = Object.hasOwn(TABLE, lname) ? TABLE[lname] : undefined;
  const sig = sigs?.find((s) => matches(s, argTypes));
  if (!sig) return null;
  const args = argTypes.map((_, i) => constArgs[i] ?? '');
  const returnType = typeof sig.returns === 'function' ? sig.returns(argTypes, args) : sig.returns;
  return {
    name: lname,
    returnType,
    strict: sig.strict ?? true,
    volatile: sig.volatile ?? false,
    exact: sig.exact ?? false,
    argKinds: argTypes.map((_, i) => kindAt(sig, i)!),
    emit(codes: string[]): string {
      if (codes.length !== argTypes.length) throw new SqlError('INTERNAL_ERROR', `${lname}: expected ${argTypes.length} argument codes`);
      return sig.emit(codes, argTypes, returnType);
    },
  };
}

/** lookupScalar for a call whose argument codes are all known; throws UNDEFINED_FUNCTION when unresolved. */
export function resolveScalar(name: string, argTypes: SqlType[], args: string[]): { fn: ScalarFunction; code: string } {
  const fn = lookupScalar(name, argTypes, args);
  if (!fn) throw functionNotFound(name, argTypes);
  return { fn, code: fn.emit(args) };
}

const KIND_NAME: Record<ParamKind, string> = {
  any: 'any', num: 'numeric', int: 'integer', dbl: 'double precision', str: 'varchar', bool: 'boolean',
  date: 'date', ts: 'timestamp', temporal: 'date|timestamp',
};

/** Human-readable signatures of a function ('substring(varchar, integer[, integer])'). */
export function signaturesOf(name: string): string[] {
  const lname = name.toLowerCase();
  const sigs = Object.hasOwn(TABLE, lname) ? TABLE[lname] : [];
  return sigs.map((s) => {
    let text = s.params.map((k) => KIND_NAME[k]).join(', ');
    for (const k of s.optional ?? []) text += text ? `[, ${KIND_NAME[k]}` : `[${KIND_NAME[k]}`;
    text += ']'.repeat(s.optional?.length ?? 0);
    if (s.variadic) text += `${text ? ', ' : ''}${KIND_NAME[s.variadic]}...`;
    return `${lname}(${text})`;
  });
}

/** The candidate signatures as one string ('' for an unknown name), for error hints. */
export function describeSignatures(name: string): string {
  return signaturesOf(name).join(', ');
}

/** UNDEFINED_FUNCTION error naming the call's argument types and the candidate signatures. */
export function functionNotFound(name: string, argTypes: SqlType[]): SqlError {
  const call = `${name.toLowerCase()}(${argTypes.map((t) => (isNullType(t) ? 'unknown' : errorTypeName(t))).join(', ')})`;
  const candidates = signaturesOf(name);
  const hint = candidates.length ? `; candidates: ${candidates.join(', ')}` : '';
  return new SqlError('UNDEFINED_FUNCTION', `function ${call} does not exist${hint}`);
}

/** Names of all scalar functions (for docs and completion). */
export function scalarFunctionNames(): string[] {
  return Object.keys(TABLE).sort();
}
