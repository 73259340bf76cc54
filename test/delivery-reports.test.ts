import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Clock } from '../src/domain/clock.js';
import { classifyCarrierStatus } from '../src/domain/delivery-report.js';
import type { SendStatus } from '../src/domain/send-detail.js';
import { MAX_DISPATCH_ATTEMPTS } from '../src/pipeline/index.js';
import type { ChannelAdapter, OutboundMessage } from '../src/pipeline/channel.js';
import { DeliveryReports } from '../src/service/delivery-reports.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, detail, fixedClock, getDetails, NOW, testApp, testStack } from './helpers/factories.js';
import { operatorToken, phones, postTask, taskBody, tenantWithReferences, TPL_ID } from './helpers/pipeline.js';
import { insertSendDetails } from '../src/service/ledger.js';

type Result = { msg_id: string | null; outcome: string; reason?: string };

async function postReports(app: Awaited<ReturnType<typeof testApp>>, token: string, reports: unknown) {
  const res = await app.inject({ method: 'POST', url: '/v1/aim/delivery-reports', headers: { 'x-auth-token': token }, payload: { reports } as Record<string, unknown> });
  if (res.statusCode >= 500) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
  return res;
}

const AT = '2026-06-15T12:00:30Z';

for (const backend of BACKENDS) {
  describe(`delivery reports on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('only the platform operator may post reports', async () => {
      const app = await testApp(store);
      const admin = await createTenant(store, 'te_admin');
      const report = [{ msg_id: 'x_1', status: 'DELIVRD', receive_time: AT }];
      assert.equal((await postReports(app, admin.token, report)).statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: '/v1/aim/delivery-reports', payload: { reports: report } })).statusCode, 401);
      const operator = await operatorToken(store);
      assert.equal((await postReports(app, operator, report)).statusCode, 200);
      // The operator reads no customer data.
      assert.equal((await getDetails(app, operator, 'offset=0&limit=1')).status, 403);
    });

    it('applied, duplicate, parked and rejected, each with its reason; parked reports apply when the message arrives', async () => {
      const app = await testApp(store);
      const operator = await operatorToken(store);
      const tenant = await createTenant(store);
      const [a, b, c] = [detail({ sendStatus: 'sending' }), detail({ sendStatus: 'sending' }), detail({ sendStatus: 'sending' })];
      const { last } = await store.db.selectFrom('delivery_reports').select((eb) => eb.fn.max('id').as('last')).executeTakeFirstOrThrow();
      await insertSendDetails(store, tenant.account.id, [a, b], NOW);

      const first = await postReports(app, operator, [
        { msg_id: a.msgId, status: 'DELIVRD', result_code: '000', receive_time: AT },
        { msg_id: b.msgId, status: 'UNDELIV', receive_time: AT, report_id: 'gw-1' },
        { msg_id: c.msgId, status: 'MK:0001', result_code: 'MK:0001', receive_time: AT },
        { msg_id: a.msgId, status: 'UNDELIV', receive_time: AT },
        { msg_id: b.msgId, status: 'DELIVRD', receive_time: AT, report_id: 'gw-1' },
        { msg_id: a.msgId, status: 'WHATEVER', receive_time: AT },
        { msg_id: a.msgId, status: 'DELIVRD', receive_time: '2026-06-15 12:00:30' },
        { status: 'DELIVRD', receive_time: AT },
        'not an object',
      ]);
      assert.equal(first.statusCode, 200, first.body);
      const body = first.json() as { results: Result[]; applied: number; duplicate: number; parked: number; rejected: number };
      assert.deepEqual(body.results.map((r) => r.outcome), ['applied', 'applied', 'parked', 'duplicate', 'duplicate', 'rejected', 'rejected', 'rejected', 'rejected']);
      assert.deepEqual([body.applied, body.duplicate, body.parked, body.rejected], [2, 2, 1, 4]);
      assert.match(body.results[3]?.reason ?? '', /already success/);
      assert.match(body.results[4]?.reason ?? '', /received before/);
      assert.match(body.results[5]?.reason ?? '', /not a known carrier status/);
      assert.match(body.results[6]?.reason ?? '', /receive_time/);
      assert.match(body.results[7]?.reason ?? '', /msg_id is required/);
      assert.equal(body.results[2]?.msg_id, c.msgId);

      const rows = async () => Object.fromEntries((await getDetails(app, tenant.token, 'offset=0&limit=100')).body.send_details.map((r) => [r.msg_id, r]));
      let now = await rows();
      assert.equal(now[a.msgId]?.send_status, 'success');
      assert.equal(now[a.msgId]?.result_code, null);
      assert.equal(now[a.msgId]?.receive_time, AT);
      assert.equal(now[b.msgId]?.send_status, 'fail');
      assert.equal(now[b.msgId]?.result_code, 'UNDELIV', 'without a result_code the carrier word is kept');

      // The message of the parked report arrives (an import here): the report applies then.
      assert.equal(await insertSendDetails(store, tenant.account.id, [c], NOW), 1);
      now = await rows();
      assert.equal(now[c.msgId]?.send_status, 'fail');
      assert.equal(now[c.msgId]?.result_code, 'MK:0001');

      const stored = await store.db.selectFrom('delivery_reports').select(['state', 'raw']).where('id', '>', Number(last ?? 0)).orderBy('id').execute();
      assert.equal(stored.length, 9, 'every report is stored as received, duplicates and rejects included');
      assert.deepEqual(stored.map((r) => r.state), ['applied', 'applied', 'applied', 'duplicate', 'duplicate', 'rejected', 'rejected', 'rejected', 'rejected'],
        'the parked report became applied when its message arrived');
      assert.equal(stored[8]?.raw, '"not an object"');
    });

    it('ACCEPTD keeps a message sending; the final word then applies; a report never reverses it', async () => {
      const app = await testApp(store);
      const operator = await operatorToken(store);
      const tenant = await createTenant(store);
      const m = detail({ sendStatus: 'sending' });
      await insertSendDetails(store, tenant.account.id, [m], NOW);
      const accepted = (await postReports(app, operator, [{ msg_id: m.msgId, status: 'ACCEPTD', receive_time: AT }])).json() as { results: Result[] };
      assert.equal(accepted.results[0]?.outcome, 'applied');
      assert.equal((await getDetails(app, tenant.token, 'offset=0&limit=1')).body.send_details[0]?.send_status, 'sending');
      await postReports(app, operator, [{ msg_id: m.msgId, status: 'expired', receive_time: AT }]);
      await postReports(app, operator, [{ msg_id: m.msgId, status: 'DELIVRD', receive_time: AT }]);
      const row = (await getDetails(app, tenant.token, 'offset=0&limit=1')).body.send_details[0];
      assert.equal(row?.send_status, 'fail');
      assert.equal(row?.result_code, 'expired');
    });

    it('the envelope: 1 to 1000 reports', async () => {
      const app = await testApp(store);
      const operator = await operatorToken(store);
      for (const reports of [[], 'x', Array.from({ length: 1001 }, (_, i) => ({ msg_id: `m_${i}`, status: 'DELIVRD', receive_time: AT }))]) {
        const res = await postReports(app, operator, reports);
        assert.equal(res.statusCode, 400);
        assert.equal((res.json() as { error_code: string }).error_code, 'KM.80000002');
      }
      const full = await postReports(app, operator, Array.from({ length: 1000 }, (_, i) => ({ msg_id: `none_${i}`, status: 'DELIVRD', receive_time: AT })));
      assert.equal(full.statusCode, 200);
      assert.equal((full.json() as { parked: number }).parked, 1000);
    });

    it('random interleavings of messages and reports (duplicates, reversed order) end as a simple oracle says', async () => {
      const statuses = ['DELIVRD', 'UNDELIV', 'EXPIRED', 'ACCEPTD', 'MK:0001'] as const;
      const op = fc.oneof(
        fc.record({ kind: fc.constant('create' as const), m: fc.integer({ min: 0, max: 5 }) }),
        fc.record({ kind: fc.constant('report' as const), m: fc.integer({ min: 0, max: 5 }), status: fc.constantFrom(...statuses), id: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) }),
      );
      let run = 0;
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run += 1;
        const tenant = await createTenant(store);
        const reports = new DeliveryReports(store, fixedClock);
        const msgId = (m: number) => `prop-${backend.name}-${run}-${m}_1`;
        // The oracle: messages, reports waiting for their message, report keys seen, first final wins.
        const created = new Set<number>();
        const state = new Map<number, { status: SendStatus; code: string | null }>();
        const waiting = new Map<number, Array<{ status: string }>>();
        const seen = new Set<string>();
        const apply = (m: number, status: string) => {
          const current = state.get(m);
          if (!current || current.status !== 'sending') return;
          const verdict = classifyCarrierStatus(status);
          if (verdict === 'success') state.set(m, { status: 'success', code: null });
          if (verdict === 'fail') state.set(m, { status: 'fail', code: status });
        };
        for (const o of ops) {
          if (o.kind === 'create') {
            const inserted = await insertSendDetails(store, tenant.account.id, [detail({ msgId: msgId(o.m), sendStatus: 'sending', tplId: TPL_ID })], NOW);
            if (created.has(o.m)) { assert.equal(inserted, 0); continue; }
            created.add(o.m);
            state.set(o.m, { status: 'sending', code: null });
            for (const r of waiting.get(o.m) ?? []) apply(o.m, r.status);
            waiting.delete(o.m);
          } else {
            const report = { msg_id: msgId(o.m), status: o.status, receive_time: AT, ...(o.id !== undefined ? { report_id: `r-${run}-${o.id}` } : {}) };
            const key = o.id !== undefined ? `id:${o.id}` : `c:${o.m}:${o.status}`;
            const [result] = await reports.ingest([report]);
            if (seen.has(key)) { assert.equal(result?.outcome, 'duplicate'); continue; }
            seen.add(key);
            if (!created.has(o.m)) {
              assert.equal(result?.outcome, 'parked');
              waiting.set(o.m, [...(waiting.get(o.m) ?? []), { status: o.status }]);
            } else {
              apply(o.m, o.status);
            }
          }
        }
        const page = await store.details.page(tenant.account.id, {}, 0, 100);
        assert.equal(page.total, created.size);
        for (const row of page.rows) {
          const m = Number(/-(\d)_1$/.exec(row.msgId)?.[1]);
          assert.deepEqual({ status: row.sendStatus, code: row.resultCode }, state.get(m), `message ${m} after ${JSON.stringify(ops)}`);
        }
        // The status counters (send reports) agree with the rows.
        const report = await store.sendReports.report(tenant.account.id, { monthly: false, fromDay: NOW - 86_400_000, toDay: NOW }, 0, 100);
        const success = page.rows.filter((r) => r.sendStatus === 'success').length;
        const fail = page.rows.filter((r) => r.sendStatus === 'fail').length;
        assert.deepEqual(report.rows.map((r) => [r.total, r.success, r.fail]), page.total === 0 ? [] : [[page.total, success, fail]]);
      }), { numRuns: 40, seed: 20260615 });
    });

    it('a channel that refuses is retried with backoff; after the last attempt the message fails with DISPATCH_FAILED', async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      let refusals = 2;
      const offered: string[] = [];
      const flaky: ChannelAdapter = {
        name: 'flaky',
        async send(message: OutboundMessage) {
          offered.push(message.msgId);
          if (refusals > 0) { refusals -= 1; throw new Error('gateway busy'); }
        },
      };
      const tenant = await tenantWithReferences(store);
      const { app, worker } = await testStack(store, { clock, adapter: flaky });
      const created = (await postTask(app, tenant.token, taskBody(phones(1)))).json() as { resolve_task: { params: Array<{ msg_id: string }> } };
      const msgId = created.resolve_task.params[0]?.msg_id as string;
      await worker.drain();
      assert.equal(await worker.runOnce(), 0, 'a refused job waits for its backoff');
      const job = await store.db.selectFrom('outbox').select(['attempts', 'run_at', 'last_error']).executeTakeFirstOrThrow();
      assert.equal(job.attempts, 1);
      assert.equal(job.last_error, 'gateway busy');
      assert.ok(job.run_at > now && job.run_at <= now + 1000, `first retry within a second (${job.run_at - now} ms)`);
      now += 1000;
      await worker.drain();
      now += 2000;
      await worker.drain();
      assert.deepEqual(offered, [msgId, msgId, msgId]);
      assert.equal(await store.outbox.pending(), 0, 'accepted on the third attempt');

      // A channel that never accepts.
      const dead: ChannelAdapter = { name: 'dead', async send() { throw new Error('connection refused'); } };
      const stack = await testStack(store, { clock, adapter: dead });
      const doomed = (await postTask(stack.app, tenant.token, taskBody(phones(1)))).json() as { resolve_task: { params: Array<{ msg_id: string }> } };
      for (let i = 0; i < MAX_DISPATCH_ATTEMPTS; i++) {
        now += 11 * 60_000;
        await stack.worker.drain();
      }
      assert.equal(await store.outbox.pending(), 0);
      const rows = (await getDetails(stack.app, tenant.token, 'offset=0&limit=10')).body.send_details;
      const row = rows.find((r) => r.msg_id === doomed.resolve_task.params[0]?.msg_id);
      assert.equal(row?.send_status, 'fail');
      assert.equal(row?.result_code, 'DISPATCH_FAILED');
    });
  });
}
