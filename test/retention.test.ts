import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { SendDetail, SendDetailsFilter } from '../src/domain/send-detail.js';
import { pick, seededRandom } from '../src/dev/synthetic.js';
import { runMaintenance } from '../src/service/maintenance.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { monthsBefore } from '../src/domain/time.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { NOW, createTenant, detail, matchesFilter } from './helpers/factories.js';
import { insertSendDetails } from '../src/service/ledger.js';

const DAY = 86_400_000;
const TPLS = ['600000001', '600000002', null];
const SIGNS = ['华为云', 'Shop', null];
const TASKS = ['bbbbbbbb-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002'];

for (const backend of BACKENDS) {
  describe(`retention on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('purges everything sent before the cutoff, keeps the rest and the totals exact', async () => {
      const random = seededRandom(11);
      await store.retention.maintainPartitions(NOW, 18);
      const a = await createTenant(store);
      const b = await createTenant(store);
      const make = (sendTime: number) => detail({
        sendTime, tplId: pick(random, TPLS), smsSign: pick(random, SIGNS), taskId: pick(random, TASKS),
        sendStatus: pick(random, ['success', 'fail'] as const),
      });
      // 17 months back to now, plus a few from 30 months back (months maintenance never created).
      const spread = () => Array.from({ length: 500 }, () => make(NOW - Math.floor(random() * 520) * DAY + Math.floor(random() * 86_400) * 1000 - 86_400_000))
        .filter((d) => d.sendTime <= NOW)
        .concat([make(NOW - 900 * DAY), make(NOW - 905 * DAY)]);
      const rowsA = spread();
      const rowsB = spread();
      await insertSendDetails(store, a.account.id, rowsA, NOW);
      await insertSendDetails(store, b.account.id, rowsB, NOW);

      const cutoff = monthsBefore(NOW, 13);
      const expectedPurged = [...rowsA, ...rowsB].filter((r) => r.sendTime < cutoff).length;
      assert.ok(expectedPurged > 100, 'the data reaches well past the cutoff');
      assert.equal(await runMaintenance(store, NOW, 13), expectedPurged);

      const keptA = rowsA.filter((r) => r.sendTime >= cutoff);
      for (let i = 0; i < 50; i++) {
        const f: SendDetailsFilter = {};
        const tpl = pick(random, [undefined, ...TPLS]);
        const sign = pick(random, [undefined, ...SIGNS]);
        if (tpl) f.tplId = tpl;
        if (sign) f.smsSign = sign;
        if (i % 2) {
          f.sendTimeFrom = NOW - Math.floor(random() * 500) * DAY - Math.floor(random() * DAY);
          f.sendTimeTo = f.sendTimeFrom + Math.floor(random() * 200) * DAY;
        }
        assert.equal((await store.details.page(a.account.id, f, 0, 1)).total, keptA.filter((r) => matchesFilter(r, f)).length, JSON.stringify(f));
      }
      // A task's total comes from its counters, which the purge must have reduced too (on
      // PostgreSQL whole months go with their partitions).
      for (const taskId of TASKS) {
        for (const f of [{ taskId }, { taskId, sendStatus: 'fail' as const }]) {
          assert.equal((await store.details.page(a.account.id, f, 0, 1)).total, keptA.filter((r) => matchesFilter(r, f)).length, JSON.stringify(f));
        }
      }
      const oldest = await store.details.page(a.account.id, {}, keptA.length - 1, 1);
      assert.ok((oldest.rows[0]?.sendTime ?? 0) >= cutoff);
      assert.equal((await store.details.page(b.account.id, {}, 0, 1)).total, rowsB.filter((r) => r.sendTime >= cutoff).length);

      // Nothing of the purged rows lingers: their msg_ids can be stored again, and no counter
      // row is left for a purged day.
      const purgedOne = rowsA.find((r) => r.sendTime < cutoff) as SendDetail;
      assert.equal(await insertSendDetails(store, a.account.id, [{ ...purgedOne, sendTime: NOW - DAY }], NOW), 1);
      const { rows: stale } = await sql<{ n: number }>`select count(*) as n from send_detail_counts where day < ${Math.floor(cutoff / DAY) * DAY - DAY}`.execute(store.db);
      assert.equal(Number(stale[0]?.n), 0);

      // A second run finds nothing more to do.
      assert.equal(await runMaintenance(store, NOW, 13), 0);
    });

    if (backend.name === 'postgres') {
      it('creates the partition of a back-filled month before its rows arrive', async () => {
        const { account } = await createTenant(store);
        const old = Date.parse('2023-02-10T08:00:00Z');
        assert.equal(await insertSendDetails(store, account.id, [detail({ sendTime: old }), detail({ sendTime: old + 1000 })], NOW), 2);
        const inMonth = await sql<{ n: number }>`select count(*) as n from send_details_m202302`.execute(store.db);
        assert.equal(Number(inMonth.rows[0]?.n), 2);
      });

      it('drops whole monthly partitions and keeps partitions ready for the coming months', async () => {
        const { rows } = await sql<{ name: string }>`
          select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
          where p.relname = 'send_details' and p.relnamespace = current_schema()::regnamespace`.execute(store.db);
        const names = rows.map((r) => r.name);
        assert.ok(!names.includes('send_details_default'), 'no default partition: pages read the newest month only');
        // NOW is 2026-06-15: 13 months back is 2025-05-15, so April 2025 and older are gone.
        assert.ok(!names.includes('send_details_m202504'), names.join());
        assert.ok(names.includes('send_details_m202505'), names.join());
        for (const month of ['202606', '202607', '202608', '202609']) assert.ok(names.includes(`send_details_m${month}`), `${month} in ${names.join()}`);
      });
    }
  });
}
