// The `rt` object generated code calls: the function library's runtime plus the few helpers
// the executor itself needs (string interning for outputs, interval arithmetic, LIKE).
import { rt as functionsRuntime } from '../functions/runtime.ts';
import { likeMatcher } from '../functions/ops.ts';
import { addMonthsToDays as addMonths } from '../types/calendar.ts';
import { setLikeCompiler } from './codegen.ts';

setLikeCompiler(likeMatcher);

const US_PER_DAY = 86400000000;

export const runtime = {
  ...functionsRuntime,
  /** Returns a function mapping strings to codes in `dict`, appending new ones. */
  interner(dict: string[]): (s: string) => number {
    const index = new Map<string, number>();
    return (s: string) => {
      let c = index.get(s);
      if (c === undefined) { c = dict.length; dict.push(s); index.set(s, c); }
      return c;
    };
  },
  like(s: string, pattern: string, escape: string | null, ci: boolean): boolean {
    return likeMatcher(pattern, escape, ci).test(s);
  },
  dateAddInterval(days: number, months: number, dd: number, _micros: number): number {
    return addMonths(days, months) + dd;
  },
  tsAddInterval(us: number, months: number, dd: number, micros: number): number {
    const day = Math.floor(us / US_PER_DAY);
    const within = us - day * US_PER_DAY;
    return (addMonths(day, months) + dd) * US_PER_DAY + within + micros;
  },
};
