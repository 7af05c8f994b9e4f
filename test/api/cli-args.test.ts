// The command line's options that are only parsed here (the rest are exercised by running the CLI).
import { describe, expect, it } from 'vitest';
import { parseArgs, helpFor } from '../../api/cli-args.ts';

describe('strata serve --slice-niceness', () => {
  it('takes 0 to 19 and is documented', () => {
    expect(parseArgs(['serve']).sliceNiceness).toBeUndefined();
    expect(parseArgs(['serve', '--slice-niceness', '0']).sliceNiceness).toBe(0);
    expect(parseArgs(['serve', '--slice-niceness', '19']).sliceNiceness).toBe(19);
    expect(helpFor('serve')).toMatch(/--slice-niceness N/);
  });

  it('refuses anything else, naming the value', () => {
    for (const bad of ['20', '-1', '2.5', 'high', '']) {
      expect(() => parseArgs(['serve', '--slice-niceness', bad])).toThrow(`--slice-niceness must be an integer from 0 to 19, not "${bad}"`);
    }
    expect(() => parseArgs(['serve', '--slice-niceness'])).toThrow('--slice-niceness needs a value');
  });
});
