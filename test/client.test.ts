import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import type { FastifyInstance } from 'fastify';
import { AimLedgerClient, ApiError, type CreateTemplateRequest, signRequest } from '../packages/client/src/index.js';
import { systemClock } from '../src/domain/clock.js';
import { formatSdkDate } from '../src/identity/signature.js';
import type { OutboxWorker } from '../src/pipeline/outbox-worker.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody } from './helpers/card-body.js';
import { detail, testKeyring, testStack } from './helpers/factories.js';
import { operatorToken, phones, taskBody, tenantWithReferences, TPL_ID } from './helpers/pipeline.js';
import { insertSendDetails } from '../src/service/ledger.js';

describe('client signer', () => {
  it('signs byte for byte as the official SDK core for the same request', async () => {
    const now = Date.parse('2026-06-15T12:00:00Z');
    for (const [method, path, query, body] of [
      ['GET', '/v1/aim/send-details', 'offset=0&limit=10&sms_sign=%E5%8D%8E%E4%B8%BA%E4%BA%91', undefined],
      ['POST', '/v1/aim/send-tasks', '', { task_name: '通知 "x"', n: 1 }],
    ] as const) {
      const url = new URL(`http://aimledger.test:8080${path}${query ? `?${query}` : ''}`);
      const headers: Record<string, string> = body ? { 'Content-Type': 'application/json' } : {};
      const ours = await signRequest({ method, url, headers, body: body ? JSON.stringify(body) : '', accessKey: 'AK', secretKey: 'SK', now });
      const official = AKSKSigner.sign({
        endpoint: url.origin + url.pathname, method, headers: { ...headers, 'X-Sdk-Date': formatSdkDate(now) },
        queryParams: Object.fromEntries(url.searchParams), data: body,
      } as never, new BasicCredentials().withAk('AK').withSk('SK')) as Record<string, string>;
      assert.equal(ours.Authorization, official.Authorization, `${method} ${path}`);
    }
  });
});

for (const backend of BACKENDS) {
  describe(`client against a live server on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));
    let app: FastifyInstance;
    let worker: OutboxWorker;
    let endpoint: string;
    before(async () => {
      // The client signs with the real time, so the server runs on the real clock.
      ({ app, worker } = await testStack(store, { clock: systemClock }));
      await app.listen({ host: '127.0.0.1', port: 0 });
      endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    });
    after(async () => app.close());

    it('every method, with a token and with AK/SK; errors are typed; the iterator walks every page', async () => {
      const tenant = await tenantWithReferences(store, 'te_user');
      const admin = new IdentityAdmin(store, systemClock);
      await admin.createUser(tenant.account.name, 'bob', 'te_user', 'bob-password');
      const keys = await admin.createAccessKey(tenant.account.name, 'bob', testKeyring);
      const now = Date.now();
      const rows = Array.from({ length: 250 }, (_, i) => detail({ sendTime: now - 60_000 - i * 1000, tplId: i % 2 ? TPL_ID : '600000009' }));
      await insertSendDetails(store, tenant.account.id, rows, now);

      const anonymous = new AimLedgerClient({ endpoint });
      const signedIn = await anonymous.createToken({ user: 'bob', password: 'bob-password', domain: { name: tenant.account.name } });
      assert.match(signedIn.token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(signedIn.body.token.user.name, 'bob');
      const wrong = await anonymous.createToken({ user: 'bob', password: 'nope', domain: { name: tenant.account.name } }).catch((e: unknown) => e);
      assert.ok(wrong instanceof ApiError);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.errorMsg, 'The username or password is wrong.');
      assert.match(wrong.requestId ?? '', /^[0-9a-f]{32}$/);

      const byToken = new AimLedgerClient({ endpoint, credentials: { token: signedIn.token } });
      const byKey = new AimLedgerClient({ endpoint, credentials: { accessKey: keys.accessKey, secretKey: keys.secretKey, projectId: tenant.account.projectId } });
      assert.equal((await byToken.validateToken(signedIn.token)).token.user.name, 'bob');

      for (const client of [byToken, byKey]) {
        const page = await client.listSendDetails({ offset: 10, limit: 5, tpl_id: TPL_ID });
        assert.equal(page.page_info.total, 125);
        assert.equal(page.send_details.length, 5);
        const all: string[] = [];
        for await (const row of client.iterateSendDetails({}, 40)) all.push(row.msg_id);
        assert.deepEqual(all, [...rows].sort((a, b) => b.sendTime - a.sendTime).map((r) => r.msgId));
        const fails: string[] = [];
        for await (const row of client.iterateSendDetails({ send_status: 'fail' })) fails.push(row.msg_id);
        assert.equal(fails.length, rows.filter((r) => r.sendStatus === 'fail').length);

        const bad = await client.listSendDetails({ offset: 0, limit: 101 }).catch((e: unknown) => e);
        assert.ok(bad instanceof ApiError);
        assert.equal(bad.status, 400);
        assert.equal(bad.errorCode, 'KM.80000002');
        assert.match(bad.errorMsg, /limit/);

        const exported = await client.exportSendDetails({ format: 'ndjson', tpl_id: TPL_ID });
        const text = await new Response(exported).text();
        assert.equal(text.trimEnd().split('\n').length, 125);
      }
      for (const client of [byToken, byKey]) {
        const created = await client.createSendTask(taskBody(phones(3)) as never);
        assert.equal(created.submission_count, 3);
        const tasks = await client.listSendTasks({ task_id: created.task_id });
        assert.equal(tasks.aim_send_tasks[0]?.sending_number, 3);
        const links = await client.listResolveDetails({ task_id: created.task_id, offset: 0, limit: 10 });
        assert.equal(links.page_info.total, 3);
        assert.ok(links.resolve_details.every((d) => d.resolved_status === 'unresolved'));
        const resolveTask = await client.createResolveTask({ tpl_id: TPL_ID, aim_code_type: 'individual', expiration_time: 1, resolving_times: 1, sms_signs: ['华为云'], params: [{ cust_flag: 'c1' }] });
        assert.equal((await client.listResolveTasks({ task_id: resolveTask.task_id })).resolve_tasks[0]?.params[0]?.aim_code, resolveTask.params[0]?.aim_code);
        const day = new Date().toISOString().slice(0, 10);
        assert.equal((await client.listTemplateReports({ tpl_ids: [TPL_ID], begin_time: `${day}T00:00:00Z`, end_time: `${day}T23:59:59Z` })).page_info.total, 0, 'nothing opened yet');
        const reports = await client.listSendReports({ tpl_id: TPL_ID });
        assert.equal(reports.status, '200');
        assert.ok(reports.data.data_list.length > 0);
        const templates = await client.listTemplates({ tpl_id: TPL_ID });
        assert.equal(templates.templates[0]?.tpl_id, TPL_ID);
      }
      // Cards and materials, signed both ways (DELETE with no body, a 7 MB-capable upload route).
      for (const client of [byToken, byKey]) {
        const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
        const uploaded = await client.uploadMaterial({ resource_type: 'image', file_type: 'stream', file_name: 'a.png', image_rate: 'oneToOne', file_stream: `data:image/png;base64,${png.toString('base64')}` });
        const materials = await client.listMaterials({ resource_type: 'image', offset: 1, limit: 10, material_id: uploaded.data.material_id });
        assert.equal(materials.data.results[0]?.aim_resource_id, uploaded.data.aim_resource_id);
        const body = cardBody() as never as CreateTemplateRequest;
        body.pages[0]!.contents[0] = { ...body.pages[0]!.contents[0]!, src: uploaded.data.aim_resource_id, src_type: 1 };
        const created = await client.createTemplate(body);
        assert.match(created.data.tpl_id, /^[0-9]{9}$/);
        assert.equal((await client.setTemplateState(created.data.tpl_id, 0)).status, '200');
        assert.equal((await client.listTemplates({ tpl_id: created.data.tpl_id })).templates[0]?.tpl_state, 0);
        const inUse = await client.deleteMaterials([uploaded.data.material_id]).catch((e: unknown) => e);
        assert.ok(inUse instanceof ApiError && inUse.status === 400);
        assert.equal((await client.deleteTemplate(created.data.tpl_id)).status, '200');
        assert.equal((await client.deleteMaterials([uploaded.data.material_id])).status, '200');
        const noThumbs = await client.listThumbnails(uploaded.data.aim_resource_id).catch((e: unknown) => e);
        assert.ok(noThumbs instanceof ApiError && noThumbs.status === 400, 'a deleted image has no thumbnails');
      }
      await worker.drain();
      const tasks = await byKey.listSendTasks();
      assert.ok(tasks.aim_send_tasks.every((t) => t.sending_number === 0), 'the simulator delivered the tasks sent through the client');

      // Operators use the same client; customers get a typed 403.
      const operator = new AimLedgerClient({ endpoint, credentials: { token: await operatorToken(store, systemClock) } });
      const result = await operator.ingestDeliveryReports([{ msg_id: 'nobody_1', status: 'DELIVRD', receive_time: '2026-06-15T12:00:00Z' }]);
      assert.equal(result.parked, 1);
      const denied = await byKey.ingestDeliveryReports([]).catch((e: unknown) => e);
      assert.ok(denied instanceof ApiError);
      assert.equal(denied.status, 403);
      assert.equal(denied.errorCode, 'KM.80020000');
      const forged = new AimLedgerClient({ endpoint, credentials: { accessKey: keys.accessKey, secretKey: 'wrong' } });
      const refused = await forged.listSendDetails({ offset: 0, limit: 1 }).catch((e: unknown) => e);
      assert.ok(refused instanceof ApiError);
      assert.equal(refused.errorCode, 'APIG.0301');

      // An injected fetch sees every request.
      const seen: string[] = [];
      const spy = new AimLedgerClient({ endpoint, credentials: { token: signedIn.token }, fetch: async (input, init) => { seen.push(String(input)); return fetch(input, init); } });
      await spy.listTemplates();
      assert.deepEqual(seen, [`${endpoint}/v1/aim/templates`]);
    });
  });
}
