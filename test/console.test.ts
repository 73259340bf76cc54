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
import { operatorToken, phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
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
        assert.equal(await page.textContent('[data-test=error]'), 'Wrong account, user or password');
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
        // Its links, one per recipient, none opened yet.
        await page.waitForSelector('[data-test=task-links]');
        assert.equal(await page.locator('[data-test=task-link]').count(), 31);
        assert.deepEqual(new Set(await page.$$eval('[data-test=task-link] td:nth-child(3)', (cells) => cells.map((c) => c.textContent))), new Set(['Not opened']));
        assert.match(await page.textContent('[data-test=task-link] td:nth-child(2)') ?? '', /^links\.test\/[0-9A-Za-z]{6}$/);
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
        // The chart fills its box, the page's width (not a fixed 900 px).
        const widths = await page.evaluate(() => {
          const canvas = document.querySelector('[data-test=chart]') as HTMLCanvasElement;
          return { canvas: canvas.getBoundingClientRect().width, box: (canvas.closest('main') ?? document.body).getBoundingClientRect().width };
        });
        assert.ok(widths.canvas >= widths.box * 0.9, `chart ${widths.canvas} px of ${widths.box} px`);
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

    it('templates: builds a card with a live preview, creates it, shows its report and a recipient\'s card, disables and deletes it; uploads a material with progress', { timeout: 120_000 }, async () => {
      const { app, linkApp } = await testStack(store, { clock: systemClock });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      try {
        const tenant = await tenantWithReferences(store, 'te_user');
        const token = (await new IdentityAdmin(store, systemClock).createToken(tenant.account.name, 'alice')).token;
        const context = await browser.newContext({ locale: 'en-GB' });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        // Resource failures are judged by their responses below; everything else logged as an error fails.
        page.on('console', (message) => { if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text()); });
        const failed: string[] = [];
        page.on('response', (response) => { if (response.status() >= 400) failed.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`); });
        page.on('dialog', (dialog) => void dialog.accept());
        await page.goto(`${base}/console`);
        await page.fill('[data-test=token-form] input[name=token]', token);
        await page.click('[data-test=token-form] button[type=submit]');
        await page.click('[data-test=tab-templates]');
        await page.waitForSelector('[data-test=template-form]');

        // The preview follows the form: the example fills the variable.
        await page.fill('[data-test=template-form] input[name=tpl_name]', '账单提醒');
        await page.fill('[data-test=content-row] >> nth=0 >> input[name=text]', '您好${param1}，账单已出。拒收请回复R');
        await page.waitForFunction(() => document.querySelector('[data-test=live-preview] .text')?.textContent === '您好张三，账单已出。拒收请回复R');
        await page.click('[data-test=add-content]');
        await page.selectOption('[data-test=content-row] >> nth=1 >> select[name=type]', 'button');
        await page.fill('[data-test=content-row] >> nth=1 >> input[name=text]', '查看');
        await page.fill('[data-test=content-row] >> nth=1 >> input[name=link]', 'https://shop.example.com/bill');
        await page.waitForFunction(() => document.querySelector('[data-test=live-preview] a.button')?.getAttribute('href') === 'https://shop.example.com/bill');
        await page.check('input[name=vendor-OPPO]');
        await page.click('[data-test=create-template]');
        await page.waitForSelector('[data-test=template-notice]');
        const tplId = /(\d{9})/.exec(await page.textContent('[data-test=template-notice]') ?? '')?.[1] as string;
        assert.match(tplId, /^\d{9}$/);
        const row = `[data-test=template-row][data-tpl-id="${tplId}"]`;
        assert.equal(await page.textContent(`${row} [data-test=tpl-state]`), 'Enabled');
        assert.equal(await page.textContent(`${row} [data-test=tpl-audit]`), 'Reviewing');
        assert.equal(await page.textContent(`${row} [data-test=tpl-vendors]`), 'HUAWEI … OPPO …');
        const stored = (await store.templates.get(tenant.account.id, tplId))!;
        assert.deepEqual(JSON.parse(stored.pages as string), [{ page_order: 1, contents: [
          { type: 'text', position_number: 1, content: '您好${param1}，账单已出。拒收请回复R' },
          { type: 'button', position_number: 2, content: '查看', action_type: 'OPEN_URL', action: { target: 'https://shop.example.com/bill' } },
        ] }]);
        await page.screenshot({ path: join(ARTIFACTS, `console-templates-${backend.name}.png`), fullPage: true });

        // A rule broken: the server's message shows.
        await page.fill('[data-test=template-form] input[name=tpl_name]', '坏模板');
        await page.fill('[data-test=content-row] >> nth=0 >> input[name=text]', '没有退订提示');
        await page.click('[data-test=create-template]');
        await page.waitForSelector('[data-test=error]');
        assert.match(await page.textContent('[data-test=error]') ?? '', /KM\.80000002: pages must carry "拒收请回复R"/);

        // Approved, sent to a recipient with a value for its variable, opened and clicked: the
        // template's report and the card that recipient sees.
        const review = await app.inject({
          method: 'POST', url: '/v1/aim/template-reviews', headers: { 'x-auth-token': await operatorToken(store, systemClock) },
          payload: { account: tenant.account.name, tpl_id: tplId, decision: 'approve' },
        });
        assert.equal(review.statusCode, 200, review.body);
        const body = taskBody([]);
        const sent = (await postTask(app, token, { ...body, resolve_task: { ...(body.resolve_task as object), tpl_id: tplId, params: [
          { cust_flag: '13100000001', dync_params: { param1: '李四' } }, { cust_flag: '13100000002', dync_params: { param1: '王五' } },
        ] } })).json() as { task_id: string; resolve_task: { params: Array<{ aim_url: string }> } };
        const [host, code] = (sent.resolve_task.params[0]?.aim_url as string).split('/') as [string, string];
        const phone = { host, 'user-agent': 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36' };
        assert.equal((await linkApp.inject({ url: `/${code}`, headers: phone })).statusCode, 200);
        assert.equal((await linkApp.inject({ url: `/${code}/c/0`, headers: phone })).statusCode, 302);
        await page.click('[data-test=tab-templates]');
        await page.click(`${row} [data-test=template-report]`);
        await page.waitForSelector('[data-test=template-chart]');
        assert.equal(await page.textContent('[data-test=template-totals]'), 'Exposures: 1 (Unique visitors: 1) · Clicks: 1 (Unique visitors: 1) · Resolves: 1');
        await page.screenshot({ path: join(ARTIFACTS, `console-template-report-${backend.name}.png`), fullPage: true });
        await page.click('[data-test=tab-details]');
        // The view's first query answers before the filter is set (else its answer could land last).
        await page.waitForSelector('[data-test=range]');
        await page.fill('input[name=task_id]', sent.task_id);
        await page.click('[data-test=search]');
        await page.waitForFunction(() => document.querySelector('[data-test=range]')?.textContent === '1–2 of 2');
        await page.waitForSelector('[data-test=task-links]');
        await page.click('[data-test=task-link]:has-text("13100000002") [data-test=show-card]');
        await page.waitForSelector('[data-test=recipient-card] .text');
        assert.equal(await page.textContent('[data-test=recipient-card] .text'), '您好王五，账单已出。拒收请回复R');
        assert.equal(await page.getAttribute('[data-test=recipient-card] a.button', 'href'), 'https://shop.example.com/bill');
        assert.equal((await store.links.find(host, code))?.resolvedTimes, 1, 'showing a card opens no link');
        await page.click('[data-test=recipient-card] [data-test=close]');
        await page.click('[data-test=tab-templates]');
        await page.waitForSelector(row);

        await page.click(`${row} [data-test=toggle-state]`);
        await page.waitForFunction((r) => document.querySelector(`${r} [data-test=tpl-state]`)?.textContent === 'Disabled', row);
        assert.equal((await store.templates.find(tenant.account.id, tplId))?.tplState, 0);

        // A material, with its upload's progress.
        await page.setInputFiles('[data-test=material-file]', { name: 'logo.png', mimeType: 'image/png', buffer: PNG });
        await page.click('[data-test=upload]');
        await page.waitForSelector('[data-test=material-row]');
        assert.equal(await page.$eval('[data-test=upload-progress]', (p) => (p as HTMLProgressElement).value), 0, 'a new view starts a new bar');
        assert.match(await page.textContent('[data-test=material-resource-id]') ?? '', /^\d{18}$/);
        assert.equal(await page.$eval('[data-test=material-row] img', (img) => (img as HTMLImageElement).naturalWidth), 1, 'the material loads from its URL');

        await page.click(`${row} [data-test=delete-template]`);
        await page.waitForFunction((r) => !document.querySelector(r), row);
        assert.equal(await store.templates.find(tenant.account.id, tplId), undefined);
        assert.deepEqual(errors, [], 'no script errors, no CSP violations');
        assert.deepEqual(failed, ['POST /v1/aim/templates 400'], 'only the broken template was refused');
        await context.close();
      } finally {
        await app.close();
      }
    });
  });
}

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
