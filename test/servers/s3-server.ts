// A local S3 for tests: s3rver on 127.0.0.1 (free port) over a temporary directory, with buckets made up front.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver checks signatures against this account; any client using it is "authenticated". */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  endpoint: string;
  /** Objects made so far, as 'ObjectCreated:Put bucket/key' (one PutObject) or 'ObjectCreated:Post bucket/key' (a completed multipart upload). */
  created: string[];
  /** Parts s3rver holds for multipart uploads of `bucket` not completed (s3rver keeps an aborted upload's parts). */
  partsHeld(bucket: string): number;
  close(): Promise<void>;
}

export async function startS3Server(buckets: string[]): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'strata-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const created: string[] = [];
  server.on('event', (e: { Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string } } }[] }) => {
    for (const r of e.Records) if (r.eventName.startsWith('ObjectCreated')) created.push(`${r.eventName} ${r.s3.bucket.name}/${r.s3.object.key}`);
  });
  const info = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${info.port}`,
    created,
    partsHeld: (bucket) => {
      const uploads = join(directory, bucket, '._S3rver_uploads');
      if (!existsSync(uploads)) return 0;
      return readdirSync(uploads).reduce((n, id) => n + readdirSync(join(uploads, id)).filter((f) => /^\d+$/.test(f)).length, 0);
    },
    close: async () => { await server.close(); rmSync(directory, { recursive: true, force: true }); },
  };
}
