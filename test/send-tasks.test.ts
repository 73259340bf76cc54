import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulatedOutcome } from '../src/pipeline/simulator.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, getDetails, NOW, testApp, testStack } from './helpers/factories.js';
import { phones, postTask, SIGN, taskBody, tenantWithReferences, TPL_ID, TPL_NAME } from './helpers/pipeline.js';

type Json = Record<string, unknown>;

function clone(body: Json): Json & { sms_channel: Json; resolve_task: Json & { params: Json[] } } {
  return structuredClone(body) as Json & { sms_channel: Json; resolve_task: Json & { params: Json[] } };
}

for (const backend of BACKENDS) {
  describe(`send tasks on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('a task sent over HTTP is delivered by the simulator; details, task counters and the daily report agree', async () => {
      const seed = 11;
      const { app, worker } = await testStack(store, { simulator: { delayMs: 0, failRatio: 0.5, seed } });
      const tenant = await tenantWithReferences(store);
      const recipients = phones(20);
      const res = await postTask(app, tenant.token, taskBody(recipients));
      assert.equal(res.statusCode, 200, res.body);
      const created = res.json() as Json & { task_id: string; resolve_task: { params: Array<{ cust_flag: string; msg_id: string }> } };
      assert.match(created.task_id, /^[0-9a-f-]{36}$/);
      assert.equal(created.task_state, 'Success');
      assert.equal(created.creation_time, new Date(NOW).toISOString());
      assert.equal(created.submission_count, 20);
      assert.equal(created.send_count, 20);
      assert.equal(created.support_resolve_count, -1);
      assert.deepEqual(created.failed_short_chains, []);
      assert.deepEqual((created.sms_channel as Json).sms_tpl_id, '15010661', 'a numeric sms_tpl_id is echoed as text');
      const msgIds = created.resolve_task.params.map((p) => p.msg_id);
      assert.deepEqual(created.resolve_task.params.map((p) => p.cust_flag), recipients);
      for (const id of msgIds) assert.match(id, /^[0-9a-f-]{36}_[0-9]{9}$/);
      assert.equal(new Set(msgIds).size, 20);

      const before = await getDetails(app, tenant.token, `task_id=${created.task_id}&offset=0&limit=100`);
      assert.equal(before.body.page_info.total, 20);
      for (const row of before.body.send_details) {
        assert.equal(row.send_status, 'sending');
        assert.equal(row.receive_time, null);
        assert.equal(row.cust_flag, row.send_account);
        assert.equal(row.tpl_name, TPL_NAME);
        assert.equal(row.task_name, '会员日通知');
      }

      await worker.drain();
      assert.equal(await store.outbox.pending(), 0, 'every dispatch and report job is done');

      const after = await getDetails(app, tenant.token, `task_id=${created.task_id}&offset=0&limit=100`);
      let success = 0;
      for (const row of after.body.send_details) {
        const expected = simulatedOutcome(seed, row.msg_id as string, 0.5);
        if (expected.status === 'DELIVRD') {
          success += 1;
          assert.equal(row.send_status, 'success');
          assert.equal(row.result_code, null);
        } else {
          assert.equal(row.send_status, 'fail');
          assert.equal(row.result_code, expected.status);
        }
        assert.equal(row.receive_time, '2026-06-15T12:00:00Z');
      }
      assert.ok(success > 0 && success < 20, `the seed gives a mix (${success} of 20 delivered)`);

      const tasks = await app.inject({ url: `/v1/aim/send-tasks?task_id=${created.task_id}`, headers: { 'x-auth-token': tenant.token } });
      assert.equal(tasks.statusCode, 200, tasks.body);
      const task = (tasks.json() as { aim_send_tasks: Json[] }).aim_send_tasks[0] as Json;
      assert.equal(task.success_number, success);
      assert.equal(task.fail_number, 20 - success);
      assert.equal(task.sending_number, 0);
      assert.equal(task.send_count, 20);
      assert.equal(task.submission_count, 20);
      assert.deepEqual(task.sms_channel, { channel_number: '10690001', sms_tpl_id: '15010661', sms_sign: SIGN, sms_app_name: 'aim-app' });

      const report = await app.inject({ method: 'POST', url: '/v1/aim/send-reports', headers: { 'x-auth-token': tenant.token }, payload: { tpl_id: TPL_ID } });
      assert.equal(report.statusCode, 200, report.body);
      const envelope = report.json() as { status: string; message: string; data: { data_list: Json[]; page_info: Json } };
      assert.equal(envelope.status, '200');
      assert.equal(envelope.message, 'success');
      assert.deepEqual(envelope.data.data_list, [{
        report_time: '2026-06-15', tpl_id: TPL_ID, tpl_name: TPL_NAME, submission_count: 20, support_resolve_count: 0,
        send_count: 20, send_success_count: success, send_fail_count: 20 - success, resolve_success_count: 0,
      }]);
      const monthly = await app.inject({ method: 'POST', url: '/v1/aim/send-reports', headers: { 'x-auth-token': tenant.token }, payload: { report_type: '2' } });
      assert.equal((monthly.json() as { data: { data_list: Json[] } }).data.data_list[0]?.report_time, '2026-06');
    });

    it('every documented validation answers 400 with KooMessage\'s code', async () => {
      const app = await testApp(store);
      const tenant = await tenantWithReferences(store);
      const base = taskBody(phones(2));
      const cases: Array<[string, string, (b: ReturnType<typeof clone>) => unknown]> = [
        ['KM.90016414', 'blank task_name', (b) => ({ ...b, task_name: '  ' })],
        ['KM.90016414', 'no task_name', (b) => { delete b.task_name; return b; }],
        ['KM.90016414', 'no sms_channel', (b) => { delete (b as Json).sms_channel; return b; }],
        ['KM.00001075', 'empty signature', (b) => { b.sms_channel.sms_sign = ''; return b; }],
        ['KM.00001075', 'no signature', (b) => { delete b.sms_channel.sms_sign; return b; }],
        ['KM.00001076', 'signature over 18', (b) => { b.sms_channel.sms_sign = 'x'.repeat(19); return b; }],
        ['KM.80000002', 'unknown signature', (b) => { b.sms_channel.sms_sign = '别的签名'; return b; }],
        ['KM.80000002', 'channel number of another signature', (b) => { b.sms_channel.channel_number = '10690099'; return b; }],
        ['KM.80000002', 'app name of another signature', (b) => { b.sms_channel.sms_app_name = 'other'; return b; }],
        ['KM.90016414', 'no sms_tpl_id', (b) => { delete b.sms_channel.sms_tpl_id; return b; }],
        ['KM.80000002', 'sms_tpl_id not an id', (b) => { b.sms_channel.sms_tpl_id = 1.5; return b; }],
        ['KM.90016414', 'no channel_number', (b) => { delete b.sms_channel.channel_number; return b; }],
        ['KM.90016414', 'no resolve_task', (b) => { delete (b as Json).resolve_task; return b; }],
        ['KM.00001081', 'empty tpl_id', (b) => { b.resolve_task.tpl_id = ''; return b; }],
        ['KM.00001080', 'tpl_id not 9 digits', (b) => { b.resolve_task.tpl_id = '12345'; return b; }],
        ['KM.00001080', 'unknown tpl_id', (b) => { b.resolve_task.tpl_id = '699999999'; return b; }],
        ['KM.90016418', 'group code type', (b) => { b.resolve_task.aim_code_type = 'group'; return b; }],
        ['KM.80000002', 'resolve_times 0', (b) => { b.resolve_task.resolve_times = 0; return b; }],
        ['KM.80000002', 'expiration_time 8', (b) => { b.resolve_task.expiration_time = 8; return b; }],
        ['KM.80000002', 'expiration_time as text', (b) => { b.resolve_task.expiration_time = '7'; return b; }],
        ['KM.80000002', 'generation_type 3', (b) => { b.resolve_task.generation_type = '3'; return b; }],
        ['KM.80000002', 'custom codes without a domain', (b) => { b.resolve_task.generation_type = '2'; return b; }],
        ['KM.00001083', 'no recipients', (b) => { b.resolve_task.params = []; return b; }],
        ['KM.00001083', 'params missing', (b) => { delete (b.resolve_task as Json).params; return b; }],
        ['KM.90016416', '101 recipients', (b) => { b.resolve_task.params = phones(101).map((p) => ({ cust_flag: p })); return b; }],
        ['KM.90016414', 'recipient without cust_flag', (b) => { b.resolve_task.params = [{}]; return b; }],
        ['KM.80000002', 'cust_flag not a phone', (b) => { b.resolve_task.params = [{ cust_flag: '130****0001' }]; return b; }],
        ['KM.80000002', 'custom_url not http', (b) => { b.resolve_task.params = [{ cust_flag: '13100000000', custom_url: 'ftp://x.cn/a' }]; return b; }],
        ['KM.80000002', 'short code too short', (b) => { b.resolve_task.params = [{ cust_flag: '13100000000', custom_short_code: 'ab' }]; return b; }],
        ['KM.80000002', '20 sms_params', (b) => { b.resolve_task.params = [{ cust_flag: '13100000000', sms_params: Array(20).fill('x') }]; return b; }],
        ['KM.80000002', 'sms_param over 20', (b) => { b.resolve_task.params = [{ cust_flag: '13100000000', sms_params: ['x'.repeat(21)] }]; return b; }],
        ['KM.80000002', 'body is an array', () => []],
      ];
      for (const [code, label, mutate] of cases) {
        const res = await postTask(app, tenant.token, mutate(clone(base)));
        assert.equal(res.statusCode, 400, `${label}: ${res.body}`);
        const body = res.json() as { error_code: string; error_msg: string };
        assert.equal(body.error_code, code, `${label}: ${body.error_msg}`);
        assert.ok(body.error_msg.length > 0);
      }
      const notJson = await app.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': tenant.token, 'content-type': 'application/json' }, payload: '{"task_name":' });
      assert.equal(notJson.statusCode, 400);
      // A disabled template is refused with its own code.
      await store.db.updateTable('templates').set({ tpl_state: 0 }).where('account_id', '=', tenant.account.id).execute();
      const disabled = await postTask(app, tenant.token, base);
      assert.equal((disabled.json() as { error_code: string }).error_code, 'KM.00001082');
      const total = await getDetails(app, tenant.token, 'offset=0&limit=1');
      assert.equal(total.body.page_info.total, 0, 'no refused request left a detail behind');
    });

    it('a request with a JSON content type and no body is taken as bodiless: optional bodies default, required ones are named', async () => {
      const app = await testApp(store);
      const tenant = await tenantWithReferences(store, 'te_admin');
      const headers = { 'x-auth-token': tenant.token, 'content-type': 'application/json' };
      const report = await app.inject({ method: 'POST', url: '/v1/aim/send-reports', headers });
      assert.equal(report.statusCode, 200, report.body);
      assert.deepEqual((report.json() as { data: { page_info: unknown } }).data.page_info, { offset: 0, limit: 20, total: 0 });
      const task = await app.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers });
      assert.equal(task.statusCode, 400);
      assert.deepEqual([(task.json() as { error_code: string }).error_code, (task.json() as { error_msg: string }).error_msg], ['KM.90016414', 'the request body is required']);
      const callback = await app.inject({ method: 'POST', url: '/v1/aim/callbacks', headers });
      assert.equal(callback.statusCode, 400);
      assert.equal((callback.json() as { error_code: string }).error_code, 'KM.80000002');
      for (const url of ['/v1/aim/send-details?offset=0&limit=1', '/v1/aim/send-tasks', '/v1/aim/templates', '/v1/aim/callbacks']) {
        assert.equal((await app.inject({ url, headers })).statusCode, 200, url);
      }
      const broken = await app.inject({ method: 'POST', url: '/v1/aim/send-reports', headers, payload: '{"tpl_id":' });
      assert.equal(broken.statusCode, 400, 'malformed JSON is still refused');
    });

    it('a readonly user may list tasks but not send; the template must be the caller\'s own', async () => {
      const app = await testApp(store);
      const reader = await tenantWithReferences(store, 'readonly');
      const denied = await postTask(app, reader.token, taskBody(phones(1)));
      assert.equal(denied.statusCode, 403);
      assert.equal((denied.json() as { error_code: string }).error_code, 'KM.80020000');
      const list = await app.inject({ url: '/v1/aim/send-tasks', headers: { 'x-auth-token': reader.token } });
      assert.equal(list.statusCode, 200);
      const stranger = await createTenant(store, 'te_admin');
      const foreign = await postTask(app, stranger.token, taskBody(phones(1)));
      assert.equal((foreign.json() as { error_code: string }).error_code, 'KM.00001080', 'another account\'s template does not exist for this one');
    });

    it('lists tasks newest first: the last 7 days by default, filters, the 10000 window, bad parameters', async () => {
      const tenant = await tenantWithReferences(store);
      const old = await testApp(store, () => new Date(NOW - 8 * 86_400_000));
      const oldTask = (await postTask(old, tenant.token, taskBody(phones(1), { task_name: 'old' }))).json() as { task_id: string };
      const app = await testApp(store);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const later = await testApp(store, () => new Date(NOW - (3 - i) * 60_000));
        ids.push(((await postTask(later, tenant.token, taskBody(phones(2), { task_name: `t${i}` }))).json() as { task_id: string }).task_id);
      }
      const get = async (query: string) => {
        const res = await app.inject({ url: `/v1/aim/send-tasks?${query}`, headers: { 'x-auth-token': tenant.token } });
        return { status: res.statusCode, body: res.json() as { aim_send_tasks: Array<Json & { task_id: string }>; page_info: Json; error_code?: string } };
      };
      const recent = await get('');
      assert.deepEqual(recent.body.aim_send_tasks.map((t) => t.task_id), [...ids].reverse());
      assert.deepEqual(recent.body.page_info, { offset: 0, limit: 20, total: 3 });
      const all = await get(`begin_time=${new Date(NOW - 10 * 86_400_000).toISOString()}&end_time=2026-06-15T12:00:00Z`);
      assert.equal(all.body.page_info.total, 4);
      assert.equal(all.body.aim_send_tasks.at(-1)?.task_id, oldTask.task_id);
      assert.deepEqual((await get('task_name=t1')).body.aim_send_tasks.map((t) => t.task_id), [ids[1]]);
      assert.equal((await get(`tpl_name=${encodeURIComponent(TPL_NAME)}`)).body.page_info.total, 3);
      assert.equal((await get('tpl_name=nope')).body.page_info.total, 0);
      assert.equal((await get('task_status=Fail')).body.page_info.total, 0);
      assert.equal((await get('task_status=Success')).body.page_info.total, 3);
      const page = await get('offset=1&limit=1');
      assert.deepEqual(page.body.aim_send_tasks.map((t) => t.task_id), [ids[1]]);
      const beyond = await get('offset=9999&limit=2');
      assert.deepEqual(beyond.body, { aim_send_tasks: [], page_info: { offset: 9999, limit: 2, total: 3 } });
      for (const [query, code] of [
        ['limit=0', 'KM.80000002'], ['limit=101', 'KM.80000002'], ['offset=-1', 'KM.80000002'],
        ['begin_time=2026-06-01T00:00:00Z', 'KM.90016458'], ['task_status=Done', 'KM.80000002'],
        ['begin_time=2025-01-01T00:00:00Z&end_time=2026-06-01T00:00:00Z', 'KM.90016459'],
        ['begin_time=2026-06-10&end_time=2026-06-11', 'KM.90016458'],
      ] as const) {
        const res = await get(query);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error_code, code, query);
      }
    });

    it('lists templates with their filters', async () => {
      const app = await testApp(store);
      const tenant = await tenantWithReferences(store, 'readonly');
      const get = async (query: string) => {
        const res = await app.inject({ url: `/v1/aim/templates?${query}`, headers: { 'x-auth-token': tenant.token } });
        return { status: res.statusCode, body: res.json() as { templates: Json[]; page_info: Json; error_code?: string } };
      };
      const all = await get('');
      assert.deepEqual(all.body.templates, [{
        tpl_id: TPL_ID, tpl_name: TPL_NAME, tpl_state: 1, audit_state: 2, audit_desc: null, description: null, scene: null,
        card_id: null, match_type: null, sub_type: null, pages: null, params: [], factory_info: [], preview_url: null,
        tpl_type: 'private', creation_time: new Date(NOW).toISOString(), update_time: null, disable_time: null, disable_desc: null,
      }]);
      assert.deepEqual(all.body.page_info, { offset: 0, limit: 20, total: 1 });
      assert.equal((await get(`tpl_id=${TPL_ID}`)).body.page_info.total, 1);
      assert.equal((await get('tpl_id=600000009')).body.page_info.total, 0);
      assert.equal((await get('tpl_type=public')).body.page_info.total, 0);
      assert.equal((await get('factory_type=HUAWEI&factory_type=OPPO')).body.page_info.total, 0, 'a registered template was submitted to no vendor');
      assert.equal((await get('has_param=false')).body.page_info.total, 1);
      assert.equal((await get('factory_type=NOKIA')).status, 400);
      assert.equal((await get('has_param=maybe')).status, 400);
    });
  });
}
