// The encoding -> codec table: the one place that dispatches on encoding.
import type { Codec } from './codec.ts';
import type { Encoding } from './encodings.ts';
import { rawCodec } from './codec-raw.ts';
import { dictCodec } from './codec-dict.ts';
import { forCodec } from './codec-for.ts';
import { rleCodec } from './codec-rle.ts';

export const CODECS: Record<Encoding, Codec> = { raw: rawCodec, dict: dictCodec, for: forCodec, rle: rleCodec };

/** True when `name` is an encoding this version can read. */
export function isEncoding(name: string | undefined): name is Encoding {
  return name !== undefined && Object.prototype.hasOwnProperty.call(CODECS, name);
}
