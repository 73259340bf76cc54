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
  });
}
