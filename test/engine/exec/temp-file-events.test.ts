// Spill files are announced on TEMP_FILES_CHANNEL only when TEMP_FILES_ENV is set (the test
// support sets it): a server nobody watches sends nothing per file. Messages from one thread
// arrive in order, so a file made before the switch is known unannounced once the next one's
// message is in, with no wait for something not to happen.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { MemoryBudget } from '../../../engine/exec/memory-budget.ts';
import { StatementSpill, TEMP_FILES_CHANNEL, TEMP_FILES_ENV } from '../../../engine/exec/spill/spill-area.ts';

const root = mkdtempSync(join(tmpdir(), 'strata-temp-events-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('announces a spill file only while the process asks for it', async () => {
  const was = process.env[TEMP_FILES_ENV];
  const channel = new BroadcastChannel(TEMP_FILES_CHANNEL);
  const heard: string[] = [];
  const spill = new StatementSpill(root, new MemoryBudget(2 ** 20));
  try {
    const second = new Promise<void>((resolve) => {
      channel.onmessage = (e) => {
        const path = String((e as { data: unknown }).data);
        if (!path.startsWith(root)) return;
        heard.push(path);
        if (heard.length === 1) resolve();
      };
    });
    delete process.env[TEMP_FILES_ENV];
    spill.create('unwatched');
    process.env[TEMP_FILES_ENV] = '1';
    const loud = spill.create('watched');
    await second;
    expect(heard).toEqual([loud.path]);
  } finally {
    if (was === undefined) delete process.env[TEMP_FILES_ENV]; else process.env[TEMP_FILES_ENV] = was;
    spill.dispose();
    channel.close();
  }
});
