// Types for the parts of s3rver (a dev dependency without its own types) the test servers use.
declare module 's3rver' {
  interface S3rverOptions {
    address?: string; port?: number; silent?: boolean; directory?: string; resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean; vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<import('node:net').AddressInfo>;
    close(): Promise<void>;
    /** s3rver is a Koa app; it emits 'event' with an S3 event notification for each object made or removed. */
    on(event: 'event', listener: (e: never) => void): this;
  }
}
