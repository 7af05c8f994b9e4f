// model.tar.gz: the minimal ustar writer and reader round-trip, and the reader accepts what tar tools write.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTarGz, writeTarGz } from '../../../ml/sagemaker/tar.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('tar', () => {
  it('round-trips files of any size (block boundaries included)', () => {
    const files = [
      { name: 'xgboost-model', data: enc('{"learner":{}}') },
      { name: 'empty', data: new Uint8Array(0) },
      { name: 'dir/exactly-512', data: new Uint8Array(512).fill(7) },
      { name: 'big.bin', data: Uint8Array.from({ length: 70_001 }, (_, i) => i % 251) },
    ];
    const back = readTarGz(writeTarGz(files));
    expect(back.map((f) => f.name)).toEqual(files.map((f) => f.name));
    back.forEach((f, i) => expect(Buffer.from(f.data).equals(Buffer.from(files[i].data))).toBe(true));
  });

  it('reads archives written by the system tar (./ prefixes, directories)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-tar-'));
    try {
      mkdirSync(join(dir, 'src'));
      writeFileSync(join(dir, 'src', 'xgboost-model'), '{"x":1}');
      execFileSync('tar', ['-czf', join(dir, 'model.tar.gz'), '-C', join(dir, 'src'), '.']);
      const files = readTarGz(readFileSync(join(dir, 'model.tar.gz')));
      expect(files.find((f) => f.name === 'xgboost-model')?.data).toEqual(enc('{"x":1}'));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('rejects a corrupt header', () => {
    const t = writeTarGz([{ name: 'a', data: enc('hello') }]);
    const raw = new Uint8Array(gunzipSync(t));
    raw[10] ^= 0xff;
    expect(() => readTarGz(raw)).toThrow(/corrupt tar header/);
  });
});
