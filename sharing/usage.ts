// The producer-side usage log: one record per shared object a consumer query read. Records are
// appended in memory at once (visible to svl_datashare_usage_producer immediately) and flushed to
// `<data>/sharing/usage.jsonl` in the background, outside catalog transactions: a log entry must
// never make a read-only consumer query commit, conflict or bump the catalog version.
import { appendFile } from 'node:fs/promises';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface UsageRecord {
  /** one id per consumer statement */
  requestId: number;
  producer: string;
  datashare: string;
  consumer: string;
  user: string;
  objectType: 'TABLE';
  /** schema.table in the producer's database */
  object: string;
  rows: number;
  /** ISO time of the query (injectable clock) */
  at: string;
}

export class UsageLog {
  private readonly records: UsageRecord[] = [];
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private nextRequest = 1;

  private constructor(private readonly file: string) {}

  /** Opens the log of a data directory, loading what earlier processes wrote (once, at startup). */
  static open(dataDir: string): UsageLog {
    const dir = join(dataDir, 'sharing');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const log = new UsageLog(join(dir, 'usage.jsonl'));
    let text = '';
    try {
      text = readFileSync(log.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try { log.records.push(JSON.parse(line) as UsageRecord); } catch { /* torn last line after a crash */ }
    }
    for (const r of log.records) log.nextRequest = Math.max(log.nextRequest, r.requestId + 1);
    return log;
  }

  newRequestId(): number {
    return this.nextRequest++;
  }

  append(recs: UsageRecord[]): void {
    if (!recs.length) return;
    this.records.push(...recs);
    if (!this.file) return;
    this.pending.push(...recs.map((r) => JSON.stringify(r) + '\n'));
    this.writing = this.writing.then(() => this.drain()).catch(() => undefined);
  }

  /** The records of one producer's shares, oldest first. */
  forProducer(producer: string): UsageRecord[] {
    return this.records.filter((r) => r.producer === producer);
  }

  /** Waits until every appended record is on disk. */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async drain(): Promise<void> {
    if (!this.pending.length) return;
    const text = this.pending.join('');
    this.pending = [];
    await appendFile(this.file, text, { mode: 0o600 });
  }
}
