import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { importSendDetails, type ImportFormat, type ImportRejection } from '../src/service/import.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, fixedClock, getDetails, testApp } from './helpers/factories.js';

function record(i: number, overrides: Record<string, unknown> = {}) {
  return {
    msg_id: `7e52e4fe-ef00-4826-84b6-756446c5cccc_${595223900 + i}`,
    task_id: '7cc198c3-91d3-425b-9226-54c27cd7cccc',
    task_name: '智能信息发送-动态参数',
    tpl_id: '600000001',
    tpl_name: '【测试市场案例】参数通知模板',
    cust_flag: `1310000000${i}`,
    send_account: `1310000000${i}`,
    send_status: 'success',
    send_time: `2026-06-10T14:57:2${i}Z`,
    receive_time: `2026-06-10T14:58:2${i}Z`,
    result_code: null,
    sms_sign: '华为云',
    ...overrides,
  };
}

async function run(store: KyselyStore, accountId: number, text: string, format: ImportFormat) {
  const rejected: ImportRejection[] = [];
  const summary = await importSendDetails(store, accountId, Readable.from([Buffer.from(text, 'utf8')]), fixedClock, {
    format, onReject: (r) => rejected.push(r), batchSize: 2,
  });
  return { summary, rejected };
}

for (const backend of BACKENDS) {
  describe(`import on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('stores good NDJSON lines, reports bad ones by line number, and is idempotent', async () => {
      const { account, token } = await createTenant(store);
      const lines = [
        JSON.stringify(record(1)),
        JSON.stringify(record(2, { send_status: 'fail', result_code: 'UNDELIV' })),
        '{not json',
        JSON.stringify(record(3, { msg_id: undefined })),
        JSON.stringify(record(4, { send_status: 'delivered' })),
        JSON.stringify(record(5, { send_time: '2026-06-10 14:57:25' })),
        JSON.stringify(record(6, { tpl_id: '6000000010' })),
        JSON.stringify(record(7, { send_status: 'sending', receive_time: '2026-06-10T14:58:27Z' })),
        '[1,2]',
        '',
        JSON.stringify(record(8, { send_status: 'sending', receive_time: null, tpl_id: 600000008 })),
        JSON.stringify(record(9, { send_time: '2026-02-30T00:00:00Z' })),
        JSON.stringify(record(0, { msg_id: 'nul-line', task_name: 'nul\u0000inside' })),
      ];
      const first = await run(store, account.id, lines.join('\n') + '\n', 'ndjson');
      assert.deepEqual(first.summary, { read: 12, inserted: 3, skipped: 0, rejected: 9 });
      assert.deepEqual(first.rejected.map((r) => r.line), [3, 4, 5, 6, 7, 8, 9, 12, 13]);
      assert.match(first.rejected[8]?.reason ?? '', /task_name.*NUL/);
      assert.match(first.rejected[0]?.reason ?? '', /JSON/);
      assert.match(first.rejected[1]?.reason ?? '', /msg_id/);
      assert.match(first.rejected[2]?.reason ?? '', /send_status/);
      assert.match(first.rejected[3]?.reason ?? '', /send_time/);
      assert.match(first.rejected[4]?.reason ?? '', /tpl_id/);
      assert.match(first.rejected[5]?.reason ?? '', /receive_time/);

      const app = await testApp(store);
      const before = await getDetails(app, token, 'offset=0&limit=100');
      assert.equal(before.body.page_info.total, 3);
      const byId = new Map(before.body.send_details.map((r) => [r.msg_id, r]));
      assert.deepEqual(byId.get(record(2).msg_id), {
        msg_id: record(2).msg_id, task_id: record(2).task_id, task_name: '智能信息发送-动态参数', tpl_id: '600000001',
        tpl_name: '【测试市场案例】参数通知模板', cust_flag: '13100000002', send_account: '13100000002',
        send_status: 'fail', send_time: '2026-06-10T14:57:22Z', receive_time: '2026-06-10T14:58:22Z', result_code: 'UNDELIV',
      });
      assert.equal(byId.get(record(8).msg_id)?.tpl_id, '600000008');

      const again = await run(store, account.id, lines.join('\n') + '\n', 'ndjson');
      assert.deepEqual(again.summary, { read: 12, inserted: 0, skipped: 3, rejected: 9 });
      assert.deepEqual((await getDetails(app, token, 'offset=0&limit=100')).body, before.body);
    });

    it('reads CSV with a BOM, quoting, Chinese text and empty values as null', async () => {
      const { account, token } = await createTenant(store);
      const header = 'msg_id,task_id,task_name,tpl_id,tpl_name,cust_flag,send_account,send_status,send_time,receive_time,result_code,sms_sign';
      const text = '\uFEFF' + [
        header,
        'm_1,t1,"促销, ""双十一""",600000001,模板一,13100000001,13100000001,success,2026-06-10T14:57:20Z,2026-06-10T14:57:31Z,,华为云',
        'm_2,t1,"multi\nline",600000001,,13100000002,13100000002,sending,2026-06-10T14:57:21Z,,,华为云',
        'm_3,t1,too,few,columns',
        'm_4,t1,x,600000001,y,13100000004,13100000004,fail,2026-06-10T14:57:22Z,2026-06-10T14:57:40Z,REJECTD,华为云',
        'm_5,t1,x,600000001,y,13100000005,13100000005,fail,not-a-time,,REJECTD,华为云',
      ].join('\r\n') + '\r\n';
      const { summary, rejected } = await run(store, account.id, text, 'csv');
      assert.deepEqual(summary, { read: 5, inserted: 3, skipped: 0, rejected: 2 });
      assert.deepEqual(rejected.map((r) => r.line), [5, 7]);
      const app = await testApp(store);
      const rows = (await getDetails(app, token, 'offset=0&limit=100')).body.send_details;
      const m1 = rows.find((r) => r.msg_id === 'm_1');
      const m2 = rows.find((r) => r.msg_id === 'm_2');
      assert.equal(m1?.task_name, '促销, "双十一"');
      assert.equal(m1?.result_code, null);
      assert.equal(m2?.task_name, 'multi\nline');
      assert.equal(m2?.tpl_name, null);
      assert.equal(m2?.receive_time, null);
    });

    it('reports CSV rejections in line order, malformed rows and bad values alike, however far the parser reads ahead', async () => {
      const { account } = await createTenant(store);
      const row = (i: number, time = `2026-06-10T14:${String(10 + (i % 50)).padStart(2, '0')}:00Z`) => `m_${i},t1,x,600000001,y,1310000${String(i).padStart(4, '0')},a,success,${time},${time},,华为云`;
      const lines = ['msg_id,task_id,task_name,tpl_id,tpl_name,cust_flag,send_account,send_status,send_time,receive_time,result_code,sms_sign'];
      for (let i = 2; i <= 3000; i++) {
        if (i === 5 || i === 1500) lines.push(row(i, 'not-a-time'));
        else if (i === 9 || i === 2999) lines.push(`m_${i},too,few`);
        else lines.push(row(i));
      }
      const { summary, rejected } = await run(store, account.id, lines.join('\n') + '\n', 'csv');
      assert.equal(summary.rejected, 4);
      assert.deepEqual(rejected.map((r) => r.line), [5, 9, 1500, 2999]);
    });

    it('refuses a CSV whose header lacks a required column', async () => {
      const { account } = await createTenant(store);
      await assert.rejects(run(store, account.id, 'msg_id,send_time\nm,2026-06-10T14:57:20Z\n', 'csv'), /send_status/);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`import statistics on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('refreshes the planner statistics only when an import moved the table by a tenth or more', async () => {
      const { account } = await createTenant(store);
      let statements: string[] = [];
      store.onQuery((_ms, _ok, text) => statements.push(text));
      const analyzed = () => statements.some((s) => /^(vacuum \(analyze\)|analyze) send_details$/.test(s));
      const importRows = async (from: number, count: number) => {
        statements = [];
        const lines = Array.from({ length: count }, (_, i) => JSON.stringify(record(0, { msg_id: `stats-${from + i}` })));
        const { summary } = await run(store, account.id, lines.join('\n') + '\n', 'ndjson');
        assert.equal(summary.inserted, count);
      };
      await importRows(0, 100);
      assert.ok(analyzed(), 'the first import into a table never analyzed takes statistics');
      if (backend.name === 'postgres') {
        // The counters an import updates batch after batch are vacuumed too (their dead row
        // versions slowed every total that reads them).
        for (const table of ['send_detail_counts', 'send_detail_hour_counts', 'send_status_counts', 'send_status_hour_counts', 'send_task_counts']) {
          assert.ok(statements.includes(`vacuum (analyze) ${table}`), table);
        }
      }
      await importRows(100, 5);
      assert.ok(!analyzed(), '5 rows more than the 100 analyzed leave the statistics as they are');
      await importRows(105, 20);
      assert.ok(analyzed(), '125 rows against 100 analyzed: statistics taken again');
      assert.equal(await store.optimize({ ifStale: true }), false);
      assert.equal(await store.optimize(), true);
    });

    it('copies SQLite\'s write-ahead log into the file less often while it loads, and puts that back after, failed or not',
      { skip: backend.name === 'sqlite' ? false : 'a SQLite setting' }, async () => {
        const { account } = await createTenant(store);
        const autocheckpoint = async () => (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db)).rows[0]?.wal_autocheckpoint;
        const during: Array<number | undefined> = [];
        const lines = Array.from({ length: 4 }, (_, i) => JSON.stringify(record(0, { msg_id: `wal-${i}` }))).join('\n');
        await importSendDetails(store, account.id, Readable.from([lines]), fixedClock, {
          format: 'ndjson', batchSize: 2, onProgress: () => { void autocheckpoint().then((n) => during.push(n)); },
        });
        assert.ok(during.length > 0 && during.every((n) => n === 16384), `during: ${during.join(',')}`);
        assert.equal(await autocheckpoint(), 1000);
        const broken = new Readable({ read() { this.push(`${JSON.stringify(record(1, { msg_id: 'wal-x' }))}\n`); this.destroy(new Error('input cut')); } });
        await assert.rejects(importSendDetails(store, account.id, broken, fixedClock, { format: 'ndjson', batchSize: 2 }), /input cut/);
        assert.equal(await autocheckpoint(), 1000, 'put back after a failed load too');
      });
  });
}
