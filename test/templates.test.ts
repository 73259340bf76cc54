import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../src/domain/clock.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody } from './helpers/card-body.js';
import { createTenant, getDetails, NOW, testStack } from './helpers/factories.js';
import { operatorToken, phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';

type Json = Record<string, unknown>;

async function call(app: FastifyInstance, token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, headers: Json = {}) {
  const res = await app.inject({
    method, url, headers: { 'x-auth-token': token, ...headers } as Record<string, string>,
    ...(payload !== undefined ? { payload: payload as Json } : {}),
  });
  if (res.statusCode >= 500) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
  return { status: res.statusCode, body: res.json() as Json & { error_code?: string; error_msg?: string } };
}

async function create(app: FastifyInstance, token: string, body: unknown = cardBody()) {
  return call(app, token, 'POST', '/v1/aim/templates', body);
}

async function list(app: FastifyInstance, token: string, query = '') {
  const res = await call(app, token, 'GET', `/v1/aim/templates?${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { templates: Json[]; page_info: Json };
}

async function review(app: FastifyInstance, operator: string, body: Json) {
  return call(app, operator, 'POST', '/v1/aim/template-reviews', body);
}

/** A body with one change at a dotted path (numbers index lists); undefined deletes. */
function changed(path: string, value: unknown, body: Json = cardBody()): Json {
  const copy = structuredClone(body);
  const parts = path.split('.');
  let node = copy as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  const last = parts.at(-1) as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

for (const backend of BACKENDS) {
  describe(`AIM templates on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('creates a template and lists it with every field of the definition', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_user');
      const created = await create(app, tenant.token);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const tplId = (created.body.data as { tpl_id: string }).tpl_id;
      assert.match(tplId, /^[1-9][0-9]{8}$/);
      assert.deepEqual({ ...created.body, data: null }, { status: '200', message: 'success', data: null });

      const found = await list(app, tenant.token, `tpl_id=${tplId}`);
      assert.equal(found.page_info.total, 1);
      const t = found.templates[0] as Json;
      const body = cardBody();
      assert.equal(typeof t.preview_url, 'string');
      assert.match(t.preview_url as string, /^http:\/\/localhost(:\d+)?\/previews\/[A-Za-z0-9_-]{24}$/);
      assert.deepEqual({ ...t, preview_url: null }, {
        tpl_id: tplId, tpl_name: '账单提醒', tpl_state: 1, audit_state: 1, audit_desc: null, description: '您的账单已出', scene: '通知',
        card_id: 'StandardImageAndText', match_type: 1, sub_type: null, pages: JSON.stringify(body.pages),
        params: [{ name: '${param1}', type: 'string', has_length: false, length_restrict: false, min_length: 0, max_length: 0, fix_length: 0 }],
        factory_info: [
          { factory_type: 'HUAWEI', state: 2, tpl_id: tplId, version: '1' },
          { factory_type: 'OPPO', state: 2, tpl_id: tplId, version: '1' },
        ],
        preview_url: null, tpl_type: 'private', creation_time: new Date(NOW).toISOString(), update_time: new Date(NOW).toISOString(),
        disable_time: null, disable_desc: null,
      });
      assert.deepEqual(JSON.parse(t.pages as string), body.pages, 'pages round-trip as JSON text');

      const statusOnly = (await list(app, tenant.token, `tpl_id=${tplId}&is_only_status=true`)).templates[0] as Json;
      assert.equal('pages' in statusOnly, false);
      assert.equal('params' in statusOnly, false);
      assert.equal(statusOnly.audit_state, 1);
    });

    it('preview_url: the card with its examples, escaped, without credentials, under a strict CSP; gone once deleted', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_user');
      const body = changed('params', [{ name: '${param1}', type: 1, example: '张"三\'' }],
        changed('pages.0.contents.1.content_child', '"onmouseover=\'x\' 详情见${param1}'));
      const tplId = ((await create(app, tenant.token, body)).body.data as Json).tpl_id as string;
      const url = new URL((await list(app, tenant.token, `tpl_id=${tplId}`)).templates[0]?.preview_url as string);
      const res = await app.inject({ url: url.pathname });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /style-src 'nonce-[A-Za-z0-9+/=]+'/);
      assert.doesNotMatch(csp, /script-src|unsafe-inline/);
      const html = res.body;
      assert.ok(html.includes('尊敬的张&quot;三&#39;,您的账单已出。拒收请回复R'), 'the text with its example filled and escaped');
      assert.ok(html.includes('&quot;onmouseover=&#39;x&#39; 详情见张&quot;三&#39;'), 'quotes never leave their text');
      assert.ok(html.includes('href="https://shop.example.com/%E5%BC%A0%22%E4%B8%89&#39;"'), 'a URL variable is URL-encoded, then escaped');
      assert.ok(html.includes('<img src="https://cdn.example.com/bill.jpg" alt="">'));
      assert.ok(html.includes('>查看账单</a>'));
      assert.equal(html.includes('${param1}'), false, 'every placeholder filled');
      assert.equal(/<script/i.test(html), false);
      assert.equal((await app.inject({ url: '/previews/AAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/previews/..%2F..%2Fetc' })).statusCode, 404);
      await call(app, tenant.token, 'DELETE', `/v1/aim/template/${tplId}`);
      assert.equal((await app.inject({ url: url.pathname })).statusCode, 404, 'a deleted template has no preview');
    });

    it('list filters: has_param, factory_type, tpl_type, a registered template without a card', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_admin');
      const withParam = ((await create(app, tenant.token)).body.data as Json).tpl_id;
      const plain = cardBody({ params: [], factorys: [{ factory_type: 'XIAOMI', state: 1 }] });
      const pages = plain.pages as Array<{ contents: Json[] }>;
      pages[0]!.contents[0] = { ...pages[0]!.contents[0], action: { target: 'https://shop.example.com/a' } };
      pages[0]!.contents[1] = { ...pages[0]!.contents[1], content: '您的账单已出。拒收请回复R' };
      const created = await create(app, tenant.token, plain);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const withoutParam = (created.body.data as Json).tpl_id;
      const ids = async (query: string) => (await list(app, tenant.token, query)).templates.map((t) => t.tpl_id);
      assert.deepEqual(new Set(await ids('has_param=true')), new Set([withParam]));
      assert.deepEqual(new Set(await ids('has_param=false')), new Set([withoutParam, '600000001']));
      assert.deepEqual(await ids('factory_type=XIAOMI'), [withoutParam]);
      assert.deepEqual(new Set(await ids('factory_type=OPPO&factory_type=XIAOMI')), new Set([withParam, withoutParam]));
      assert.deepEqual(await ids('factory_type=VIVO'), []);
      assert.deepEqual(await ids('tpl_type=public'), []);
      assert.equal((await list(app, tenant.token, '')).page_info.total, 3);
      const registered = (await list(app, tenant.token, 'tpl_id=600000001')).templates[0] as Json;
      assert.deepEqual([registered.card_id, registered.pages, registered.params, registered.factory_info, registered.audit_state, registered.preview_url],
        [null, null, [], [], 2, null]);
      assert.equal((await call(app, tenant.token, 'GET', '/v1/aim/templates?factory_type=NOKIA')).status, 400);
      assert.equal((await call(app, tenant.token, 'GET', '/v1/aim/templates?has_param=maybe')).status, 400);
    });

    it('refuses each broken rule with a 400 naming the field', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_user');
      const vivo = (extra: Json = {}) => cardBody({ factorys: [{ factory_type: 'VIVO', state: 1 }], ...extra });
      const cases: Array<[string, Json, RegExp]> = [
        ['no card_id', changed('card_id', undefined), /^card_id is required/],
        ['unknown layout', changed('card_id', 'Hologram'), /^card_id must be/],
        ['name too long', changed('tpl_name', '一'.repeat(18)), /^tpl_name must be 1 to 17 characters/],
        ['trial without 测试', changed('use_id', 2), /^tpl_name must contain "测试"/],
        ['commercial with 测试', changed('sms_example', '测试短信'), /^sms_example must not contain "测试"/],
        ['use_id 3', changed('use_id', 3), /^use_id must be 1 \(commercial\) or 2 \(trial\)/],
        ['VIVO without sms_template', vivo(), /^sms_template is required when VIVO/],
        ['VIVO without sms_signs', vivo({ sms_signs: [], sms_template: '您的账单已出[文本1-10]' }), /^sms_signs is required when VIVO/],
        ['sms_template variable', vivo({ sms_template: '您的账单[图片1-2]' }), /^sms_template has "\[图片1-2\]"/],
        ['no opt-out', changed('pages.0.contents.1.content', '您的账单已出${param1}'), /^pages must carry "拒收请回复R"/],
        ['angle bracket', changed('pages.0.contents.1.content', '<b>拒收请回复R</b>'), /^pages\[0\]\.contents\[1\]\.content must not contain <, > or &/],
        ['ampersand in a URL', changed('pages.0.contents.2.action.target', 'https://a.example.com/?a=1&b=2'), /^pages\[0\]\.contents\[2\]\.action\.target must not contain/],
        ['double space', changed('tpl_name', '账单  提醒'), /^tpl_name must not contain two spaces/],
        ['undeclared variable', changed('pages.0.contents.1.content', '${param2} 拒收请回复R'), /^pages\[0\]\.contents\[1\]\.content uses \$\{param2\}/],
        ['bad variable name', changed('params.0.name', 'param1'), /^params\[0\]\.name must be a variable like/],
        ['too many params', changed('params', Array.from({ length: 21 }, (_, i) => ({ name: `\${p${i}}`, type: 1, example: 'x' }))), /^params must be a list of at most 20/],
        ['too many pages', changed('pages', Array.from({ length: 11 }, (_, i) => ({ page_order: i + 1, contents: [{ type: 'text', position_number: 1, content: '拒收请回复R' }] }))), /^pages must be a list of 1 to 10 pages/],
        ['page twice', changed('pages', [...(cardBody().pages as Json[]), ...(cardBody().pages as Json[])]), /^pages\[1\]\.page_order 1 is used by another page/],
        ['image without action', changed('pages.0.contents.0.action_type', undefined, changed('pages.0.contents.0.action', undefined)), /^pages\[0\]\.contents\[0\]\.action_type is required for image/],
        ['action without type', changed('pages.0.contents.0.action_type', undefined), /^pages\[0\]\.contents\[0\]\.action_type is required with an action/],
        ['text without content', changed('pages.0.contents.1.content', undefined), /^pages\[0\]\.contents\[1\]\.content is required for text/],
        ['image without src', changed('pages.0.contents.0.src', undefined), /^pages\[0\]\.contents\[0\]\.src is required for image/],
        ['video without cover', changed('pages.0.contents.0', { type: 'video', position_number: 1, src: 'https://cdn.example.com/v.mp4', src_type: 2 }), /^pages\[0\]\.contents\[0\]\.cover is required for video/],
        ['unknown material', changed('pages.0.contents.0.src_type', 1, changed('pages.0.contents.0.src', '691996319597764608')), /^pages\[0\]\.contents\[0\]\.src names 691996319597764608, which is not a material of this account/],
        ['OPEN_URL over http', changed('pages.0.contents.0.action.target', 'http://shop.example.com/x'), /^pages\[0\]\.contents\[0\]\.action\.target must be a https URL/],
        ['OPPO and a phone call', changed('pages.0.contents.2', { type: 'button', position_number: 3, content: '致电', action_type: 'DIAL_PHONE', action: { target: '4008000000' } }), /^pages\[0\]\.contents\[2\]\.action_type DIAL_PHONE is not supported by OPPO/],
        ['XIAOMI and PureText', changed('factorys', [{ factory_type: 'XIAOMI', state: 1 }], changed('card_id', 'PureText')), /^factorys\[0\]\.factory_type XIAOMI does not support the layout PureText/],
        ['vendor twice', changed('factorys', [{ factory_type: 'HUAWEI', state: 1 }, { factory_type: 'HUAWEI', state: 0 }]), /^factorys\[1\]\.factory_type names HUAWEI twice/],
        ['popup without mode', changed('pages.0.contents.2', { type: 'button', position_number: 3, content: '详情', action_type: 'OPEN_POPUP', action: { target: '详情', content: '是否喜欢', text_button: '确定' } }, changed('factorys', [{ factory_type: 'HUAWEI', state: 1 }])), /^pages\[0\]\.contents\[2\]\.action\.mode is required for OPEN_POPUP/],
        ['a map field on a URL', changed('pages.0.contents.0.action.address', '龙泰利科技大厦'), /^pages\[0\]\.contents\[0\]\.action\.address applies only to action_type OPEN_MAP/],
        ['schedule backwards', changed('pages.0.contents.2', { type: 'button', position_number: 3, content: '日程', action_type: 'OPEN_SCHEDULE', action: { target: '评审', description: '评审需求', begin_time: '2026-07-02 10:00:00', end_time: '2026-07-01 10:00:00' } }, changed('factorys', [{ factory_type: 'HUAWEI', state: 1 }])), /^pages\[0\]\.contents\[2\]\.action\.begin_time must not be later than end_time/],
        ['signature of another account', changed('sms_signs', ['别家']), /^sms_signs\[0\] "别家" is not a signature of this account/],
        ['four signatures', changed('sms_signs', ['a', 'b', 'c', 'd']), /^sms_signs must be a list of at most 3/],
        ['sub_type for the layout', changed('sub_type', 2, changed('card_id', 'RedPacket')), /^sub_type 2 is supported by HUAWEI only, and OPPO/],
        ['position twice', changed('pages.0.contents.2.position_number', 1), /^pages\[0\]\.contents\[2\]\.position_number 1 is used by another content/],
        ['followPub', changed('pages.0.contents.2.type', 'followPub'), /^pages\[0\]\.contents\[2\]\.type must be one of text, image, video, button/],
        ['VIEW_PIC of no image', changed('pages.0.contents.2', { type: 'button', position_number: 3, content: '大图', action_type: 'VIEW_PIC', action: { target: 'https://cdn.example.com/other.jpg' } }, changed('factorys', [{ factory_type: 'HUAWEI', state: 1 }])), /^pages\[0\]\.contents\[2\]\.action\.target must be the src of one of the template's images/],
      ];
      for (const [why, body, message] of cases) {
        const res = await create(app, tenant.token, body);
        assert.equal(res.status, 400, `${why}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error_code, 'KM.80000002', why);
        assert.match(res.body.error_msg as string, message, why);
      }
      assert.equal((await list(app, tenant.token, '')).page_info.total, 1, 'nothing was created');
      const popup = changed('pages.0.contents.2', { type: 'button', position_number: 3, content: '详情', action_type: 'OPEN_POPUP', action: { target: '详情', content: '是否喜欢', text_button: '确定', mode: 0 } }, changed('factorys', [{ factory_type: 'HUAWEI', state: 1 }]));
      assert.equal((await create(app, tenant.token, popup)).status, 200, 'the same pop-up with its mode is fine');
      const trial = changed('use_id', 2, changed('tpl_name', '账单提醒测试'));
      assert.equal((await create(app, tenant.token, trial)).status, 200, 'a trial template names itself 测试');
    });

    it('roles: creating, changing and deleting need te_user or te_admin; any role lists', async () => {
      const { app } = await testStack(store);
      const reader = await createTenant(store, 'readonly');
      for (const [method, url, payload] of [
        ['POST', '/v1/aim/templates', cardBody()], ['PUT', '/v1/aim/template-state/600000001', { tpl_state: 0 }], ['DELETE', '/v1/aim/template/600000001', undefined],
      ] as const) {
        const res = await call(app, reader.token, method, url, payload);
        assert.equal(res.status, 403, `${method} ${url}`);
        assert.equal(res.body.error_code, 'KM.80020000');
      }
      assert.equal((await call(app, reader.token, 'GET', '/v1/aim/templates')).status, 200);
      const user = await createTenant(store, 'te_admin');
      assert.equal((await review(app, user.token, { account: user.account.name, tpl_id: '600000001', decision: 'approve' })).status, 403, 'review is the operator\'s');
    });

    it('only an approved, enabled template is sent; disabling, enabling and deleting', async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const { app } = await testStack(store, { clock });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const operator = await operatorToken(store, clock);
      const tplId = ((await create(app, tenant.token)).body.data as Json).tpl_id as string;
      const send = () => postTask(app, tenant.token, taskBody(phones(2), { resolve_task: { ...(taskBody([]).resolve_task as Json), tpl_id: tplId, params: [{ cust_flag: '13100000000' }] } }));
      const reviewing = await send();
      assert.equal(reviewing.statusCode, 400);
      assert.equal((reviewing.json() as Json).error_code, 'KM.00001082');
      assert.match((reviewing.json() as Json).error_msg as string, /under review/);

      const approved = await review(app, operator, { account: tenant.account.name, tpl_id: tplId, decision: 'approve', factory: 'OPPO' });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.deepEqual(approved.body, {
        tpl_id: tplId, tpl_state: 1, audit_state: 2, audit_desc: 'Approved',
        factory_info: [{ factory_type: 'HuaWei', state: 2 }, { factory_type: 'OPPO', state: 1 }],
      });
      const sent = await send();
      assert.equal(sent.statusCode, 200, sent.body);
      const taskId = (sent.json() as Json).task_id as string;

      now += 60_000;
      const disable = await call(app, tenant.token, 'PUT', `/v1/aim/template-state/${tplId}`, { tpl_state: 0 });
      assert.deepEqual(disable, { status: 200, body: { status: '200', message: 'success', data: null } });
      let t = (await list(app, tenant.token, `tpl_id=${tplId}`)).templates[0] as Json;
      assert.deepEqual([t.tpl_state, t.disable_time, t.disable_desc, t.update_time], [0, new Date(now).toISOString(), 'Disabled by the account', new Date(now).toISOString()]);
      const disabled = await send();
      assert.equal((disabled.json() as Json).error_code, 'KM.00001082');
      assert.match((disabled.json() as Json).error_msg as string, /disabled/);
      assert.equal((await call(app, tenant.token, 'PUT', `/v1/aim/template-state/${tplId}`, { tpl_state: 1 })).status, 200);
      t = (await list(app, tenant.token, `tpl_id=${tplId}`)).templates[0] as Json;
      assert.deepEqual([t.tpl_state, t.disable_time, t.disable_desc], [1, null, null]);
      for (const [payload, message] of [[{}, /^tpl_state is required/], [{ tpl_state: 2 }, /^tpl_state must be 0 \(disable\) or 1 \(enable\)/]] as const) {
        const bad = await call(app, tenant.token, 'PUT', `/v1/aim/template-state/${tplId}`, payload);
        assert.equal(bad.status, 400);
        assert.match(bad.body.error_msg as string, message);
      }

      // The official SDKs send DELETE with a JSON content type and no body.
      const deleted = await call(app, tenant.token, 'DELETE', `/v1/aim/template/${tplId}`, undefined, { 'content-type': 'application/json' });
      assert.deepEqual(deleted, { status: 200, body: { status: '200', message: 'success', data: null } });
      assert.equal((await list(app, tenant.token, `tpl_id=${tplId}`)).page_info.total, 0);
      assert.equal(((await send()).json() as Json).error_code, 'KM.00001080');
      for (const [method, url, payload] of [['DELETE', `/v1/aim/template/${tplId}`, undefined], ['PUT', `/v1/aim/template-state/${tplId}`, { tpl_state: 0 }], ['DELETE', '/v1/aim/template/999999999', undefined]] as const) {
        const gone = await call(app, tenant.token, method, url, payload);
        assert.equal(gone.status, 400, `${method} ${url}`);
        assert.equal(gone.body.error_code, 'KM.00001080');
      }
      const details = (await getDetails(app, tenant.token, `task_id=${taskId}&offset=0&limit=10`)).body.send_details;
      assert.equal(details.length, 1);
      assert.deepEqual([details[0]?.tpl_id, details[0]?.tpl_name], [tplId, '账单提醒'], 'details keep the deleted template\'s id and name');
      const stranger = await tenantWithReferences(store, 'te_admin');
      assert.equal((await call(app, stranger.token, 'PUT', `/v1/aim/template-state/${tplId}`, { tpl_state: 0 })).body.error_code, 'KM.00001080', 'another account\'s template does not exist here');
    });

    it('review: per vendor, overall state, and every change pushed to the url_type 1 URL, through an outage', { timeout: 30_000 }, async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker } = await testStack(store, { clock, allowPrivate: true, receipts: { timeoutMs: 400 } });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const operator = await operatorToken(store, clock);
      const registered = await call(app, tenant.token, 'POST', '/v1/aim/callbacks', { callback_url: `${base}/template-status`, url_type: 1 });
      assert.equal(registered.status, 200);
      const tplId = ((await create(app, tenant.token)).body.data as Json).tpl_id as string;
      const audit = async () => ((await list(app, tenant.token, `tpl_id=${tplId}`)).templates[0] as Json).audit_state;

      await receiver.down();
      const steps: Array<[Json, number]> = [
        [{ decision: 'reject', factory: 'HUAWEI', reason: '图片不清晰' }, 1],
        [{ decision: 'reject', factory: 'OPPO' }, 3],
        [{ decision: 'approve', factory: 'HUAWEI' }, 2],
      ];
      for (const [decision, expected] of steps) {
        now += 1000;
        const res = await review(app, operator, { account: tenant.account.name, tpl_id: tplId, ...decision });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(await audit(), expected, JSON.stringify(decision));
      }
      const again = await review(app, operator, { account: tenant.account.name, tpl_id: tplId, decision: 'approve', factory: 'HUAWEI' });
      assert.equal(again.status, 200, 'approving again is fine and changes nothing');
      assert.equal((await review(app, operator, { account: tenant.account.name, tpl_id: tplId, decision: 'approve', factory: 'VIVO' })).status, 400, 'not submitted to VIVO');
      assert.equal((await review(app, operator, { account: 'nobody', tpl_id: tplId, decision: 'approve' })).status, 400);
      assert.equal((await review(app, operator, { account: tenant.account.name, tpl_id: tplId, decision: 'maybe' })).status, 400);

      now += 1000;
      assert.equal((await call(app, tenant.token, 'PUT', `/v1/aim/template-state/${tplId}`, { tpl_state: 0 })).status, 200);
      await worker.drain();
      assert.equal(receiver.received.length, 0, 'the receiver is down');
      assert.ok(await store.outbox.pending() >= 4, 'the receipts wait in the outbox');

      await receiver.start();
      now += 11 * 60_000;
      await worker.drain();
      assert.equal(await store.outbox.pending(), 0);
      const pushed = receiver.received.filter((r) => r.path === '/template-status').map((r) => r.envelope as unknown as Json);
      const expected = [
        { tpl_id: tplId, tpl_state: 1, audit_state: 1, audit_desc: null, factory_info: [{ factory_type: 'HuaWei', state: 0 }, { factory_type: 'OPPO', state: 2 }] },
        { tpl_id: tplId, tpl_state: 1, audit_state: 3, audit_desc: 'Rejected', factory_info: [{ factory_type: 'HuaWei', state: 0 }, { factory_type: 'OPPO', state: 0 }] },
        { tpl_id: tplId, tpl_state: 1, audit_state: 2, audit_desc: 'Approved', factory_info: [{ factory_type: 'HuaWei', state: 1 }, { factory_type: 'OPPO', state: 0 }] },
        { tpl_id: tplId, tpl_state: 0, audit_state: 2, audit_desc: 'Approved', factory_info: [{ factory_type: 'HuaWei', state: 1 }, { factory_type: 'OPPO', state: 0 }] },
      ];
      const unique = [...new Map(pushed.map((p) => [JSON.stringify(p), p])).values()];
      assert.deepEqual(new Set(unique.map((p) => JSON.stringify(p))), new Set(expected.map((p) => JSON.stringify(p))), 'every change arrived, as plain JSON');
    });

    it('auto-approval: a new template is approved for every vendor at once and its status pushed', async () => {
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker } = await testStack(store, { allowPrivate: true, templateAutoApprove: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      await call(app, tenant.token, 'POST', '/v1/aim/callbacks', { callback_url: `${base}/status`, url_type: 1 });
      const tplId = ((await create(app, tenant.token)).body.data as Json).tpl_id as string;
      const t = (await list(app, tenant.token, `tpl_id=${tplId}`)).templates[0] as Json;
      assert.equal(t.audit_state, 2);
      assert.deepEqual((t.factory_info as Json[]).map((f) => f.state), [1, 1]);
      await worker.drain();
      assert.deepEqual(receiver.received.map((r) => r.envelope as unknown as Json), [{
        tpl_id: tplId, tpl_state: 1, audit_state: 2, audit_desc: null, factory_info: [{ factory_type: 'HuaWei', state: 1 }, { factory_type: 'OPPO', state: 1 }],
      }]);
      const sent = await postTask(app, tenant.token, taskBody(phones(1), { resolve_task: { ...(taskBody([]).resolve_task as Json), tpl_id: tplId, params: [{ cust_flag: '13100000000' }] } }));
      assert.equal(sent.statusCode, 200, sent.body);
      await receiver.down();
    });
  });
}
