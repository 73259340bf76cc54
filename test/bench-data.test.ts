import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { writeBenchData } from '../src/dev/bench-data.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { NOW, createTenant } from './helpers/factories.js';

for (const backend of BACKENDS) {
  describe(`benchmark data generator on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('writes the requested rows with the documented skew, deterministically', async () => {
      const { account } = await createTenant(store);
      const rows = 5000;
      assert.equal(await writeBenchData(store, account.id, { rows, now: NOW, seed: 3, batchSize: 777 }), rows);
      const { rows: [stats] } = await sql<{ n: number; fail: number; sending: number; tasks: number; tpls: number; signs: number; phones: number; oldest: number; newest: number }>`
        select count(*) as n,
               sum(case when send_status = 2 then 1 else 0 end) as fail,
               sum(case when send_status = 0 then 1 else 0 end) as sending,
               count(distinct task_id) as tasks, count(distinct tpl_id) as tpls, count(distinct sms_sign) as signs,
               count(distinct cust_flag) as phones, min(send_time) as oldest, max(send_time) as newest
        from send_details where account_id = ${account.id}`.execute(store.db);
      assert.ok(stats);
      assert.equal(Number(stats.n), rows);
      assert.ok(Number(stats.fail) > rows * 0.035 && Number(stats.fail) < rows * 0.065, `~5% fail, got ${stats.fail}`);
      assert.ok(Number(stats.sending) > rows * 0.004 && Number(stats.sending) < rows * 0.02, `~1% sending, got ${stats.sending}`);
      assert.ok(Number(stats.tasks) > 25 && Number(stats.tasks) < 80, `about one task per 100 rows, got ${stats.tasks}`);
      assert.ok(Number(stats.tpls) > 10 && Number(stats.tpls) <= 50, `templates, got ${stats.tpls}`);
      assert.ok(Number(stats.signs) > 5 && Number(stats.signs) <= 20, `signatures, got ${stats.signs}`);
      assert.ok(Number(stats.phones) < rows, 'phones repeat');
      assert.ok(Number(stats.oldest) >= NOW - 365 * 86_400_000 && Number(stats.newest) <= NOW, 'within the last year');
      assert.equal((await store.details.page(account.id, {}, 0, 1)).total, rows);
      assert.equal(await writeBenchData(store, account.id, { rows, now: NOW, seed: 3 }), 0, 'same seed, same rows');
    });
  });
}
