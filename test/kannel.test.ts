import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { getDetails, testStack } from './helpers/factories.js';
import { BEARERBOX, SMSBOX, startKannel } from './helpers/kannel.js';
import { CHANNEL, postTask, SIGN, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';
import { freePort } from './helpers/net.js';
import { until } from './helpers/poll.js';

/** `.ci/run` installs Debian's kannel and sets AIMLEDGER_TEST_KANNEL, so CI never skips this. */
const required = process.env.AIMLEDGER_TEST_KANNEL !== undefined;
const available = existsSync(BEARERBOX) && existsSync(SMSBOX);
if (!available && required) throw new Error('AIMLEDGER_TEST_KANNEL is set but Kannel is not installed (apt-get install kannel)');
if (!available) process.stdout.write('Kannel tests skipped: no bearerbox/smsbox (apt-get install kannel).\n');


const CONTENT = '您的会员日礼券已到账：${1}，有效期 ${2} 天，详情 ${aim_url}';

for (const backend of BACKENDS) {
  describe(`Kannel channel on ${backend.name}`, { skip: !available }, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('a task goes through a real Kannel: delivered, failed and rejected reach their final status, in details and receipts; Chinese text intact', { timeout: 120_000 }, async () => {
      const kannel = await startKannel();
      const receiver = new Receiver();
      const receiverBase = await receiver.start();
      const port = await freePort();
      const secret = 'dlr-secret-0123456789';
      const { app, worker } = await testStack(store, {
        clock: systemClock, allowPrivate: true,
        kannel: { sendsmsUrl: kannel.sendsmsUrl, username: kannel.username, password: kannel.password, dlrBaseUrl: `http://127.0.0.1:${port}`, dlrSecret: secret },
      });
      await app.listen({ host: '127.0.0.1', port });
      worker.start();
      try {
        const tenant = await tenantWithReferences(store, 'te_admin');
        const token = (await new IdentityAdmin(store, systemClock).createToken(tenant.account.name, 'alice')).token;
        await store.smsTemplates.upsert(tenant.account.id, '15010661', CONTENT, Date.now());
        await app.inject({ method: 'POST', url: '/v1/aim/callbacks', headers: { 'x-auth-token': token }, payload: { callback_url: `${receiverBase}/r` } });
        const body = taskBody(['13100000001', '13100000002', '13100000016', '13100000004']) as { resolve_task: { params: Array<Record<string, unknown>> } };
        for (const p of body.resolve_task.params) p.sms_params = ['满100减20', '7'];
        const created = (await postTask(app, token, body)).json() as { task_id: string; resolve_task: { params: Array<{ cust_flag: string; msg_id: string; aim_url: string }> } };
        // A task whose SMS template has no content cannot be sent: its message fails at once.
        const orphan = taskBody(['13100000009']) as { sms_channel: Record<string, unknown> };
        orphan.sms_channel.sms_tpl_id = '99999';
        const orphanTask = (await postTask(app, token, orphan)).json() as { resolve_task: { params: Array<{ msg_id: string }> } };

        let rows: Array<Record<string, unknown>> = [];
        await until(async () => {
          rows = (await getDetails(app, token, `task_id=${created.task_id}&offset=0&limit=10`)).body.send_details;
          return rows.every((r) => r.send_status !== 'sending') && receiver.receipts('/r').length >= 5;
        }, { timeoutMs: 60_000, intervalMs: 200, what: () => `still sending: ${JSON.stringify(rows.map((r) => [r.cust_flag, r.send_status]))}` });
        const byPhone = Object.fromEntries(rows.map((r) => [r.cust_flag as string, r]));
        assert.deepEqual([byPhone['13100000001']?.send_status, byPhone['13100000001']?.result_code], ['success', null]);
        assert.deepEqual([byPhone['13100000002']?.send_status, byPhone['13100000002']?.result_code], ['fail', 'UNDELIV:001']);
        assert.deepEqual([byPhone['13100000016']?.send_status, byPhone['13100000016']?.result_code], ['fail', 'ERR 21 invalid destination']);
        assert.deepEqual([byPhone['13100000004']?.send_status, byPhone['13100000004']?.result_code], ['success', null], 'buffered (4), then delivered (1)');

        const receipts = receiver.receipts('/r').map((r) => r.receipt);
        const words = Object.fromEntries(receipts.map((r) => [r.cust_flag as string, r.send_status]));
        assert.deepEqual(words, { 13100000001: 'DELIVRD', 13100000002: 'UNDELIV', 13100000016: 'REJECTD', 13100000004: 'DELIVRD', 13100000009: 'FAILED' });
        const orphanRow = (await getDetails(app, token, `msg_id=${encodeURIComponent(orphanTask.resolve_task.params[0]?.msg_id ?? '')}&offset=0&limit=1`)).body.send_details[0];
        assert.deepEqual([orphanRow?.send_status, orphanRow?.result_code], ['fail', 'SMS_TEMPLATE_MISSING']);

        // What the carrier got: the channel number as sender, the text as KooMessage builds it.
        const sent = kannel.operator.messages.filter((m) => m.to.endsWith('13100000001'));
        assert.equal(sent.length, 1);
        assert.equal(sent[0]?.from, CHANNEL);
        const link = created.resolve_task.params.find((p) => p.cust_flag === '13100000001')?.aim_url;
        assert.match(link ?? '', /^links\.test\/[0-9A-Za-z]{6}$/);
        assert.equal(sent[0]?.text, `【${SIGN}】您的会员日礼券已到账：满100减20，有效期 7 天，详情 ${link as string}`, 'the text carries the recipient\'s link');

        // The callback checks its secret.
        const forged = await app.inject({ url: `/v1/kannel/dlr?msg_id=${created.resolve_task.params[0]?.msg_id}&secret=wrong&type=2&status=x` });
        assert.equal(forged.statusCode, 403);
      } finally {
        await worker.stop();
        await app.close();
        await kannel.stop();
        await receiver.down();
      }
    });
  });
}
