import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportResult } from '../src/domain/delivery-report.js';
import { JOB_KINDS } from '../src/domain/jobs.js';
import { createPipeline } from '../src/pipeline/index.js';
import { DeliveryReports } from '../src/service/delivery-reports.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { NOW, TEST_SIMULATOR, fixedClock } from './helpers/factories.js';

const quiet = { warn: () => {}, error: () => {} };

for (const backend of BACKENDS) {
  describe(`outbox batching on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('scheduled reports due together are ingested in one call (one transaction), and each job completes', async () => {
      const calls: unknown[][] = [];
      class Counting extends DeliveryReports {
        override async ingest(items: unknown[]): Promise<ReportResult[]> {
          calls.push(items);
          return super.ingest(items);
        }
      }
      const { worker } = createPipeline(store, fixedClock, new Counting(store, fixedClock), quiet, { channel: 'simulator', simulator: TEST_SIMULATOR });
      const report = (i: number) => ({ msg_id: `m-${i}`, status: 'DELIVRD', receive_time: '2026-06-15T12:00:00Z', report_id: `batch-${backend.name}-${i}` });
      await store.outbox.enqueue([1, 2, 3, 4, 5].map((i) => ({ kind: JOB_KINDS.report, accountId: null, payload: { reports: [report(i)] }, runAt: NOW })), NOW);
      await worker.drain();
      assert.equal(calls.length, 1, 'one ingest for the five due reports');
      assert.deepEqual((calls[0] as Array<{ msg_id: string }>).map((r) => r.msg_id), ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
      assert.equal(await store.outbox.pending(), 0);
    });

    const dispatchJob = (i: number) => ({
      kind: JOB_KINDS.dispatch, accountId: 1, runAt: NOW,
      payload: { msgId: `d-${backend.name}-${i}`, accountId: 1, phone: `1310000000${i}`, smsSign: 'S', channelNumber: '10690001', smsTplId: 't', smsAppName: 'app', tplId: '600000001', smsParams: null },
    });

    it('a claim\'s dispatches go to the simulator together: one scheduled report job for all of them', async () => {
      const { worker } = createPipeline(store, fixedClock, new DeliveryReports(store, fixedClock), quiet, { channel: 'simulator', simulator: { ...TEST_SIMULATOR, delayMs: 60_000 } });
      await store.outbox.enqueue([1, 2, 3, 4, 5, 6].map(dispatchJob), NOW);
      await worker.runOnce();
      await worker.stop();
      const jobs = await store.db.selectFrom('outbox').select(['kind', 'payload']).where('created_at', '=', NOW).execute();
      assert.deepEqual(jobs.map((j) => j.kind), [JOB_KINDS.report]);
      const { reports } = JSON.parse(jobs[0]?.payload as string) as { reports: Array<{ msg_id: string }> };
      assert.deepEqual(reports.map((r) => r.msg_id).sort(), [1, 2, 3, 4, 5, 6].map((i) => `d-${backend.name}-${i}`).sort());
    });

    it('a channel that takes messages one by one: only the message it refused is retried', async () => {
      const sent: string[] = [];
      const adapter = {
        name: 'picky',
        async send(message: { msgId: string }) {
          if (message.msgId.endsWith('-3')) throw new Error('gateway busy');
          sent.push(message.msgId);
        },
      };
      const { worker } = createPipeline(store, fixedClock, new DeliveryReports(store, fixedClock), quiet, { channel: 'simulator', simulator: TEST_SIMULATOR, adapter });
      await store.outbox.enqueue([1, 2, 3, 4].map(dispatchJob), NOW);
      await worker.drain();
      assert.deepEqual(sent.sort(), [1, 2, 4].map((i) => `d-${backend.name}-${i}`));
      const left = await store.db.selectFrom('outbox').select(['kind', 'payload', 'attempts', 'last_error']).where('kind', '=', JOB_KINDS.dispatch).execute();
      assert.equal(left.length, 1);
      assert.equal((JSON.parse(left[0]?.payload as string) as { msgId: string }).msgId, `d-${backend.name}-3`);
      assert.equal(left[0]?.last_error, 'gateway busy');
    });
  });
}
