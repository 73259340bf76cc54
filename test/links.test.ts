import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { CAPABILITY_SETTING, capabilitySource } from '../src/domain/capability.js';
import type { Clock } from '../src/domain/clock.js';
import { ConfigError } from '../src/domain/errors.js';
import { runMaintenance } from '../src/service/maintenance.js';
import { ReferenceData } from '../src/service/reference-data.js';
import { isPersonOpening, openOutcome } from '../src/domain/link.js';
import { GroupCommit } from '../src/service/group-commit.js';
import type { Links } from '../src/service/links.js';
import { buildLinkApp } from '../src/http/link-host.js';
import { smsText } from '../src/domain/sms-text.js';
import type { ChannelAdapter, OutboundMessage } from '../src/pipeline/channel.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody, plainCardBody } from './helpers/card-body.js';
import { LINK_DOMAIN, NOW, testStack } from './helpers/factories.js';
import { operatorToken, phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';

type Json = Record<string, unknown>;

const BROWSER = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const DAY_MS = 86_400_000;

describe('link rules (no database)', () => {
  it('a person is a GET from a browser; previews, scanners, libraries and HEAD are not', () => {
    assert.equal(isPersonOpening('GET', BROWSER), true);
    assert.equal(isPersonOpening('GET', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0'), true);
    for (const agent of ['WhatsApp/2.23.20.0', 'facebookexternalhit/1.1', 'TelegramBot (like TwitterBot)', 'Slackbot-LinkExpanding 1.0', 'curl/8.5.0',
      'Mozilla/5.0 (compatible; Googlebot/2.1)', 'python-requests/2.31', 'Mozilla/5.0 HeadlessChrome/120.0', '', undefined]) {
      assert.equal(isPersonOpening('GET', agent), false, String(agent));
    }
    assert.equal(isPersonOpening('HEAD', BROWSER), false);
    assert.equal(isPersonOpening('GET', 'Mozilla/5.0 AcmeScanner/1.0'), true);
    assert.equal(isPersonOpening('GET', 'Mozilla/5.0 AcmeScanner/1.0', ['acmescanner']), false, 'the list can be extended');
  });

  it('an individual link resolves once and reopens until it expires; a group link counts every person until used up', () => {
    const individual = { expiresAt: 1000, codeType: 'individual' as const, resolvingTimes: 1, resolvedTimes: 0 };
    assert.deepEqual(openOutcome(individual, 0, true), { kind: 'open', resolve: true });
    assert.deepEqual(openOutcome(individual, 0, false), { kind: 'open', resolve: false });
    assert.deepEqual(openOutcome({ ...individual, resolvedTimes: 1 }, 0, true), { kind: 'open', resolve: false });
    assert.deepEqual(openOutcome(individual, 1000, true), { kind: 'expired' });
    const group = { expiresAt: 1000, codeType: 'group' as const, resolvingTimes: 2, resolvedTimes: 1 };
    assert.deepEqual(openOutcome(group, 0, true), { kind: 'open', resolve: true });
    assert.deepEqual(openOutcome({ ...group, resolvedTimes: 2 }, 0, true), { kind: 'used-up' });
  });

  it('the link host\'s settings: its port follows the API\'s, its base URL is an origin, more preview agents', () => {
    assert.equal(loadConfig({}, {}).linkPort, 8081);
    assert.equal(loadConfig({ port: '9000' }, {}).linkPort, 9001);
    assert.equal(loadConfig({ port: '0' }, {}).linkPort, 0);
    assert.equal(loadConfig({}, { AIMLEDGER_LINK_PORT: '7000' }).linkPort, 7000);
    assert.equal(loadConfig({}, { AIMLEDGER_LINK_BASE_URL: 'https://s.example.com' }).linkBaseUrl, 'https://s.example.com');
    assert.deepEqual(loadConfig({}, { AIMLEDGER_LINK_PREVIEW_AGENTS: 'acme, scan/1 ,' }).linkPreviewAgents, ['acme', 'scan/1']);
    for (const bad of ['s.example.com', 'ftp://s.example.com', 'https://s.example.com/x', 'https://u@s.example.com']) {
      assert.throws(() => loadConfig({}, { AIMLEDGER_LINK_BASE_URL: bad }), (e: Error) => e instanceof ConfigError && e.message.startsWith('AIMLEDGER_LINK_BASE_URL must be'), bad);
    }
  });

  it('group commit: what arrives during a batch forms the next one; a failed batch fails only its own items', async () => {
    const batches: number[][] = [];
    let fail = false;
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw new Error('database down');
      return items.map((i) => i * 2);
    }, 4);
    const first = commit.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4, 5, 6].map((i) => commit.submit(i));
    assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(batches, [[1], [2, 3, 4, 5], [6]], 'one at once, then at most maxBatch of those that waited');
    fail = true;
    await assert.rejects(commit.submit(7), /database down/);
    fail = false;
    assert.equal(await commit.submit(8), 16, 'later batches go on');
  });

  it('the link host answers a database outage with a small 503 page, unknown paths with a 404 page; health under /-/', async () => {
    const outage = Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
    const failing = { open: async () => { throw outage; }, click: async () => { throw new Error('a fault'); } } as unknown as Links;
    let up = true;
    const app = await buildLinkApp({
      links: failing, materials: {} as never, store: { ping: async () => { if (!up) throw outage; }, isUnavailable: (e) => e === outage },
    });
    const down = await app.inject({ url: '/Ab12Cd', headers: { 'user-agent': BROWSER } });
    assert.deepEqual([down.statusCode, down.headers['retry-after']], [503, '1']);
    assert.match(String(down.headers['content-type']), /^text\/html/);
    assert.match(down.body, /try again in a moment/);
    assert.doesNotMatch(down.body, /ECONNREFUSED|connection refused|stack/);
    const fault = await app.inject({ url: '/Ab12Cd/c/0', headers: { 'user-agent': BROWSER } });
    assert.deepEqual([fault.statusCode, /Something went wrong/.test(fault.body), /a fault/.test(fault.body)], [500, true, false]);
    const unknown = await app.inject({ url: '/a/b/c' });
    assert.deepEqual([unknown.statusCode, /does not exist/.test(unknown.body)], [404, true]);
    assert.deepEqual((await app.inject({ url: '/-/healthz' })).json(), { status: 'ok' });
    assert.equal((await app.inject({ url: '/-/readyz' })).statusCode, 200);
    up = false;
    assert.equal((await app.inject({ url: '/-/readyz' })).statusCode, 503);
    await app.close();
  });

  it('the SMS text puts the link where the template marks it', () => {
    assert.equal(smsText('华为云', '账单已出，详情 ${aim_url} 金额${1}元', ['12'], 'links.test/Ab12Cd'), '【华为云】账单已出，详情 links.test/Ab12Cd 金额12元');
  });
});

for (const backend of BACKENDS) {
  describe(`short links on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    async function cardTemplate(app: FastifyInstance, token: string): Promise<string> {
      const res = await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': token }, payload: cardBody() });
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { data: { tpl_id: string } }).data.tpl_id;
    }

    function sendBody(tplId: string, recipients: Json[], extra: Json = {}) {
      const body = taskBody([]);
      return { ...body, resolve_task: { ...(body.resolve_task as Json), tpl_id: tplId, params: recipients, ...extra } };
    }

    const open = (linkApp: FastifyInstance, url: string, agent = BROWSER, method: 'GET' | 'HEAD' = 'GET') => {
      const [domain, code] = url.split('/');
      return linkApp.inject({ method, url: `/${code as string}`, headers: { host: domain as string, 'user-agent': agent } });
    };

    it('a send task gives each recipient a link, carried by its SMS; the link host shows the recipient\'s card and counts the resolve once', { timeout: 30_000 }, async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const sent: OutboundMessage[] = [];
      const adapter: ChannelAdapter = { name: 'capture', send: async (message) => { sent.push(message); } };
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker, linkApp } = await testStack(store, { clock, adapter, templateAutoApprove: true, allowPrivate: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      await app.inject({ method: 'POST', url: '/v1/aim/callbacks', headers: { 'x-auth-token': tenant.token }, payload: { callback_url: `${base}/r`, url_type: 0 } });
      const tplId = await cardTemplate(app, tenant.token);
      await store.smsTemplates.upsert(tenant.account.id, '15010661', '账单已出，详情 ${aim_url}', now);
      const res = await postTask(app, tenant.token, sendBody(tplId, [
        { cust_flag: '13100000001', dync_params: { param1: '李"四' } },
        { cust_flag: '13100000002', dync_params: { param1: '王五' } },
        { cust_flag: '13100000003', custom_url: 'https://shop.example.com/landing' },
      ]));
      assert.equal(res.statusCode, 200, res.body);
      const params = (res.json() as { resolve_task: { params: Json[] }; task_id: string; failed_short_chains: unknown[] }).resolve_task.params;
      const taskId = (res.json() as { task_id: string }).task_id;
      for (const p of params) {
        assert.match(p.aim_code as string, /^[0-9A-Za-z]{6}$/);
        assert.equal(p.aim_url, `${LINK_DOMAIN}/${p.aim_code as string}`);
      }
      assert.equal(new Set(params.map((p) => p.aim_code)).size, 3);
      await worker.drain();
      assert.deepEqual(new Map(sent.map((m) => [m.msgId, m.aimUrl])), new Map(params.map((p) => [p.msg_id, p.aim_url])), 'each SMS carries its recipient\'s link');

      // Previews and scanners first: nothing counts, nothing is pushed.
      const [first, second, third] = params.map((p) => p.aim_url as string) as [string, string, string];
      assert.equal((await open(linkApp, first, 'WhatsApp/2.23.20.0')).statusCode, 200);
      assert.equal((await open(linkApp, first, BROWSER, 'HEAD')).statusCode, 200);
      let link = (await store.links.find(LINK_DOMAIN, first.split('/')[1] as string))!;
      assert.deepEqual([link.resolvedStatus, link.resolvedTimes], ['unresolved', 0]);

      now += 60_000;
      const page = await open(linkApp, first);
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.ok(page.body.includes('尊敬的李&quot;四,您的账单已出。拒收请回复R'), 'the card with the recipient\'s own value, escaped');
      // The card's links go through the link host's counted redirect, on to the recipient's own URL.
      const code1 = first.split('/')[1] as string;
      assert.ok(page.body.includes(`href="/${code1}/c/0"`), 'the image\'s link is tracked');
      const click = await linkApp.inject({ url: `/${code1}/c/0`, headers: { host: LINK_DOMAIN, 'user-agent': BROWSER } });
      assert.deepEqual([click.statusCode, click.headers.location], [302, 'https://shop.example.com/%E6%9D%8E%22%E5%9B%9B']);
      assert.equal((await linkApp.inject({ url: `/${code1}/c/9`, headers: { host: LINK_DOMAIN, 'user-agent': BROWSER } })).statusCode, 404, 'no such link on the card');
      assert.equal((await open(linkApp, first)).statusCode, 200, 'the recipient can reopen it');
      link = (await store.links.find(LINK_DOMAIN, first.split('/')[1] as string))!;
      assert.deepEqual([link.resolvedStatus, link.resolvedTimes, link.resolvedTime], ['success', 1, now]);
      assert.deepEqual(await store.links.eventCounts(link), { preview: 2, resolve: 1, reopen: 1, click: 1 });

      const redirect = await open(linkApp, third);
      assert.equal(redirect.statusCode, 302);
      assert.equal(redirect.headers.location, 'https://shop.example.com/landing');
      assert.equal(redirect.headers['cache-control'], 'no-store');

      // The carrier reports delivery: each sms receipt carries the message's link.
      const operator = await operatorToken(store, clock);
      const reports = params.map((p) => ({ msg_id: p.msg_id, status: 'DELIVRD', receive_time: '2026-06-15T12:05:00Z' }));
      assert.equal((await app.inject({ method: 'POST', url: '/v1/aim/delivery-reports', headers: { 'x-auth-token': operator }, payload: { reports } })).statusCode, 200);
      await worker.drain();
      const pushed = receiver.received.filter((r) => r.envelope.callback_type === 'shortchain').map((r) => JSON.parse(r.envelope.body) as Json);
      assert.deepEqual(pushed.sort((a, b) => String(a.aim_code).localeCompare(String(b.aim_code))), [first, third].sort((a, b) => a.localeCompare(b)).map((url) => ({
        task_id: taskId, cust_flag: params.find((p) => p.aim_url === url)?.cust_flag, tpl_id: tplId, aim_url: url, aim_code: url.split('/')[1], status: 0, describe: 'resolved',
      })).sort((a, b) => String(a.aim_code).localeCompare(String(b.aim_code))), 'one shortchain receipt per resolve, none for previews or reopens');
      // The task's and the template's resolve counters.
      const tasks = (await app.inject({ url: `/v1/aim/send-tasks?task_id=${taskId}`, headers: { 'x-auth-token': tenant.token } })).json() as { aim_send_tasks: Json[] };
      assert.deepEqual([tasks.aim_send_tasks[0]?.resolve_count, tasks.aim_send_tasks[0]?.support_resolve_count], [2, -1]);
      const report = (await app.inject({ method: 'POST', url: '/v1/aim/send-reports', headers: { 'x-auth-token': tenant.token }, payload: { tpl_id: tplId } })).json() as { data: { data_list: Json[] } };
      assert.deepEqual(report.data.data_list.map((r) => [r.send_count, r.resolve_success_count, r.support_resolve_count]), [[3, 2, 0]]);
      const smsReceipts = receiver.received.filter((r) => r.envelope.callback_type === 'sms').map((r) => JSON.parse(r.envelope.body) as Json);
      assert.equal(smsReceipts.length, 3);
      for (const r of smsReceipts) assert.equal(r.aim_url, params.find((p) => p.msg_id === r.msg_id)?.aim_url, 'sms receipts carry the link');

      // The template deleted: links already sent still show it. Past the expiry: 410, and a link never opened fails.
      await app.inject({ method: 'DELETE', url: `/v1/aim/template/${tplId}`, headers: { 'x-auth-token': tenant.token } });
      assert.equal((await open(linkApp, second)).statusCode, 200);
      now = NOW + 7 * DAY_MS;
      const fresh = await store.links.find(LINK_DOMAIN, second.split('/')[1] as string);
      assert.equal(fresh?.resolvedStatus, 'success');
      const gone = await open(linkApp, first);
      assert.equal(gone.statusCode, 410);
      assert.equal((await store.links.find(LINK_DOMAIN, first.split('/')[1] as string))?.resolvedStatus, 'success', 'a resolved link stays resolved');
      await receiver.down();
    });

    it('an expired link never opened fails; unknown codes are 404 and an address guessing many is refused', async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const { app, linkApp } = await testStack(store, { clock, templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const tplId = await cardTemplate(app, tenant.token);
      const res = await postTask(app, tenant.token, sendBody(tplId, [{ cust_flag: '13100000009', dync_params: { param1: '赵六' } }], { expiration_time: 1 }));
      const url = ((res.json() as { resolve_task: { params: Json[] } }).resolve_task.params[0] as Json).aim_url as string;
      now += DAY_MS;
      assert.equal((await open(linkApp, url, 'WhatsApp/2')).statusCode, 410);
      assert.equal((await store.links.find(LINK_DOMAIN, url.split('/')[1] as string))?.resolvedStatus, 'unresolved', 'a preview of an expired link changes nothing');
      assert.equal((await open(linkApp, url)).statusCode, 410);
      assert.equal((await store.links.find(LINK_DOMAIN, url.split('/')[1] as string))?.resolvedStatus, 'fail');
      assert.equal((await linkApp.inject({ url: `/${url.split('/')[1] as string}`, headers: { host: 'other.test', 'user-agent': BROWSER } })).statusCode, 404, 'the code belongs to its domain');

      let last = 0;
      for (let i = 0; i < 60; i++) last = (await linkApp.inject({ url: `/zz${String(i).padStart(4, '0')}`, headers: { host: LINK_DOMAIN, 'user-agent': BROWSER }, remoteAddress: '203.0.113.7' })).statusCode;
      assert.equal(last, 404);
      const refused = await linkApp.inject({ url: '/zzzzzz', headers: { host: LINK_DOMAIN, 'user-agent': BROWSER }, remoteAddress: '203.0.113.7' });
      assert.equal(refused.statusCode, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      assert.equal((await open(linkApp, url)).statusCode, 410, 'another address is not affected');
    });

    it('resolve details list each link of a send task with its state; filters, the 24-hour default window, the 10000 window', async () => {
      let now = NOW - 2 * DAY_MS;
      const clock: Clock = () => new Date(now);
      const { app, linkApp } = await testStack(store, { clock, templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const tplId = await cardTemplate(app, tenant.token);
      await postTask(app, tenant.token, sendBody(tplId, [{ cust_flag: '13100000100' }]));
      now = NOW - 3600_000;
      const res = await postTask(app, tenant.token, sendBody(tplId, ['13100000101', '13100000102', '13100000103'].map((p, i) => ({ cust_flag: p, ...(i === 0 ? { dync_params: { param1: '甲' } } : {}) }))));
      const task = res.json() as { task_id: string; task_name: string; resolve_task: { params: Json[] } };
      const urls = task.resolve_task.params.map((p) => p.aim_url as string);
      now = NOW;
      await open(linkApp, urls[0] as string);
      const get = async (query: string) => {
        const r = await app.inject({ url: `/v1/aim/resolve-details?${query}`, headers: { 'x-auth-token': tenant.token } });
        if (r.statusCode >= 500) throw new Error(r.body);
        return { status: r.statusCode, body: r.json() as { resolve_details: Json[]; page_info: Json; error_code?: string } };
      };
      const all = await get(`task_id=${task.task_id}&offset=0&limit=10`);
      assert.equal(all.status, 200);
      assert.equal(all.body.page_info.total, 3);
      const first = all.body.resolve_details.find((d) => d.aim_url === urls[0]) as Json;
      assert.deepEqual({ ...first, resolve_id: null }, {
        resolve_id: null, task_id: task.task_id, task_name: task.task_name, tpl_id: tplId, tpl_name: '账单提醒', cust_flag: '13100000101',
        send_account: 'alice', aim_url: urls[0], resolved_status: 'success', resolved_time: new Date(NOW).toISOString().replace('.000', ''),
        generate_date: new Date(NOW - 3600_000).toISOString().replace('.000', ''), expire_date: new Date(NOW - 3600_000 + 7 * DAY_MS).toISOString().replace('.000', ''),
        result_code: '0', dync_params: { param1: '甲' },
      });
      assert.equal(all.body.resolve_details.find((d) => d.aim_url === urls[1])?.dync_params, null);
      assert.match(first.resolve_id as string, /^[0-9a-f]{32}$/);
      assert.equal((await get('offset=0&limit=10')).body.page_info.total, 3, 'the last 24 hours by default: the older task is left out');
      assert.equal((await get(`offset=0&limit=10&begin_time=${new Date(NOW - 3 * DAY_MS).toISOString()}`)).body.page_info.total, 3, 'begin_time alone is ignored');
      const wide = `begin_time=${new Date(NOW - 3 * DAY_MS).toISOString()}&end_time=${new Date(NOW).toISOString()}`;
      assert.equal((await get(`offset=0&limit=10&${wide}`)).body.page_info.total, 4);
      assert.equal((await get(`offset=0&limit=10&resolved_status=success`)).body.page_info.total, 1);
      assert.equal((await get(`offset=0&limit=10&resolved_status=unresolved`)).body.page_info.total, 2);
      assert.equal((await get(`offset=0&limit=10&aim_url=${encodeURIComponent(urls[1] as string)}`)).body.resolve_details[0]?.cust_flag, '13100000102');
      assert.equal((await get(`offset=0&limit=10&aim_url=nonsense`)).body.page_info.total, 0);
      assert.equal((await get(`offset=0&limit=10&cust_flag=13100000103&tpl_id=${tplId}&sms_sign=${encodeURIComponent('华为云')}`)).body.page_info.total, 1);
      const beyond = await get('offset=9999&limit=2');
      assert.deepEqual([beyond.body.resolve_details.length, beyond.body.page_info.total], [0, 3]);
      assert.equal((await get('offset=0&limit=10&resolved_status=maybe')).status, 400);
      const backwards = await get(`offset=0&limit=10&begin_time=${new Date(NOW).toISOString()}&end_time=${new Date(NOW - DAY_MS).toISOString()}`);
      assert.deepEqual([backwards.status, backwards.body.error_code], [400, 'KM.90016458']);
      assert.equal((await get('limit=10')).status, 400, 'offset is required');
      const stranger = await tenantWithReferences(store, 'readonly');
      assert.equal((await app.inject({ url: `/v1/aim/resolve-details?task_id=${task.task_id}&offset=0&limit=10`, headers: { 'x-auth-token': stranger.token } })).json().page_info.total, 0);
    });

    it('retention takes links and their opens made before the cutoff, and keeps the rest', async () => {
      const tenant = await tenantWithReferences(store, 'te_admin');
      const link = (aimCode: string, createdAt: number) => ({
        domain: 'retention.test', aimCode, accountId: tenant.account.id, resolveId: `r-${aimCode}`, taskId: 't', taskName: 'n', tplId: '600000001',
        tplName: 'x', custFlag: '13100000001', sendAccount: 'alice', msgId: null, dyncParams: null, customUrl: null, smsSign: null,
        codeType: 'individual' as const, expiresAt: createdAt + DAY_MS, resolvingTimes: 1, resolvedTimes: 0, resolvedStatus: 'unresolved' as const,
        resolvedTime: null, createdAt,
      });
      const old = NOW - 500 * DAY_MS;
      assert.equal((await store.links.insert([link('Old001', old), link('New001', NOW - DAY_MS)])).size, 0);
      await store.links.recordEvents([
        { accountId: tenant.account.id, domain: 'retention.test', aimCode: 'Old001', kind: 'preview', userAgent: null, at: old },
        { accountId: tenant.account.id, domain: 'retention.test', aimCode: 'New001', kind: 'preview', userAgent: null, at: NOW - DAY_MS },
      ]);
      await runMaintenance(store, NOW, 13);
      assert.equal(await store.links.find('retention.test', 'Old001'), undefined);
      const key = (aimCode: string) => ({ accountId: tenant.account.id, domain: 'retention.test', aimCode });
      assert.deepEqual(await store.links.eventCounts(key('Old001')), {});
      assert.equal((await store.links.find('retention.test', 'New001'))?.aimCode, 'New001');
      assert.deepEqual(await store.links.eventCounts(key('New001')), { preview: 1 });
      // The purged link's code is free again; the kept one's is not.
      assert.equal((await store.links.insert([link('Old001', NOW), link('New001', NOW)])).size, 1, 'New001 is still taken');
      assert.equal((await store.links.find('retention.test', 'Old001'))?.createdAt, NOW);
    });

    it('resolve tasks: a group link counts people up to resolving_times; individual links one each; the definition\'s rules', async () => {
      const { app, linkApp } = await testStack(store, { templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const withParams = await cardTemplate(app, tenant.token);
      const plain = plainCardBody();
      const created = await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token }, payload: plain });
      const plainId = (created.json() as { data: { tpl_id: string } }).data.tpl_id;
      const post = async (body: Json) => {
        const r = await app.inject({ method: 'POST', url: '/v1/aim/resolve-tasks', headers: { 'x-auth-token': tenant.token }, payload: body });
        if (r.statusCode >= 500) throw new Error(r.body);
        return { status: r.statusCode, body: r.json() as Json & { params: Json[]; error_code?: string; error_msg?: string } };
      };
      const base = { tpl_id: plainId, aim_code_type: 'group', expiration_time: 30, resolving_times: 3, sms_signs: ['华为云'], params: [{ cust_flag: 'campaign-1' }] };

      const group = await post(base);
      assert.equal(group.status, 200, JSON.stringify(group.body));
      assert.deepEqual({ ...group.body, task_id: null, params: null }, {
        task_id: null, tpl_id: plainId, aim_code_type: 'group', domain: null, expiration_time: 30, resolving_times: 3, resolved_times: 0, sms_signs: ['华为云'], params: null,
      });
      const link = group.body.params[0] as Json;
      assert.deepEqual(Object.keys(link).sort(), ['aim_code', 'aim_url', 'cust_flag', 'cust_id', 'expire_date', 'generate_date', 'resolved_date', 'resolved_times', 'result_code']);
      assert.equal(link.cust_id, tenant.account.domainId);
      for (let i = 0; i < 3; i++) assert.equal((await open(linkApp, link.aim_url as string)).statusCode, 200);
      assert.equal((await open(linkApp, link.aim_url as string, 'WhatsApp/2')).statusCode, 410, 'used up: even previews see it gone');
      assert.equal((await open(linkApp, link.aim_url as string)).statusCode, 410);
      const listed = (await app.inject({ url: `/v1/aim/resolve-tasks?task_id=${group.body.task_id as string}`, headers: { 'x-auth-token': tenant.token } })).json() as { resolve_tasks: Json[]; page_info: Json };
      assert.equal(listed.page_info.total, 1);
      assert.deepEqual([listed.resolve_tasks[0]?.resolved_times, (listed.resolve_tasks[0]?.params as Json[]).length], [3, 1]);
      assert.equal(((await app.inject({ url: `/v1/aim/resolve-tasks?aim_url=${encodeURIComponent(link.aim_url as string)}`, headers: { 'x-auth-token': tenant.token } })).json() as { page_info: Json }).page_info.total, 1);

      const individual = await post({ ...base, tpl_id: withParams, aim_code_type: 'individual', expiration_time: 7, resolving_times: 5, params: [
        { cust_flag: '13100000201', dync_params: { param1: '甲' } }, { cust_flag: '13100000202', dync_params: { param1: '乙' }, custom_url: 'https://shop.example.com/x' },
      ] });
      assert.equal(individual.status, 200, JSON.stringify(individual.body));
      assert.equal(individual.body.resolving_times, 1, 'individual links resolve once');
      assert.equal(individual.body.params.length, 2);
      const details = (await app.inject({ url: `/v1/aim/resolve-details?task_id=${individual.body.task_id as string}&offset=0&limit=10`, headers: { 'x-auth-token': tenant.token } })).json() as { page_info: Json };
      assert.equal(details.page_info.total, 2, 'resolve details list a resolve task\'s links by its id');

      const cases: Array<[string, Json, string, RegExp]> = [
        ['group, two params', { ...base, params: [{ cust_flag: 'a' }, { cust_flag: 'b' }] }, 'KM.90016416', /exactly one link/],
        ['group of a template with variables', { ...base, tpl_id: withParams }, 'KM.90016418', /individual/],
        ['group resolving once', { ...base, resolving_times: 1 }, 'KM.80000002', /at least 2/],
        ['individual for 8 days', { ...base, aim_code_type: 'individual', expiration_time: 8 }, 'KM.80000002', /1 to 7 days/],
        ['group for 181 days', { ...base, expiration_time: 181 }, 'KM.80000002', /expiration_time/],
        ['six signatures', { ...base, sms_signs: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'KM.90016417', /sms_signs/],
        ['no signature', { ...base, sms_signs: [] }, 'KM.90016417', /sms_signs/],
        ['a bracketed signature', { ...base, sms_signs: ['【华为云】'] }, 'KM.80000002', /sms_signs\[0\]/],
        ['no params', { ...base, params: [] }, 'KM.90016415', /params/],
        ['101 params', { ...base, aim_code_type: 'individual', expiration_time: 1, params: Array.from({ length: 101 }, (_, i) => ({ cust_flag: `c${i}` })) }, 'KM.90016416', /params/],
        ['custom codes on an unregistered domain', { ...base, generation_type: '2', domain: 'go.example.com', params: [{ cust_flag: 'x', custom_short_code: 'abc123' }] }, 'KM.80000002', /not registered for custom short codes/],
        ['custom codes without a code', { ...base, generation_type: '2', domain: 'go.example.com', params: [{ cust_flag: 'x' }] }, 'KM.80000002', /custom_short_code is required/],
        ['a domain with standard codes that is not registered', { ...base, domain: 'go.example.com' }, 'KM.80000002', /not registered for standard short codes/],
        ['unknown template', { ...base, tpl_id: '999999999' }, 'KM.00001080', /does not exist/],
        ['bad code type', { ...base, aim_code_type: 'broadcast' }, 'KM.80000002', /aim_code_type/],
      ];
      for (const [why, body, code, message] of cases) {
        const r = await post(body);
        assert.deepEqual([r.status, r.body.error_code], [400, code], `${why}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error_msg as string, message, why);
      }
      const reader = await tenantWithReferences(store, 'readonly');
      assert.equal((await app.inject({ method: 'POST', url: '/v1/aim/resolve-tasks', headers: { 'x-auth-token': reader.token }, payload: base })).statusCode, 403);
    });

    it('a group link opened by many people at once: exactly resolving_times resolves and receipts, the rest used up', async () => {
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker, linkApp } = await testStack(store, { templateAutoApprove: true, allowPrivate: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      await app.inject({ method: 'POST', url: '/v1/aim/callbacks', headers: { 'x-auth-token': tenant.token }, payload: { callback_url: `${base}/r`, url_type: 0 } });
      const plain = plainCardBody();
      const tplId = ((await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token }, payload: plain })).json() as { data: { tpl_id: string } }).data.tpl_id;
      const task = (await app.inject({ method: 'POST', url: '/v1/aim/resolve-tasks', headers: { 'x-auth-token': tenant.token }, payload: {
        tpl_id: tplId, aim_code_type: 'group', expiration_time: 1, resolving_times: 20, sms_signs: ['华为云'], params: [{ cust_flag: 'crowd' }],
      } })).json() as { task_id: string; params: Json[] };
      const url = task.params[0]?.aim_url as string;
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => open(linkApp, url, i % 10 === 9 ? 'WhatsApp/2' : BROWSER)));
      const codes = answers.map((a) => a.statusCode);
      assert.equal(codes.filter((c) => c === 200).length >= 20, true, codes.join(','));
      const link = (await store.links.find(LINK_DOMAIN, url.split('/')[1] as string))!;
      assert.equal(link.resolvedTimes, 20, 'never more than resolving_times');
      // 45 people and 5 previews: 20 people resolved it, every later open (preview or not) is used up.
      assert.equal(codes.filter((c) => c === 410).length, 50 - codes.filter((c) => c === 200).length);
      const events = await store.links.eventCounts(link);
      assert.equal(events.resolve, 20);
      assert.equal(Object.values(events).reduce((a, b) => a + b, 0), 50, 'every open recorded');
      await worker.drain();
      assert.equal(receiver.received.filter((r) => r.envelope.callback_type === 'shortchain').length, 20, 'one receipt per resolve');
      const day = new Date(NOW).toISOString().slice(0, 10);
      const report = (await app.inject({
        method: 'POST', url: '/v1/aim/template-reports/query', headers: { 'x-auth-token': tenant.token },
        payload: { tpl_ids: [tplId], begin_time: `${day}T00:00:00Z`, end_time: `${day}T23:59:59Z` },
      })).json() as { template_reports: Json[] };
      assert.equal(report.template_reports[0]?.resolving_times, 20, JSON.stringify(report));
      await receiver.down();
    });

    it('custom short codes on a registered domain: the customer\'s codes, failed_short_chains for taken or repeated ones, the Host picks the domain', async () => {
      const sent: OutboundMessage[] = [];
      const adapter: ChannelAdapter = { name: 'capture', send: async (message) => { sent.push(message); } };
      const { app, worker, linkApp } = await testStack(store, { adapter, templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const other = await tenantWithReferences(store, 'te_admin');
      const reference = new ReferenceData(store, () => new Date(NOW));
      await reference.addDomain(tenant.account.id, 'Go.Example.com', 'custom');
      await reference.addDomain(tenant.account.id, 's.example.com', 'standard');
      await reference.addDomain(other.account.id, 'other.example.com', 'custom');
      await assert.rejects(reference.addDomain(other.account.id, 'go.example.com', 'custom'), /registered already/, 'a domain is one account\'s');
      const tplId = await cardTemplate(app, tenant.token);
      const custom = { generation_type: '2', domain: 'go.example.com' };

      const res = await postTask(app, tenant.token, sendBody(tplId, [
        { cust_flag: '13100000301', custom_short_code: 'Spring1', custom_url: 'https://shop.example.com/ignored', dync_params: { param1: '甲' } },
        { cust_flag: '13100000302', custom_short_code: 'Spring1' },
        { cust_flag: '13100000303', custom_short_code: 'Spring3' },
      ], custom));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as Json & { resolve_task: { params: Json[] }; failed_short_chains: Json[] };
      assert.deepEqual(body.resolve_task.params.map((p) => [p.cust_flag, p.aim_code, p.aim_url, p.custom_url]), [
        ['13100000301', 'Spring1', 'go.example.com/Spring1', undefined], ['13100000303', 'Spring3', 'go.example.com/Spring3', undefined],
      ], 'custom_url is not used with custom codes');
      assert.deepEqual(body.failed_short_chains, [{ cust_flag: '13100000302', custom_short_code: 'Spring1', result_code: 'KM.80000002', error_message: 'custom_short_code Spring1 is given twice in this request' }]);
      assert.deepEqual([body.task_state, body.submission_count, body.send_count], ['Success', 3, 2]);
      await worker.drain();
      const mine = sent.filter((m) => m.phone.startsWith('131000003'));
      assert.deepEqual(mine.map((m) => m.aimUrl).sort(), ['go.example.com/Spring1', 'go.example.com/Spring3'], 'a failed recipient gets no SMS');
      const details = (await app.inject({ url: `/v1/aim/send-details?task_id=${body.task_id as string}&offset=0&limit=10`, headers: { 'x-auth-token': tenant.token } })).json() as { page_info: Json };
      assert.equal(details.page_info.total, 2, 'and no detail');

      // A code taken in the domain fails; a task whose every link fails is Failed and sends nothing.
      const again = (await postTask(app, tenant.token, sendBody(tplId, [{ cust_flag: '13100000304', custom_short_code: 'Spring3' }], custom))).json() as Json & { failed_short_chains: Json[]; resolve_task: { params: Json[] } };
      assert.deepEqual([again.task_state, again.send_count, again.resolve_task.params.length], ['Failed', 0, 0]);
      assert.match(again.failed_short_chains[0]?.error_message as string, /Spring3 is taken in go\.example\.com/);
      const failedTasks = (await app.inject({ url: `/v1/aim/send-tasks?task_id=${again.task_id as string}`, headers: { 'x-auth-token': tenant.token } })).json() as { aim_send_tasks: Json[] };
      assert.equal(failedTasks.aim_send_tasks[0]?.task_state, 'Failed');

      // The Host header picks the domain: the same code elsewhere is another link.
      const visit = (host: string, code: string) => linkApp.inject({ url: `/${code}`, headers: { host, 'user-agent': BROWSER } });
      assert.equal((await visit('go.example.com', 'Spring1')).statusCode, 200);
      assert.equal((await visit('GO.example.com', 'Spring3')).statusCode, 200);
      assert.equal((await visit('go.example.com.', 'Spring3')).statusCode, 200, 'a fully qualified Host (trailing dot) is the same domain');
      assert.equal((await visit(LINK_DOMAIN, 'Spring1')).statusCode, 404);
      assert.equal((await store.links.find('go.example.com', 'Spring1'))?.resolvedStatus, 'success');

      // Domains are the registering account's and of their kind.
      const refusals: Array<[string, FastifyInstance, string, Json]> = [
        ['another account\'s domain', app, tenant.token, { generation_type: '2', domain: 'other.example.com' }],
        ['a standard domain with custom codes', app, tenant.token, { generation_type: '2', domain: 's.example.com' }],
        ['a custom domain with drawn codes', app, tenant.token, { domain: 'go.example.com' }],
      ];
      for (const [why, api, token, extra] of refusals) {
        const r = await postTask(api, token, sendBody(tplId, [{ cust_flag: '13100000305', custom_short_code: 'Other1' }], extra));
        assert.deepEqual([r.statusCode, (r.json() as Json).error_code], [400, 'KM.80000002'], `${why}: ${r.body}`);
        assert.match((r.json() as Json).error_msg as string, /is not registered for (custom|standard) short codes for this account/, why);
      }
      const standard = (await postTask(app, tenant.token, sendBody(tplId, [{ cust_flag: '13100000306' }], { domain: 's.example.com' }))).json() as { resolve_task: { params: Json[] } };
      assert.match(standard.resolve_task.params[0]?.aim_url as string, /^s\.example\.com\/[0-9A-Za-z]{6}$/, 'a standard domain takes drawn codes');

      // Resolve tasks: a failed param carries its reason instead of a link.
      const resolve = await app.inject({ method: 'POST', url: '/v1/aim/resolve-tasks', headers: { 'x-auth-token': tenant.token }, payload: {
        tpl_id: tplId, aim_code_type: 'individual', expiration_time: 3, resolving_times: 1, sms_signs: ['华为云'], ...custom,
        params: [{ cust_flag: 'a', custom_short_code: 'Spring1', dync_params: { param1: '乙' } }, { cust_flag: 'b', custom_short_code: 'Autumn1', custom_url: 'https://x.example.com' }],
      } });
      assert.equal(resolve.statusCode, 200, resolve.body);
      const made = resolve.json() as { domain: string; params: Json[] };
      assert.equal(made.domain, 'go.example.com');
      assert.deepEqual(made.params.map((p) => [p.cust_flag, p.result_code, p.aim_url ?? null, p.custom_short_code, p.custom_url ?? null]), [
        ['a', 'KM.80000002', null, 'Spring1', null], ['b', '0', 'go.example.com/Autumn1', 'Autumn1', null],
      ]);
      assert.match(made.params[0]?.error_message as string, /taken in go\.example\.com/);
    });

    it('CheckMobileCapability answers from the operator\'s source: prefixes for plain numbers, digests for hashed ones, the template\'s approval', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'readonly');
      const check = async (body: Json) => {
        const r = await app.inject({ method: 'POST', url: '/v1/aim/mobile-capabilities/check', headers: { 'x-auth-token': tenant.token }, payload: body });
        if (r.statusCode >= 500) throw new Error(r.body);
        return { status: r.statusCode, body: r.json() as Json };
      };
      const numbers = ['13100000000', '8617000000001', '008617100000002', '17200000003'];
      assert.deepEqual((await check({ mobiles: numbers })).body, { supported_mobiles: numbers, unsupported_mobiles: [] }, 'every number by default');
      const hashed = createHash('sha1').update('8613100000000').digest('hex');
      await store.settings.set(CAPABILITY_SETTING, JSON.stringify(capabilitySource(['170', '171'], [hashed.toUpperCase()])));
      assert.deepEqual((await check({ mobiles: numbers, encryption_alg: 'NONE' })).body, {
        supported_mobiles: ['13100000000', '17200000003'], unsupported_mobiles: ['8617000000001', '008617100000002'],
      });
      const other = createHash('sha1').update('8613100000001').digest('hex');
      assert.deepEqual((await check({ mobiles: [hashed, other], encryption_alg: 'SHA1' })).body, { supported_mobiles: [other], unsupported_mobiles: [hashed] });
      const underReview = await store.templates.create(tenant.account.id, {
        tplName: 'x', cardId: 'PureText', scene: null, useId: 1, subType: null, pages: '[]', params: [], smsSigns: [], smsExample: null, smsTemplate: null,
        vendors: ['HUAWEI'], materialIds: [], review: 'reviewing', previewKey: 'k'.repeat(24),
      }, NOW);
      assert.deepEqual((await check({ mobiles: ['13100000000'], tpl_id: underReview })).body, { tpl_id: underReview, supported_mobiles: [], unsupported_mobiles: ['13100000000'] });
      assert.deepEqual((await check({ mobiles: ['13100000000'], tpl_id: '600000001' })).body, { tpl_id: '600000001', supported_mobiles: ['13100000000'], unsupported_mobiles: [] });
      for (const [body, code] of [
        [{ mobiles: [] }, 'KM.90016414'], [{ mobiles: Array.from({ length: 101 }, (_, i) => String(13100000000 + i)) }, 'KM.80000002'],
        [{ mobiles: ['13100000000'], encryption_alg: 'SHA1' }, 'KM.80000002'], [{ mobiles: [hashed], encryption_alg: 'NONE' }, 'KM.80000002'],
        [{ mobiles: ['13100000000'], encryption_alg: 'MD5' }, 'KM.80000002'], [{ mobiles: ['13100000000'], tpl_id: '999999999' }, 'KM.00001080'],
      ] as const) {
        const r = await check(body as Json);
        assert.deepEqual([r.status, r.body.error_code], [400, code], JSON.stringify(body).slice(0, 80));
      }
      await store.settings.set(CAPABILITY_SETTING, JSON.stringify(capabilitySource([], [])));
    });

    it('template reports: resolves, exposures and clicks per template and day, unique by recipient or by the visitor cookie', async () => {
      const { app, linkApp } = await testStack(store, { templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const tplId = await cardTemplate(app, tenant.token);
      const res = await postTask(app, tenant.token, sendBody(tplId, [{ cust_flag: '13100000301', dync_params: { param1: 'a' } }, { cust_flag: '13100000302', dync_params: { param1: 'b' } }]));
      const [one, two] = (res.json() as { resolve_task: { params: Json[] } }).resolve_task.params.map((p) => p.aim_url as string) as [string, string];
      await open(linkApp, one);
      await open(linkApp, one);
      await open(linkApp, two);
      await open(linkApp, two, 'WhatsApp/2');
      const clickOn = (url: string, agent = BROWSER, cookie?: string) => linkApp.inject({
        url: `/${url.split('/')[1] as string}/c/0`, headers: { host: LINK_DOMAIN, 'user-agent': agent, ...(cookie ? { cookie } : {}) },
      });
      await clickOn(one);
      await clickOn(one);
      await clickOn(two, 'Slackbot-LinkExpanding 1.0');

      // A group link: visitors told apart by the link host's cookie.
      const plain = plainCardBody();
      const plainId = ((await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token }, payload: plain })).json() as { data: { tpl_id: string } }).data.tpl_id;
      const group = (await app.inject({ method: 'POST', url: '/v1/aim/resolve-tasks', headers: { 'x-auth-token': tenant.token }, payload: {
        tpl_id: plainId, aim_code_type: 'group', expiration_time: 30, resolving_times: 100, sms_signs: ['华为云'], params: [{ cust_flag: 'campaign' }],
      } })).json() as { params: Json[] };
      const groupCode = (group.params[0]?.aim_url as string).split('/')[1] as string;
      const visit = (cookie?: string) => linkApp.inject({ url: `/${groupCode}`, headers: { host: LINK_DOMAIN, 'user-agent': BROWSER, ...(cookie ? { cookie } : {}) } });
      const firstVisit = await visit();
      const cookie = String(firstVisit.headers['set-cookie']).split(';')[0] as string;
      assert.match(cookie, /^aim_v=[A-Za-z0-9_-]{22}$/);
      assert.match(String(firstVisit.headers['set-cookie']), /HttpOnly; SameSite=Lax/);
      assert.equal((await visit(cookie)).headers['set-cookie'], undefined, 'a known visitor keeps its cookie');
      await visit();

      const query = async (body: Json) => {
        const r = await app.inject({ method: 'POST', url: '/v1/aim/template-reports/query', headers: { 'x-auth-token': tenant.token }, payload: body });
        if (r.statusCode >= 500) throw new Error(r.body);
        return { status: r.statusCode, body: r.json() as { template_reports: Json[]; page_info: Json; error_code?: string } };
      };
      const day = new Date(NOW).toISOString().slice(0, 10);
      const range = { begin_time: `${day}T00:00:00Z`, end_time: `${day}T23:59:59Z` };
      const report = await query({ tpl_ids: [tplId, plainId, tplId], ...range, factory_type: ['huawei'] });
      assert.equal(report.status, 200, JSON.stringify(report.body));
      const byTpl = new Map(report.body.template_reports.map((r) => [r.tpl_id, r]));
      assert.deepEqual(byTpl.get(tplId), {
        tpl_id: tplId, start_time: `${day}T00:00:00Z`, end_time: new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().replace('.000', ''),
        resolving_times: 2, expose_pv: 3, expose_uv: 2, click_pv: 2, click_uv: 1,
      });
      assert.deepEqual([byTpl.get(plainId)?.resolving_times, byTpl.get(plainId)?.expose_pv, byTpl.get(plainId)?.expose_uv], [3, 3, 2]);
      assert.equal(report.body.page_info.total, 2);
      assert.equal((await query({ tpl_ids: [tplId], begin_time: '2026-01-01T00:00:00Z', end_time: '2026-06-15T00:00:00Z' })).body.page_info.total, 0, 'over 90 days: empty');
      const backwards = await query({ tpl_ids: [tplId], begin_time: range.end_time, end_time: range.begin_time });
      assert.deepEqual([backwards.status, backwards.body.error_code], [400, 'KM.90016458']);
      assert.equal((await query({ tpl_ids: [], ...range })).status, 400);
      assert.equal((await query({ tpl_ids: [tplId], ...range, factory_type: ['nokia'] })).status, 400);
    });

    it('an SMS template without the link mark is refused with KM.00001377', async () => {
      const { app } = await testStack(store, { templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const tplId = await cardTemplate(app, tenant.token);
      await store.smsTemplates.upsert(tenant.account.id, '15010661', '您的账单已出', NOW);
      const refused = await postTask(app, tenant.token, sendBody(tplId, phones(1).map((p) => ({ cust_flag: p }))));
      assert.equal(refused.statusCode, 400);
      assert.equal((refused.json() as Json).error_code, 'KM.00001377');
      assert.equal((await store.tasks.list(tenant.account.id, { createdFrom: 0, createdTo: NOW + DAY_MS }, 0, 10)).total, 0, 'nothing stored');
    });
  });
}
