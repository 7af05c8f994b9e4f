// GraphiQL offline in a real headless browser (Debian's chromium via puppeteer-core): every
// request to anything but this server is blocked, the page still renders, the token field
// fills the Authorization header and is remembered, a query runs and shows its rows.
// Screenshot: test-output/graphiql.png. Skips with a message only when chromium is missing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startServer, type RunningServer } from '../../api/server.ts';
import { tempDir } from './helpers.ts';
import { TOKEN_KEY } from '../../api/graphiql.ts';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED GraphiQL browser test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

const QUERY = '{ query(sql: "SELECT id, name FROM fruit ORDER BY id") { columns { name } rows } }';

describe.skipIf(!hasChromium)('GraphiQL offline', () => {
  let server: RunningServer;
  let browser: Browser;
  let profile: string;
  let tmp: { dir: string; remove(): void };
  const offsite: string[] = [];

  beforeAll(async () => {
    tmp = tempDir('strata-graphiql-');
    server = await startServer({ dataDir: tmp.dir, port: 0, host: '127.0.0.1', slices: 1 });
    const session = server.services.db.connect({});
    await session.execute("create table fruit (id int, name varchar(10)); insert into fruit values (1, 'apple'), (2, 'banana'), (3, 'cherry')");
    await session.close();
    profile = mkdtempSync(join(tmpdir(), 'strata-chromium-'));
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    tmp?.remove();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A page whose requests may reach this server (and data:/blob: URLs) only. */
  async function offlinePage(): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720 });
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.protocol === 'data:' || url.protocol === 'blob:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost') void r.continue();
      else { offsite.push(r.url()); void r.abort('internetdisconnected'); }
    });
    return page;
  }

  it('renders without the network, runs a query with the token from the field, and remembers it', async () => {
    const page = await offlinePage();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('#strata-token');
    await page.waitForSelector('.graphiql-execute-button', { timeout: 60_000 });
    // entering the token makes GraphiQL introspect again, now authorized
    const introspected = page.waitForResponse((r) => r.url() === server.url && (r.request().postData() ?? '').includes('IntrospectionQuery') && r.status() === 200);
    await page.type('#strata-token', server.adminToken!);
    await page.keyboard.press('Tab');
    await introspected;
    expect(await page.evaluate((k) => localStorage.getItem(k), TOKEN_KEY)).toBe(server.adminToken);
    // type the query into the editor (Monaco closes brackets and quotes; typing over them is fine)
    await page.click('[aria-label="Operation Editor"]');
    await page.keyboard.down('Control'); await page.keyboard.press('KeyA'); await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(QUERY);

    const answered = page.waitForResponse((r) => r.url() === server.url && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('fruit'));
    await page.click('.graphiql-execute-button');
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toBe(`Bearer ${server.adminToken}`);
    const body = await response.json();
    expect(body.data.query.rows).toEqual([[1, 'apple'], [2, 'banana'], [3, 'cherry']]);
    // the result pane shows the rows
    await page.waitForFunction(() => /cherry/.test(document.querySelector('[aria-label="Result Window"]')?.textContent ?? ''), { timeout: 30_000 });
    await page.click('[aria-label="Operation Editor"]');
    await page.keyboard.press('Home');
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/graphiql.png' });

    // a reload keeps the token
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#strata-token');
    expect(await page.$eval('#strata-token', (e) => (e as HTMLInputElement).value)).toBe(server.adminToken);
    expect(offsite).toEqual([]);
    await page.close();
  });

  it('without a token the page still loads and the API answers 401', async () => {
    const page = await offlinePage();
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('#strata-token');
    await page.click('#strata-token-forget');
    const status = await page.evaluate(async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status, server.url);
    expect(status).toBe(401);
    await page.close();
  });
});
