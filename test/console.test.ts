/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { chromium, type Browser } from 'playwright-core';
import { systemClock } from '../src/domain/clock.js';
import { CONSOLE_DIR } from '../src/http/app.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { detail, testStack } from './helpers/factories.js';
import { phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { insertSendDetails } from '../src/service/ledger.js';

/** Debian's Chromium. `.ci/run` installs it and sets AIMLEDGER_TEST_CHROMIUM, so CI never skips. */
const CHROMIUM = process.env.AIMLEDGER_TEST_CHROMIUM ?? '/usr/bin/chromium';
const required = process.env.AIMLEDGER_TEST_CHROMIUM !== undefined;
const available = existsSync(CHROMIUM);
if (!available && required) throw new Error(`AIMLEDGER_TEST_CHROMIUM names ${CHROMIUM}, which does not exist`);
if (!available) process.stdout.write(`Browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).\n`);

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');
const PHONE = '13900001234';

for (const backend of BACKENDS) {
  describe(`web console in Chromium on ${backend.name}`, { skip: !available }, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));
    let browser: Browser;
    before(async () => {
      assert.ok(existsSync(join(CONSOLE_DIR, 'index.html')), 'the console is built (npm ci runs npm run build:console)');
      mkdirSync(ARTIFACTS, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync'],
      });
    });
    after(async () => browser?.close());

    it('signs in, filters by task and phone, pages to the 10000 window, opens a row, exports CSV, shows tasks and the 30-day chart', { timeout: 180_000 }, async () => {
      const { app, worker } = await testStack(store, { clock: systemClock, simulator: { delayMs: 0, failRatio: 0.3, seed: 3 } });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      try {
        const tenant = await tenantWithReferences(store, 'te_user');
        await new IdentityAdmin(store, systemClock).createUser(tenant.account.name, 'ops', 'readonly', 'ops-password');
        const token = (await new IdentityAdmin(store, systemClock).createToken(tenant.account.name, 'alice')).token;
        const task = (await postTask(app, token, taskBody([...phones(30), PHONE]))).json() as { task_id: string };
        await postTask(app, token, taskBody([...phones(5, 13300000000), PHONE], { task_name: '第二个任务' }));
        await worker.drain();
        const now = Date.now();
        // Enough rows to reach the 10000 window, three more for the phone.
        const bulk = Array.from({ length: 10_050 }, (_, i) => detail({ msgId: `ui-${i}_1`, sendTime: now - 3600_000 - i * 1000, custFlag: i < 3 ? PHONE : '13800000000' }));
        await insertSendDetails(store, tenant.account.id, bulk, now);
        const phoneRows = 2 + 3;

        const context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB', timezoneId: 'Asia/Shanghai' });
        const page = await context.newPage();
        const hosts = new Set<string>();
        page.on('request', (request) => hosts.add(new URL(request.url()).origin));
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));

        await page.goto(`${base}/console`);
        await page.fill('[data-test=sign-in] input[name=account]', tenant.account.name);
        await page.fill('[data-test=sign-in] input[name=user]', 'ops');
        await page.fill('[data-test=sign-in] input[name=password]', 'wrong');
        await page.click('[data-test=sign-in] button[type=submit]');
        await page.waitForSelector('[data-test=error]');
        assert.match(await page.textContent('[data-test=error]') ?? '', /The username or password is wrong/);
        await page.fill('[data-test=sign-in] input[name=password]', 'ops-password');
        await page.click('[data-test=sign-in] button[type=submit]');
        await page.waitForSelector('[data-test=range]');
        const total = 31 + 6 + 10_050;
        assert.equal(await page.textContent('[data-test=range]'), `1–20 of ${total}`);
        await page.screenshot({ path: join(ARTIFACTS, `console-details-${backend.name}.png`), fullPage: true });

        // Paging, then the last reachable page: the 10000 window says so.
        await page.click('[data-test=next]');
        await page.waitForFunction(() => document.querySelector('[data-test=range]')?.textContent?.startsWith('21–40'));
        await page.selectOption('select[name=limit]', '100');
        await page.click('[data-test=search]');
        await page.waitForFunction(() => document.querySelector('[data-test=range]')?.textContent?.startsWith('1–100'));
        await page.fill('[data-test=page]', '100');
        await page.dispatchEvent('[data-test=page]', 'change');
        await page.waitForSelector('[data-test=window]');
        assert.equal(await page.textContent('[data-test=range]'), `9901–10000 of ${total}`);
        assert.equal(await page.isDisabled('[data-test=next]'), true);

        // A task's messages, and one opened in the drawer.
        await page.click('button:has-text("Reset")');
        await page.waitForSelector('[data-test=filters]');
        await page.fill('input[name=task_id]', task.task_id);
        await page.click('[data-test=search]');
        await page.waitForFunction(() => document.querySelector('[data-test=range]')?.textContent === '1–31 of 31');
        await page.click('[data-test=row] >> nth=0');
        await page.waitForSelector('[data-test=drawer]');
        assert.equal(await page.textContent('[data-test=drawer] dd[data-field=task_id]'), task.task_id);
        assert.match(await page.textContent('[data-test=drawer] dd[data-field=msg_id]') ?? '', /_\d{9}$/);
        await page.screenshot({ path: join(ARTIFACTS, `console-drawer-${backend.name}.png`) });
        await page.click('[data-test=close]');

        // A phone's messages, with a status filter, and the export of exactly that view.
        await page.click('button:has-text("Reset")');
        await page.waitForSelector('[data-test=filters]');
        await page.fill('input[name=cust_flag]', PHONE);
        await page.click('[data-test=search]');
        await page.waitForFunction((n) => document.querySelector('[data-test=range]')?.textContent === `1–${n} of ${n}`, phoneRows);
        const phonesShown = await page.$$eval('[data-test=row] td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
        assert.deepEqual(phonesShown, Array(phoneRows).fill(PHONE));
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-test=export]')]);
        const file = join(ARTIFACTS, `console-export-${backend.name}.csv`);
        await download.saveAs(file);
        const csv = parse(readFileSync(file), { bom: true, columns: true }) as Array<Record<string, string>>;
        assert.equal(csv.length, phoneRows);
        assert.ok(csv.every((r) => r.cust_flag === PHONE));

        await page.selectOption('select[name=send_status]', 'fail');
        await page.click('[data-test=search]');
        await page.waitForFunction(() => document.querySelector('[data-test=range]')?.textContent !== null);
        const statuses = await page.$$eval('[data-test=row] td:nth-child(5)', (cells) => cells.map((c) => c.textContent));
        assert.ok(statuses.every((s) => s === 'Failed'), statuses.join());

        // Local time in, UTC out: 20:00 in Shanghai is 12:00 UTC.
        await page.click('button:has-text("Reset")');
        await page.waitForSelector('[data-test=filters]');
        const requested = page.waitForRequest((r) => r.url().includes('begin_time='));
        await page.fill('input[name=begin_time]', '2026-06-15T20:00:00');
        await page.fill('input[name=end_time]', '2026-06-15T21:00:00');
        await page.click('[data-test=search]');
        const url = new URL((await requested).url());
        assert.equal(url.searchParams.get('begin_time'), '2026-06-15T12:00:00Z');
        assert.equal(url.searchParams.get('end_time'), '2026-06-15T13:00:00Z');

        await page.click('[data-test=tab-tasks]');
        await page.waitForSelector('[data-test=task]');
        assert.equal(await page.locator('[data-test=task]').count(), 2);
        await page.screenshot({ path: join(ARTIFACTS, `console-tasks-${backend.name}.png`) });
        await page.click('[data-test=tab-overview]');
        await page.waitForSelector('[data-test=chart]');
        assert.match(await page.textContent('[data-test=totals]') ?? '', new RegExp(`Sent: ${total} · Success: \\d+ · Failed: \\d+`));
        await page.screenshot({ path: join(ARTIFACTS, `console-overview-${backend.name}.png`) });

        // Chinese labels.
        await page.click('[data-test=lang]');
        assert.equal(await page.textContent('[data-test=tab-details]'), '发送明细');

        assert.deepEqual([...hosts], [base], 'no request to another host');
        assert.deepEqual(errors, [], 'no script errors');
        await context.close();
      } finally {
        await app.close();
      }
    });
  });
}
