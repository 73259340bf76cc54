import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { SendDetail, SendDetailsFilter } from '../src/domain/send-detail.js';
import { formatContractTime } from '../src/domain/time.js';
import { seededRandom, pick } from '../src/dev/synthetic.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { NOW, createTenant, detail, expectedRows, getDetails, testApp } from './helpers/factories.js';
import { insertSendDetails } from '../src/service/ledger.js';

const FIELDS = ['msg_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'cust_flag', 'send_account',
  'send_status', 'send_time', 'receive_time', 'result_code'];

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function assertError(res: Awaited<ReturnType<typeof getDetails>>, status: number, code: string, mentions?: string) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error_code, code);
  assert.equal(typeof res.body.error_msg, 'string');
  assert.equal(res.body.error_message, res.body.error_msg);
  assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/);
  assert.equal(res.headers['content-type'], 'application/json;charset=UTF-8');
  if (mentions) assert.ok(res.body.error_msg.includes(mentions), `"${res.body.error_msg}" should name ${mentions}`);
}

for (const backend of BACKENDS) {
  describe(`GET /v1/aim/send-details on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    describe('parameters', () => {
      let token: string;
      before(async () => {
        const tenant = await createTenant(store);
        token = tenant.token;
        await insertSendDetails(store, tenant.account.id, [detail(), detail()], NOW);
      });

      const cases: Array<[string, string, number, string?, string?]> = [
        // [query, description, expected status, expected code, parameter named]
        ['offset=0&limit=10', 'smallest offset', 200],
        ['offset=1000000&limit=1', 'largest offset', 200],
        ['offset=-1&limit=10', 'negative offset', 400, 'KM.80000002', 'offset'],
        ['offset=1000001&limit=10', 'offset above the maximum', 400, 'KM.80000002', 'offset'],
        ['limit=10', 'missing offset', 400, 'KM.80000002', 'offset'],
        ['offset=&limit=10', 'empty offset', 400, 'KM.80000002', 'offset'],
        ['offset=0&limit=1', 'smallest limit', 200],
        ['offset=0&limit=100', 'largest limit', 200],
        ['offset=0&limit=0', 'limit 0 (what the Go SDK sends when unset)', 400, 'KM.80000002', 'limit'],
        ['offset=0&limit=101', 'limit above the maximum', 400, 'KM.80000002', 'limit'],
        ['offset=0', 'missing limit', 400, 'KM.80000002', 'limit'],
        ['offset=1e1&limit=10', 'exponent offset', 400, 'KM.80000002', 'offset'],
        ['offset=10.0&limit=10', 'decimal-point offset', 400, 'KM.80000002', 'offset'],
        ['offset=%2010&limit=10', 'leading space', 400, 'KM.80000002', 'offset'],
        ['offset=0x0A&limit=10', 'hexadecimal offset', 400, 'KM.80000002', 'offset'],
        ['offset=%2B1&limit=10', 'plus sign', 400, 'KM.80000002', 'offset'],
        ['offset=0&limit=1e1', 'exponent limit', 400, 'KM.80000002', 'limit'],
        ['offset=0&limit=abc', 'word limit', 400, 'KM.80000002', 'limit'],
        ['offset=0&offset=1&limit=10', 'offset twice', 400, 'KM.80000002', 'offset'],
        ['offset=0&limit=10&task_id=a&task_id=b', 'task_id twice', 400, 'KM.80000002', 'task_id'],
        ['offset=0&limit=10&cust_flag=1&cust_flag=1', 'cust_flag twice, same value', 400, 'KM.80000002', 'cust_flag'],
        [`offset=0&limit=10&task_id=${'a'.repeat(36)}`, 'task_id at 36', 200],
        [`offset=0&limit=10&task_id=${'a'.repeat(37)}`, 'task_id at 37', 400, 'KM.80000002', 'task_id'],
        [`offset=0&limit=10&tpl_id=${'1'.repeat(9)}`, 'tpl_id at 9', 200],
        [`offset=0&limit=10&tpl_id=${'1'.repeat(10)}`, 'tpl_id at 10', 400, 'KM.80000002', 'tpl_id'],
        [`offset=0&limit=10&sms_sign=${encodeURIComponent('签'.repeat(18))}`, 'sms_sign at 18 (Chinese)', 200],
        [`offset=0&limit=10&sms_sign=${encodeURIComponent('签'.repeat(19))}`, 'sms_sign at 19 (Chinese)', 400, 'KM.80000002', 'sms_sign'],
        [`offset=0&limit=10&cust_flag=${'9'.repeat(64)}`, 'cust_flag at 64', 200],
        [`offset=0&limit=10&cust_flag=${'9'.repeat(65)}`, 'cust_flag at 65', 400, 'KM.80000002', 'cust_flag'],
        [`offset=0&limit=10&begin_time=${'2'.repeat(31)}`, 'begin_time over 30 characters', 400, 'KM.80000002', 'begin_time'],
        [`offset=0&limit=10&end_time=${'2'.repeat(31)}`, 'end_time over 30 characters', 400, 'KM.80000002', 'end_time'],
        ['offset=0&limit=10&begin_time=2026-06-01T00:00:00', 'begin_time without Z, alone', 400, 'KM.90016458', 'begin_time'],
        ['offset=0&limit=10&end_time=2026-06-01T00:00:00%2B08:00', 'end_time with an offset, alone', 400, 'KM.90016458', 'end_time'],
        ['offset=0&limit=10&begin_time=2026-02-30T00:00:00Z&end_time=2026-06-01T00:00:00Z', 'impossible date', 400, 'KM.90016458', 'begin_time'],
        ['offset=0&limit=10&begin_time=2026-06-01T00:00:00.1234Z&end_time=2026-06-02T00:00:00Z', 'four fractional digits', 400, 'KM.90016458', 'begin_time'],
        ['offset=0&limit=10&begin_time=2026-06-02T00:00:00Z&end_time=2026-06-01T00:00:00Z', 'begin after end', 400, 'KM.90016458', 'begin_time'],
        ['offset=0&limit=10&begin_time=2025-06-15T11:59:59Z&end_time=2026-06-01T00:00:00Z', 'one second beyond a year back', 400, 'KM.90016459', 'begin_time'],
        ['offset=0&limit=10&begin_time=2025-06-15T12:00:00Z&end_time=2026-06-01T00:00:00Z', 'exactly a year back', 200],
        ['offset=0&limit=10&begin_time=2026-06-01T00:00:00.5Z&end_time=2026-06-01T00:00:00.522Z', 'fractional times', 200],
        ['offset=0&limit=10&unknown=1&another=x&task_id[]=1', 'unknown parameters', 200],
        ['offset=0&limit=10&task_id=a%00b', 'NUL in a filter', 400, 'KM.80000002', 'task_id'],
        ['offset=0&limit=10&cust_flag=%ED%A0%80', 'invalid UTF-8 in a filter', 200],
        ['offset=%zz&limit=10', 'malformed percent-encoding', 400, 'KM.80000002', 'offset'],
      ];
      for (const [query, what, status, code, param] of cases) {
        it(`${what}: ${status}${code ? ` ${code}` : ''}`, async () => {
          const app = await testApp(store);
          const res = await getDetails(app, token, query);
          if (status === 200) {
            assert.equal(res.status, 200, JSON.stringify(res.body));
            assert.ok(Array.isArray(res.body.send_details));
          } else {
            assertError(res, status, code as string, param);
          }
        });
      }

      it('empty strings mean no filter, exactly like absent parameters', async () => {
        const app = await testApp(store);
        const plain = await getDetails(app, token, 'offset=0&limit=100');
        const empty = await getDetails(app, token, 'offset=0&limit=100&task_id=&tpl_id=&sms_sign=&cust_flag=&begin_time=&end_time=');
        assert.equal(plain.status, 200);
        assert.equal(plain.body.page_info.total, 2);
        assert.deepEqual(empty.body, plain.body);
      });
    });

    describe('authentication and tenancy', () => {
      it('answers 401 APIG.0301 with request_id for a missing token', async () => {
        const app = await testApp(store);
        const res = await getDetails(app, undefined, 'offset=0&limit=10');
        assertError(res, 401, 'APIG.0301');
        assert.equal(res.body.request_id, res.headers['x-request-id']);
      });

      it('checks the token before the parameters', async () => {
        const app = await testApp(store);
        assertError(await getDetails(app, undefined, 'offset=-5'), 401, 'APIG.0301');
      });

      it('answers 401 for an unknown, an over-long and an empty token', async () => {
        const app = await testApp(store);
        const { token } = await createTenant(store);
        for (const bad of [token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), 'x'.repeat(2000), 'x'.repeat(2001), '']) {
          const res = await getDetails(app, bad, 'offset=0&limit=10');
          assertError(res, 401, 'APIG.0301');
          assert.equal(res.body.request_id, res.headers['x-request-id']);
        }
        assert.equal((await getDetails(app, token, 'offset=0&limit=10')).status, 200);
      });

      it('answers 401 once the token has expired (24 h by default)', async () => {
        const { token } = await createTenant(store);
        const justBefore = await testApp(store, () => new Date(NOW + 24 * 3600_000 - 1000));
        assert.equal((await getDetails(justBefore, token, 'offset=0&limit=1')).status, 200);
        const afterExpiry = await testApp(store, () => new Date(NOW + 24 * 3600_000));
        assertError(await getDetails(afterExpiry, token, 'offset=0&limit=1'), 401, 'APIG.0301', 'expired');
      });

      it('every role may query send details', async () => {
        const app = await testApp(store);
        for (const role of ['readonly', 'te_user', 'te_admin'] as const) {
          const { token } = await createTenant(store, role);
          assert.equal((await getDetails(app, token, 'offset=0&limit=1')).status, 200);
        }
      });

      it('two accounts never see each other\'s rows; a foreign task_id is like a nonexistent one', async () => {
        const app = await testApp(store);
        const a = await createTenant(store);
        const b = await createTenant(store);
        const shared = { taskId: 'aaaaaaaa-0000-4000-8000-000000000001', custFlag: '13900000000' };
        await insertSendDetails(store, a.account.id, [detail(shared), detail(shared)], NOW);
        await insertSendDetails(store, b.account.id, [detail(shared), detail({ taskId: 'bbbbbbbb-0000-4000-8000-000000000002' })], NOW);
        const aAll = await getDetails(app, a.token, 'offset=0&limit=100');
        const bAll = await getDetails(app, b.token, 'offset=0&limit=100');
        assert.equal(aAll.body.page_info.total, 2);
        assert.equal(bAll.body.page_info.total, 2);
        const aIds = new Set(aAll.body.send_details.map((r) => r.msg_id));
        assert.ok(bAll.body.send_details.every((r) => !aIds.has(r.msg_id)));
        const foreign = await getDetails(app, a.token, 'offset=0&limit=100&task_id=bbbbbbbb-0000-4000-8000-000000000002');
        const missing = await getDetails(app, a.token, 'offset=0&limit=100&task_id=cccccccc-0000-4000-8000-000000000003');
        assert.deepEqual(foreign.body, missing.body);
        assert.equal(foreign.body.page_info.total, 0);
      });
    });

    describe('response', () => {
      it('has the documented shape, all eleven fields, nulls for unknowns, headers', async () => {
        const app = await testApp(store);
        const { account, token } = await createTenant(store);
        const sendTime = Date.parse('2026-06-10T14:57:20Z');
        const rows = [
          detail({ sendTime, sendStatus: 'success', receiveTime: sendTime + 11_000, resultCode: null }),
          detail({ sendTime: sendTime - 1000, sendStatus: 'sending', receiveTime: null, resultCode: null, taskName: null, tplName: null }),
          detail({ sendTime: sendTime - 2000, sendStatus: 'fail', receiveTime: sendTime, resultCode: 'M2:0045' }),
        ];
        await insertSendDetails(store, account.id, rows, NOW);
        const res = await getDetails(app, token, 'offset=0&limit=2');
        assert.equal(res.status, 200);
        assert.equal(res.headers['content-type'], 'application/json;charset=UTF-8');
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/);
        assert.deepEqual(Object.keys(res.body).sort(), ['page_info', 'send_details']);
        assert.deepEqual(res.body.page_info, { offset: 0, limit: 2, total: 3 });
        for (const row of res.body.send_details) assert.deepEqual(Object.keys(row).sort(), [...FIELDS].sort());
        const [first, second] = res.body.send_details;
        const r0 = rows[0] as SendDetail;
        assert.deepEqual(first, {
          msg_id: r0.msgId, task_id: r0.taskId, task_name: r0.taskName, tpl_id: r0.tplId, tpl_name: r0.tplName,
          cust_flag: r0.custFlag, send_account: r0.sendAccount, send_status: 'success',
          send_time: '2026-06-10T14:57:20Z', receive_time: '2026-06-10T14:57:31Z', result_code: null,
        });
        assert.equal(second?.send_status, 'sending');
        assert.equal(second?.receive_time, null);
        assert.equal(second?.result_code, null);
        assert.equal(second?.task_name, null);
        const third = (await getDetails(app, token, 'offset=2&limit=1')).body;
        assert.deepEqual(third.page_info, { offset: 2, limit: 1, total: 3 });
        assert.equal(third.send_details[0]?.result_code, 'M2:0045');
        assert.equal(third.send_details[0]?.send_status, 'fail');
      });

      it('orders newest first, ties by msg_id ascending', async () => {
        const app = await testApp(store);
        const { account, token } = await createTenant(store);
        const t = Date.parse('2026-06-10T00:00:00Z');
        const ids = ['b_2', 'a_1', 'C_3', 'a_10', 'a_9'];
        await insertSendDetails(store, account.id, [
          ...ids.map((msgId) => detail({ msgId, sendTime: t })),
          detail({ msgId: 'z_newest', sendTime: t + 1000 }),
          detail({ msgId: '0_oldest', sendTime: t - 1000 }),
        ], NOW);
        const res = await getDetails(app, token, 'offset=0&limit=100');
        assert.deepEqual(res.body.send_details.map((r) => r.msg_id),
          ['z_newest', 'C_3', 'a_1', 'a_10', 'a_9', 'b_2', '0_oldest']);
      });

      it('includes both ends of the time range; a lone begin_time or end_time does not filter', async () => {
        const app = await testApp(store);
        const { account, token } = await createTenant(store);
        const begin = Date.parse('2026-06-01T00:00:00Z');
        const end = Date.parse('2026-06-02T00:00:00Z');
        await insertSendDetails(store, account.id, [begin - 1000, begin, begin + 1000, end - 1000, end, end + 1000]
          .map((sendTime) => detail({ sendTime })), NOW);
        const range = `begin_time=${iso(begin)}&end_time=${iso(end)}`;
        const res = await getDetails(app, token, `offset=0&limit=100&${range}`);
        assert.deepEqual(res.body.send_details.map((r) => r.send_time), [end, end - 1000, begin + 1000, begin].map(formatContractTime));
        assert.equal(res.body.page_info.total, 4);
        assert.equal((await getDetails(app, token, `offset=0&limit=100&begin_time=${iso(end)}`)).body.page_info.total, 6);
        assert.equal((await getDetails(app, token, `offset=0&limit=100&end_time=${iso(begin)}`)).body.page_info.total, 6);
        // Millisecond bounds: 00:00:00.500 excludes the row at 00:00:00, includes the one a second later.
        const ms = await getDetails(app, token, `offset=0&limit=100&begin_time=2026-06-01T00:00:00.5Z&end_time=2026-06-01T00:00:01.000Z`);
        assert.deepEqual(ms.body.send_details.map((r) => r.send_time), [formatContractTime(begin + 1000)]);
      });

      it('past the 10000 window: no rows, true total; inside it: rows', async () => {
        const app = await testApp(store);
        const { account, token } = await createTenant(store);
        const base = Date.parse('2026-06-01T00:00:00Z');
        const many = Array.from({ length: 10_050 }, (_, i) => detail({ msgId: `m_${String(i).padStart(6, '0')}`, sendTime: base - i * 1000 }));
        await insertSendDetails(store, account.id, many, NOW);
        const deep = await getDetails(app, token, 'offset=9900&limit=100');
        assert.equal(deep.body.send_details.length, 100);
        assert.equal(deep.body.send_details[0]?.msg_id, 'm_009900');
        assert.equal(deep.body.send_details[99]?.msg_id, 'm_009999');
        const last = await getDetails(app, token, 'offset=9999&limit=1');
        assert.equal(last.body.send_details[0]?.msg_id, 'm_009999');
        for (const query of ['offset=9901&limit=100', 'offset=10000&limit=1', 'offset=1000000&limit=100']) {
          const beyond = await getDetails(app, token, query);
          assert.equal(beyond.status, 200);
          assert.deepEqual(beyond.body.send_details, []);
          assert.equal(beyond.body.page_info.total, 10_050);
        }
        const beyondFiltered = await getDetails(app, token, `offset=9950&limit=100&begin_time=${iso(base - 9)}&end_time=${iso(base)}`);
        assert.equal(beyondFiltered.body.page_info.total, 1);
        assert.deepEqual(beyondFiltered.body.send_details, []);
      });

      it('matches an in-test oracle for every filter alone and combined, and paging yields each row once', async () => {
        const app = await testApp(store);
        const { account, token } = await createTenant(store);
        const other = await createTenant(store);
        const random = seededRandom(7);
        const tasks = ['11111111-aaaa-4000-8000-000000000001', '22222222-bbbb-4000-8000-000000000002', '33333333-cccc-4000-8000-000000000003'];
        const tpls = ['600000001', '600000002', '600000003', '600000004'];
        const signs = ['华为云', 'KooMessage', 'Shop'];
        const phones = ['13100000001', '13100000002', '13100000003', '13100000004', '13100000005'];
        const dayMs = 86_400_000;
        const make = () => detail({
          taskId: pick(random, tasks), tplId: pick(random, tpls), smsSign: pick(random, signs), custFlag: pick(random, phones),
          // Whole seconds, with deliberate ties.
          sendTime: NOW - Math.floor(random() * 40) * dayMs / 4 - Math.floor(random() * 3) * 1000,
        });
        const mine = Array.from({ length: 400 }, make);
        await insertSendDetails(store, account.id, mine, NOW);
        await insertSendDetails(store, other.account.id, Array.from({ length: 150 }, make), NOW);

        const choices = {
          taskId: [undefined, ...tasks, 'nope'], tplId: [undefined, ...tpls], smsSign: [undefined, ...signs], custFlag: [undefined, ...phones],
        };
        for (let round = 0; round < 40; round++) {
          const f: SendDetailsFilter = {};
          const params = new URLSearchParams();
          const set = (key: keyof typeof choices, name: string) => {
            if (round === 4) return; // round 4: the time range alone
            const value = round < 4 ? (key === ['taskId', 'tplId', 'smsSign', 'custFlag'][round] ? choices[key][1] : undefined) : pick(random, choices[key]);
            if (value !== undefined) { f[key] = value; params.set(name, value); }
          };
          set('taskId', 'task_id'); set('tplId', 'tpl_id'); set('smsSign', 'sms_sign'); set('custFlag', 'cust_flag');
          if (round === 4 || (round > 4 && random() < 0.5)) {
            const a = NOW - Math.floor(random() * 10) * dayMs;
            const b = a - Math.floor(random() * 5) * dayMs;
            f.sendTimeFrom = b; f.sendTimeTo = a;
            params.set('begin_time', iso(b)); params.set('end_time', iso(a));
          }
          const expected = expectedRows(mine, f);
          const limit = 1 + Math.floor(random() * 60);
          const seen: string[] = [];
          for (let offset = 0; ; offset += limit) {
            const res = await getDetails(app, token, `${params}&offset=${offset}&limit=${limit}`);
            assert.equal(res.status, 200);
            assert.equal(res.body.page_info.total, expected.length, `total for ${params}`);
            seen.push(...res.body.send_details.map((r) => String(r.msg_id)));
            if (res.body.send_details.length < limit) break;
          }
          assert.deepEqual(seen, expected.map((r) => r.msgId), `rows for ${params}`);
        }
      });
    });
  });
}
