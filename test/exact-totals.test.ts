import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { SendDetail, SendDetailsFilter } from '../src/domain/send-detail.js';
import { DeliveryReports } from '../src/service/delivery-reports.js';
import { importSendDetails } from '../src/service/import.js';
import { pick, seededRandom } from '../src/dev/synthetic.js';
import { DAY_MS, HOUR_MS, planCount, planPeriods } from '../src/store/detail-counts.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { STATUS_CODES } from '../src/store/schema.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { planSeek, planTotal } from '../src/store/repositories/send-detail-queries.js';
import { NOW, createTenant, detail, fixedClock, matchesFilter } from './helpers/factories.js';
import { insertSendDetails } from '../src/service/ledger.js';

const TPLS = ['600000001', '600000002', '600000003', null];
const SIGNS = ['华为云', 'KooMessage', null];
const TASKS = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002'];
const PHONES = ['13100000001', '13100000002', '13100000003'];

function randomRows(random: () => number, count: number): SendDetail[] {
  return Array.from({ length: count }, () => detail({
    tplId: pick(random, TPLS), smsSign: pick(random, SIGNS), taskId: pick(random, TASKS), custFlag: pick(random, PHONES),
    sendStatus: pick(random, ['sending', 'success', 'fail'] as const),
    // Spread over 20 days, many exactly on day boundaries and one millisecond either side of them.
    sendTime: (() => {
      const day = Math.floor(NOW / DAY_MS) * DAY_MS - Math.floor(random() * 20) * DAY_MS;
      const r = random();
      return r < 0.2 ? day : r < 0.3 ? day - 1000 : day + Math.floor(random() * DAY_MS / 1000) * 1000;
    })(),
  }));
}

/** Each task alone and by each status: the filters the task counters serve. */
function taskFilters(): SendDetailsFilter[] {
  return TASKS.flatMap((taskId) => [{ taskId }, ...(['sending', 'success', 'fail'] as const).map((sendStatus) => ({ taskId, sendStatus }))]);
}

function randomFilter(random: () => number): SendDetailsFilter {
  const f: SendDetailsFilter = {};
  const tpl = pick(random, [undefined, undefined, ...TPLS.filter(Boolean)]);
  const sign = pick(random, [undefined, undefined, ...SIGNS.filter(Boolean)]);
  if (tpl) f.tplId = tpl;
  if (sign) f.smsSign = sign;
  if (random() < 0.15) f.taskId = pick(random, TASKS);
  if (random() < 0.15) f.custFlag = pick(random, PHONES);
  if (random() < 0.3) f.sendStatus = pick(random, ['sending', 'success', 'fail'] as const);
  if (random() < 0.7) {
    const base = Math.floor(NOW / DAY_MS) * DAY_MS - Math.floor(random() * 22) * DAY_MS;
    const jitter = () => pick(random, [0, -1, 1, -1000, 1000, Math.floor(random() * DAY_MS)]);
    const from = base + jitter();
    const to = random() < 0.1 ? from : from + Math.floor(random() * 8) * DAY_MS + jitter();
    if (to >= from) { f.sendTimeFrom = from; f.sendTimeTo = to; }
  }
  return f;
}

describe('count plan', () => {
  it('splits a range into whole days and ragged edges that cover it exactly', () => {
    const d = Date.parse('2026-06-10T00:00:00Z');
    assert.deepEqual(planCount(undefined, undefined), { days: {}, edges: [] });
    assert.deepEqual(planCount(d, d + DAY_MS - 1), { days: { fromDay: d, toDay: d + DAY_MS }, edges: [] });
    assert.deepEqual(planCount(d + 5, d + 1010), { edges: [{ from: d + 1000, to: d + 1000 }] });
    assert.deepEqual(planCount(d + 5, d + 10), { edges: [] }, 'no whole second inside');
    assert.deepEqual(planCount(d, d + DAY_MS - 1000), { days: { fromDay: d, toDay: d + DAY_MS }, edges: [] }, '00:00:00 to 23:59:59 is a whole day');
    assert.deepEqual(planCount(d - 1500, d + DAY_MS + 1500), {
      days: { fromDay: d, toDay: d + DAY_MS }, edges: [{ from: d - 1000, to: d - 1000 }, { from: d + DAY_MS, to: d + DAY_MS + 1000 }],
    });
  });

  it('splits a partial day into whole hours and the partial hours at its ends', () => {
    const d = Date.parse('2026-06-10T00:00:00Z');
    assert.deepEqual(planPeriods(d + 5 * HOUR_MS - 1500, d + 9 * HOUR_MS + 999, HOUR_MS), {
      whole: { from: d + 5 * HOUR_MS, to: d + 9 * HOUR_MS },
      edges: [{ from: d + 5 * HOUR_MS - 1000, to: d + 5 * HOUR_MS - 1000 }, { from: d + 9 * HOUR_MS, to: d + 9 * HOUR_MS }],
    });
    assert.deepEqual(planPeriods(d + 60_000, d + 120_000, HOUR_MS), { edges: [{ from: d + 60_000, to: d + 120_000 }] }, 'within one hour');
    assert.deepEqual(planPeriods(d, d + HOUR_MS - 1000, HOUR_MS), { whole: { from: d, to: d + HOUR_MS }, edges: [] }, ':00:00 to :59:59 is a whole hour');
  });
});

for (const backend of BACKENDS) {
  describe(`exact totals on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('equal count(*) for random filters after inserts, duplicate inserts and imports', async () => {
      const random = seededRandom(42);
      const { account } = await createTenant(store);
      const noise = await createTenant(store);
      const rows = randomRows(random, 600);
      await insertSendDetails(store, account.id, rows.slice(0, 400), NOW);
      await insertSendDetails(store, noise.account.id, randomRows(random, 200), NOW);
      // A re-import of overlapping rows must not count them twice.
      assert.equal(await insertSendDetails(store, account.id, rows.slice(300, 500), NOW), 100);
      const lines = rows.slice(450).map((r) => JSON.stringify({
        msg_id: r.msgId, task_id: r.taskId, tpl_id: r.tplId, sms_sign: r.smsSign, cust_flag: r.custFlag,
        send_status: r.sendStatus, send_time: new Date(r.sendTime).toISOString(), receive_time: r.receiveTime && new Date(r.receiveTime).toISOString(),
      })).join('\n');
      const summary = await importSendDetails(store, account.id, Readable.from([lines]), fixedClock, { format: 'ndjson', batchSize: 37 });
      assert.deepEqual([summary.inserted, summary.skipped, summary.rejected], [100, 50, 0]);

      const check = async (label: string) => {
        const filters = [...taskFilters(), ...Array.from({ length: 150 }, (_, i) => (i === 0 ? {} : randomFilter(random)))];
        for (const filter of filters) {
          const expected = rows.filter((r) => matchesFilter(r, filter)).length;
          const page = await store.details.page(account.id, filter, 0, 1);
          assert.equal(page.total, expected, `${label}: total for ${JSON.stringify(filter)}`);
        }
      };
      await check('after inserts and imports');

      // Status changes through delivery reports move messages between the status totals.
      const reports = new DeliveryReports(store, fixedClock);
      const sending = rows.filter((r) => r.sendStatus === 'sending');
      assert.ok(sending.length > 50);
      const results = await reports.ingest(sending.map((r, i) => ({
        msg_id: r.msgId, status: i % 3 === 0 ? 'UNDELIV' : 'DELIVRD', receive_time: '2026-06-15T12:00:00Z',
      })));
      assert.ok(results.every((r) => r.outcome === 'applied'));
      sending.forEach((r, i) => { r.sendStatus = i % 3 === 0 ? 'fail' : 'success'; });
      await check('after status changes');
    });

    it('stay exact with concurrent writers touching the same counters in different orders', async () => {
      const random = seededRandom(5);
      const { account } = await createTenant(store);
      const batches = Array.from({ length: 6 }, () => randomRows(random, 150));
      // Opposite orders of days and templates across writers are what would deadlock if counters
      // were locked in row order.
      const ordered = batches.map((b, i) => (i % 2 ? [...b].sort((x, y) => x.sendTime - y.sendTime) : [...b].sort((x, y) => y.sendTime - x.sendTime)));
      const results = await Promise.all(ordered.map((b) => insertSendDetails(store, account.id, b, NOW)));
      assert.deepEqual(results, ordered.map((b) => b.length));
      const all = batches.flat();
      for (let i = 0; i < 40; i++) {
        const filter = i === 0 ? {} : randomFilter(random);
        assert.equal((await store.details.page(account.id, filter, 0, 1)).total, all.filter((r) => matchesFilter(r, filter)).length);
      }
    });

    it('pages are the matches in order at every offset, near and past the deferred-read offset', async () => {
      const random = seededRandom(17);
      const { account } = await createTenant(store);
      const rows = randomRows(random, 2600);
      await insertSendDetails(store, account.id, rows, NOW);
      await insertSendDetails(store, (await createTenant(store)).account.id, randomRows(random, 300), NOW);
      const newestFirst = (a: SendDetail, b: SendDetail) => b.sendTime - a.sendTime || (a.msgId < b.msgId ? -1 : a.msgId > b.msgId ? 1 : 0);
      const filters: SendDetailsFilter[] = [{}, { sendStatus: 'fail' }, { tplId: '600000001' }, { taskId: TASKS[0] as string },
        { msgId: 'no-such-message' }, ...Array.from({ length: 14 }, () => randomFilter(random))];
      // Ranges that start and end inside a day, so a deep page's seek counts the ragged newest end.
      const today = Math.floor(NOW / DAY_MS) * DAY_MS;
      const ragged = { sendTimeFrom: today - 19 * DAY_MS + 5 * HOUR_MS + 17_000, sendTimeTo: today - DAY_MS + 13 * HOUR_MS + 30 * 60_000 };
      filters.push(ragged, { ...ragged, tplId: '600000001' }, { ...ragged, sendStatus: 'success' }, { ...ragged, sendTimeTo: today + 20 * HOUR_MS });
      let statements = 0;
      let seeks = 0;
      store.onQuery(() => { statements += 1; });
      for (const filter of filters) {
        const expected = rows.filter((r) => matchesFilter(r, filter)).sort(newestFirst).map((r) => r.msgId);
        for (const [offset, limit] of [[0, 100], [37, 10], [999, 1], [999, 2], [1000, 100], [1950, 100], [expected.length - 3, 100], [expected.length, 5], [9950, 50], [9990, 100]] as const) {
          const at = `${JSON.stringify(filter)} at ${offset}+${limit}`;
          const before = statements;
          const page = await store.details.page(account.id, filter, Math.max(0, offset), limit);
          assert.deepEqual(page.rows.map((r) => r.msgId), expected.slice(Math.max(0, offset), Math.max(0, offset) + limit), at);
          assert.equal(page.total, expected.length, at);
          // A page and its total are one statement; on PostgreSQL even an empty page's (on SQLite
          // an empty page asks for its total on its own, which costs no round trip). On PostgreSQL
          // a deep page of a filter the day counters serve first asks them where it begins.
          const seek = backend.name === 'postgres' && planSeek(filter, planTotal(filter), Math.max(0, offset), limit) !== undefined;
          if (seek) seeks += 1;
          assert.equal(statements - before, (page.rows.length > 0 || backend.name === 'postgres' ? 1 : 2) + (seek ? 1 : 0), `statements for ${at}`);
        }
      }
      if (backend.name === 'postgres') assert.ok(seeks >= 20, `deep pages that seek: ${seeks}`);
    });

    it('backfills the counters from details stored before they existed', async () => {
      const own = await backend.open({ migrate: false });
      try {
        await own.store.migrate('0001_initial');
        // The schema of 0001, so the account is written by hand.
        const account = await own.store.db.insertInto('accounts')
          .values({ name: 'backfill', domain_id: 'd'.repeat(32), created_at: NOW } as never)
          .returning('id').executeTakeFirstOrThrow();
        const random = seededRandom(9);
        const rows = randomRows(random, 300);
        await own.store.db.insertInto('send_details').values(rows.map((r) => ({
          account_id: account.id, msg_id: r.msgId, task_id: r.taskId, task_name: r.taskName, tpl_id: r.tplId,
          tpl_name: r.tplName, sms_sign: r.smsSign, cust_flag: r.custFlag, send_account: r.sendAccount,
          send_status: STATUS_CODES[r.sendStatus], send_time: r.sendTime, receive_time: r.receiveTime,
          result_code: r.resultCode, updated_at: NOW,
        }))).execute();
        await own.store.migrate();
        for (const filter of [{}, ...taskFilters(), ...Array.from({ length: 60 }, () => randomFilter(random))]) {
          const page = await own.store.details.page(account.id, filter, 0, 1);
          assert.equal(page.total, rows.filter((r) => matchesFilter(r, filter)).length, `total for ${JSON.stringify(filter)}`);
        }
      } finally {
        await own.dispose();
      }
    });
  });
}
