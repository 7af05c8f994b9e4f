// Test helpers: turn literal values into argument code and evaluate emitted code.
import { createRuntime, evalEmitted } from '../../../engine/functions/runtime.ts';
import { resolveScalar } from '../../../engine/functions/registry.ts';
import type { SqlType } from '../../../engine/types/types.ts';
import { formatValue, parseValue, type PhysicalValue } from '../../../engine/types/values.ts';

/** JS code for a physical literal value. */
export function lit(v: PhysicalValue | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Object.is(v, -0) || v < 0 ? `(${v})` : String(v);
  return JSON.stringify(v);
}

export const NOW = parseValue({ id: 'TIMESTAMP' }, '2024-03-05 14:07:09.123456') as number;
const runtime = createRuntime(NOW);

export const run = (code: string): unknown => evalEmitted(code, runtime);

/** An argument given as SQL text of its type (parsed like a literal) or a raw physical value. */
export type Arg = [SqlType, string | number | boolean | null];

export function argCode([t, v]: Arg): string {
  if (v === null) return 'null';
  if (typeof v === 'string' && t.id !== 'VARCHAR' && t.id !== 'CHAR') return lit(parseValue(t, v));
  return lit(v as PhysicalValue);
}

/** Calls a registered function on literal args; returns the formatted result and its type. */
export function callFn(name: string, ...args: Arg[]): { value: unknown; type: SqlType } {
  const { fn, code } = resolveScalar(name, args.map((a) => a[0]), args.map(argCode));
  const raw = run(code) as PhysicalValue | null;
  return { value: formatValue(fn.returnType, raw), type: fn.returnType };
}

/** Just the formatted value. */
export const fnValue = (name: string, ...args: Arg[]) => callFn(name, ...args).value;
