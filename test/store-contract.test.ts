import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { receivedReport } from '../src/domain/delivery-report.js';
import { Conflict } from '../src/domain/errors.js';
import { JOB_KINDS } from '../src/domain/jobs.js';
import type { SendDetail } from '../src/domain/send-detail.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { NOW, detail, expectedRows } from './helpers/factories.js';

/**
 * The store's contract, the same on every backend: each repository called directly (no HTTP, no
 * services), and the unit of work. The HTTP suites check the same behaviour through the API.
 */
for (const backend of BACKENDS) {
  describe(`store contract on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));
    let seq = 0;
    const unique = (prefix: string) => `${prefix}${++seq}${backend.name[0]}`;
    const newAccount = () => store.accounts.create({ name: unique('acct'), domainId: unique('d').padEnd(32, '0'), projectId: unique('p').padEnd(32, '0'), now: NOW });

    it('accounts: created once by name, found by name and domain id', async () => {
      const account = await newAccount();
      assert.deepEqual(await store.accounts.findByName(account.name), account);
      assert.deepEqual(await store.accounts.findByDomainId(account.domainId), account);
      assert.equal(await store.accounts.domainIdOf(account.id), account.domainId);
      await assert.rejects(store.accounts.create({ name: account.name, domainId: 'x'.repeat(32), projectId: 'y'.repeat(32), now: NOW }), Conflict);
      assert.ok((await store.accounts.list()).some((a) => a.id === account.id && a.users === 0));
    });

    it('users and tokens: disabling a user deletes its tokens and hides its credentials; deleting takes its keys too', async () => {
      const account = await newAccount();
      const user = await store.users.create({ accountId: account.id, name: 'ann', publicId: 'a'.repeat(32), role: 'te_user', passwordHash: 'h', now: NOW });
      await assert.rejects(store.users.create({ accountId: account.id, name: 'ann', publicId: 'b'.repeat(32), role: 'readonly', passwordHash: null, now: NOW }), Conflict);
      const token = { tokenHash: unique('tok'), userId: user.id, accountId: account.id, now: NOW, expiresAt: NOW + 1000, scope: 'project' as const, method: 'token' as const };
      await store.tokens.insert(token);
      assert.equal((await store.tokens.find(token.tokenHash))?.user.id, user.id);
      await store.users.update(user.id, { status: 'disabled' });
      assert.equal(await store.tokens.find(token.tokenHash), undefined, 'tokens of a disabled user are gone');
      assert.equal(await store.users.findCredentials(account.id, 'ann'), undefined);
      await store.users.update(user.id, { status: 'active', role: 'te_admin' });
      assert.equal((await store.users.findCredentials(account.id, 'ann'))?.user.role, 'te_admin');
      await store.accessKeys.insert({ accessKey: unique('AK'), accountId: account.id, userId: user.id, secretEnc: 'sealed', now: NOW });
      await store.users.delete(user.id);
      assert.deepEqual(await store.accessKeys.list(account.id), []);
      assert.equal(await store.users.find(account.id, 'ann'), undefined);
    });

    it('tokens: revoke one, revoke all, expire', async () => {
      const account = await newAccount();
      const user = await store.users.create({ accountId: account.id, name: 'bo', publicId: 'c'.repeat(32), role: 'readonly', passwordHash: null, now: NOW });
      const make = (expiresAt: number) => ({ tokenHash: unique('t'), userId: user.id, accountId: account.id, now: NOW, expiresAt, scope: 'project' as const, method: 'token' as const });
      const [a, b, old] = [make(NOW + 1000), make(NOW + 1000), make(NOW - 1)];
      for (const t of [a, b, old]) await store.tokens.insert(t);
      assert.deepEqual(await store.tokens.revoke(a.tokenHash), { accountId: account.id, userId: user.id });
      assert.equal(await store.tokens.revoke(a.tokenHash), undefined);
      assert.ok(await store.tokens.deleteExpired(NOW) >= 1);
      assert.equal(await store.tokens.find(old.tokenHash), undefined);
      assert.equal(await store.tokens.revokeAllOf(user.id), 1);
      assert.equal(await store.tokens.find(b.tokenHash), undefined);
    });

    it('access keys: unique, listed without secrets, disabled and deleted per account', async () => {
      const account = await newAccount();
      const other = await newAccount();
      const user = await store.users.create({ accountId: account.id, name: 'cy', publicId: 'd'.repeat(32), role: 'te_user', passwordHash: null, now: NOW });
      const accessKey = unique('AK');
      await store.accessKeys.insert({ accessKey, accountId: account.id, userId: user.id, secretEnc: 'sealed', now: NOW });
      await assert.rejects(store.accessKeys.insert({ accessKey, accountId: account.id, userId: user.id, secretEnc: 'x', now: NOW }), Conflict);
      assert.equal((await store.accessKeys.find(accessKey))?.secretEnc, 'sealed');
      assert.deepEqual(await store.accessKeys.list(account.id), [{ accessKey, userName: 'cy', status: 'active', createdAt: NOW }]);
      assert.equal(await store.accessKeys.setStatus(other.id, accessKey, 'inactive'), false, 'another account cannot touch it');
      assert.equal(await store.accessKeys.setStatus(account.id, accessKey, 'inactive'), true);
      assert.equal((await store.accessKeys.find(accessKey))?.status, 'inactive');
      assert.equal(await store.accessKeys.delete(account.id, accessKey), true);
      assert.equal(await store.accessKeys.find(accessKey), undefined);
    });

    it('settings: the first value stays', async () => {
      const name = unique('setting');
      assert.equal(await store.settings.init(name, 'first'), 'first');
      assert.equal(await store.settings.init(name, 'second'), 'first');
      assert.equal(await store.settings.get(name), 'first');
    });

    it('reference data: templates renamed in place and listed newest first; signatures and SMS texts replaced', async () => {
      const account = await newAccount();
      await store.templates.upsert(account.id, [{ tplId: '100000001', tplName: 'a' }], NOW - 1000);
      await store.templates.upsert(account.id, [{ tplId: '100000002', tplName: 'b' }, { tplId: '100000001', tplName: 'a2' }], NOW);
      const listed = await store.templates.list(account.id, {}, 0, 10);
      assert.deepEqual(listed.rows.map((t) => [t.tplId, t.tplName]), [['100000002', 'b'], ['100000001', 'a2']]);
      assert.equal(listed.total, 2);
      assert.deepEqual((await store.templates.list(account.id, { tplName: 'b' }, 0, 0)), { rows: [], total: 1 });
      await store.signatures.upsert(account.id, [{ smsSign: '华为云', channelNumber: '1', appName: null }], NOW);
      await store.signatures.upsert(account.id, [{ smsSign: '华为云', channelNumber: '2', appName: 'app' }], NOW);
      assert.deepEqual(await store.signatures.find(account.id, '华为云'), { smsSign: '华为云', channelNumber: '2', appName: 'app' });
      await store.smsTemplates.upsert(account.id, '15010661', 'one ${1}', NOW);
      await store.smsTemplates.upsert(account.id, '15010661', 'two ${1}', NOW);
      assert.equal(await store.smsTemplates.find(account.id, '15010661'), 'two ${1}');
      assert.deepEqual(await store.smsTemplates.list(account.id), [{ smsTplId: '15010661', content: 'two ${1}' }]);
    });

    it('callbacks: one URL per url_type, replaced; receipt targets carry the domain id', async () => {
      const account = await newAccount();
      const first = await store.callbacks.upsert(account.id, 0, 'https://a.example/r', NOW);
      const second = await store.callbacks.upsert(account.id, 0, 'https://b.example/r', NOW + 1);
      assert.deepEqual([first.replaced, second.replaced], [false, true]);
      assert.equal(second.callback.id, first.callback.id);
      await store.callbacks.upsert(account.id, 1, 'https://c.example/t', NOW);
      assert.deepEqual((await store.callbacks.list(account.id)).map((c) => [c.urlType, c.callbackUrl]), [[0, 'https://b.example/r'], [1, 'https://c.example/t']]);
      assert.deepEqual(await store.callbacks.targets(account.id, [0, 2]), [{ urlType: 0, domainId: account.domainId }]);
    });

    it('send details: msg_ids once per account, pages and exports in the list order with exact totals', async () => {
      const account = await newAccount();
      const rows: SendDetail[] = Array.from({ length: 30 }, (_, i) => detail({ sendTime: NOW - (i % 7) * 3_600_000, tplId: i % 2 ? '100000001' : '100000002' }));
      await store.details.prepareFor(rows);
      const inserted = await store.transaction((tx) => tx.details.insertNew(account.id, rows, NOW));
      assert.equal(inserted.length, 30);
      assert.equal((await store.transaction((tx) => tx.details.insertNew(account.id, rows.slice(0, 5), NOW))).length, 0, 'known msg_ids are skipped');
      for (const filter of [{}, { tplId: '100000001' }, { sendTimeFrom: NOW - 3 * 3_600_000, sendTimeTo: NOW }, { msgId: rows[3]?.msgId as string }]) {
        const expected = expectedRows(rows, filter);
        const page = await store.details.page(account.id, filter, 2, 5);
        assert.equal(page.total, expected.length, JSON.stringify(filter));
        assert.deepEqual(page.rows.map((r) => r.msgId), expected.slice(2, 7).map((r) => r.msgId));
        const exported: string[] = [];
        for await (const batch of store.details.export(account.id, filter, 4)) exported.push(...batch.map((r) => r.msgId));
        assert.deepEqual(exported, expected.map((r) => r.msgId));
      }
      assert.deepEqual(await store.details.page(account.id, {}, 0, 0), { rows: [], total: 30 });
    });

    it('send details: a large batch (bulk-copied where the backend can) keeps every field, the first of a repeated msg_id, and skips known ones', async () => {
      const account = await newAccount();
      const awkward = ['a,b', 'say "hi"', 'line\nbreak', '', '华为云 ✓', 'back\\slash', 'N', '\\N', ' lead and trail '];
      const rows: SendDetail[] = Array.from({ length: 400 }, (_, i) => detail({
        sendTime: NOW - i * 60_000,
        taskName: awkward[i % awkward.length] as string,
        tplName: i % 3 ? null : awkward[(i + 1) % awkward.length] as string,
        smsSign: i % 5 ? '华为云' : null,
        custFlag: i % 4 ? `1310000${String(i).padStart(4, '0')}` : null,
        sendStatus: (['sending', 'success', 'fail'] as const)[i % 3],
        resultCode: i % 3 === 2 ? 'E:200' : null,
      }));
      const known = rows.slice(0, 50);
      await store.details.prepareFor(known);
      assert.equal((await store.transaction((tx) => tx.details.insertNew(account.id, known, NOW))).length, 50);
      // The same msg_id twice in one batch: the first is kept.
      const twice = { ...(rows[60] as SendDetail), sendTime: NOW - 7 * 86_400_000, taskName: 'the second copy' };
      const batch = [...rows, twice];
      await store.details.prepareFor(batch);
      const inserted = await store.transaction((tx) => tx.details.insertNew(account.id, batch, NOW));
      assert.equal(inserted.length, 350);
      assert.deepEqual(new Set(inserted.map((m) => m.msgId)), new Set(rows.slice(50).map((r) => r.msgId)));
      const page = await store.details.page(account.id, {}, 0, 400);
      assert.equal(page.total, 400);
      assert.deepEqual(page.rows, expectedRows(rows, {}));
      assert.equal((await store.details.page(account.id, { taskId: rows[0]?.taskId as string }, 0, 0)).total, 400);
      assert.equal((await store.details.page(account.id, { sendStatus: 'fail' }, 0, 0)).total, rows.filter((r) => r.sendStatus === 'fail').length);
    });

    it('send details: an insert a row breaks is reported to the query listeners as failed, and leaves nothing', async () => {
      const account = await newAccount();
      const reported: Array<{ ok: boolean; text: string }> = [];
      store.onQuery((_ms, ok, text) => reported.push({ ok, text }));
      const good = detail({ sendTime: NOW });
      // A status the table does not know binds as NULL, which send_status refuses.
      const broken = { ...detail({ sendTime: NOW - 1000 }), sendStatus: 'lost' as unknown as SendDetail['sendStatus'] };
      await store.details.prepareFor([good, broken]);
      await assert.rejects(store.transaction((tx) => tx.details.insertNew(account.id, [good, broken], NOW)));
      assert.ok(reported.some((r) => !r.ok && /^insert into "send_details"/.test(r.text)), JSON.stringify(reported.map((r) => [r.ok, r.text.slice(0, 40)])));
      assert.equal((await store.details.page(account.id, {}, 0, 10)).total, 0);
    });

    it('send details: settle moves a sending message to its final status once, counters included', async () => {
      const account = await newAccount();
      const sending = detail({ sendStatus: 'sending', sendTime: NOW - 5000 });
      await store.details.prepareFor([sending]);
      await store.transaction((tx) => tx.details.insertNew(account.id, [sending], NOW));
      const [message] = await store.details.findMessages([sending.msgId]);
      assert.ok(message);
      assert.equal(message.status, 'sending');
      await store.transaction((tx) => tx.details.settle([{ message, change: { status: 'fail', receiveTime: NOW, resultCode: 'UNDELIV' } }], NOW));
      const failed = await store.details.page(account.id, { sendStatus: 'fail' }, 0, 10);
      assert.deepEqual(failed.rows.map((r) => [r.msgId, r.resultCode]), [[sending.msgId, 'UNDELIV']]);
      assert.equal((await store.details.page(account.id, { sendStatus: 'sending' }, 0, 10)).total, 0);
      await assert.rejects(store.transaction((tx) => tx.details.settle([{ message, change: { status: 'success', receiveTime: NOW, resultCode: null } }], NOW)), /changed under a report/);
    });

    it('the unit of work: a failure rolls back everything in it, counters included', async () => {
      const account = await newAccount();
      const rows = [detail(), detail()];
      await store.details.prepareFor(rows);
      await assert.rejects(store.transaction(async (tx) => {
        await tx.details.insertNew(account.id, rows, NOW);
        await tx.outbox.enqueue([{ kind: JOB_KINDS.report, accountId: null, payload: { reports: [] }, runAt: NOW }], NOW);
        throw new Error('boom');
      }), /boom/);
      assert.deepEqual(await store.details.page(account.id, {}, 0, 10), { rows: [], total: 0 });
      assert.equal((await store.details.findMessages(rows.map((r) => r.msgId))).length, 0);
    });

    it('send tasks: listed newest first with counters from their details', async () => {
      const account = await newAccount();
      await store.tasks.upsertImported(account.id, [{ taskId: 'task-a', taskName: 'A', tplId: '100000001', smsSign: 's', createdAt: NOW - 10 }]);
      await store.tasks.upsertImported(account.id, [{ taskId: 'task-a', taskName: 'changed', tplId: null, smsSign: null, createdAt: NOW }]);
      const rows = [detail({ taskId: 'task-a' }), detail({ taskId: 'task-a', sendStatus: 'fail' })];
      await store.details.prepareFor(rows);
      await store.transaction((tx) => tx.details.insertNew(account.id, rows, NOW));
      const listed = await store.tasks.list(account.id, { createdFrom: NOW - 100, createdTo: NOW }, 0, 10);
      assert.equal(listed.total, 1);
      assert.equal(listed.rows[0]?.taskName, 'A', 'an imported task is never overwritten');
      assert.deepEqual(listed.rows[0]?.details, { total: 2, sending: 0, success: 1, fail: 1 });
    });

    it('send reports: per template and day from the status counters', async () => {
      const account = await newAccount();
      await store.templates.upsert(account.id, [{ tplId: '100000009', tplName: 'nine' }], NOW);
      const rows = [detail({ tplId: '100000009' }), detail({ tplId: '100000009', sendStatus: 'fail' })];
      await store.details.prepareFor(rows);
      await store.transaction((tx) => tx.details.insertNew(account.id, rows, NOW));
      const day = Math.floor(NOW / 86_400_000) * 86_400_000;
      const report = await store.sendReports.report(account.id, { monthly: false, fromDay: day - 86_400_000, toDay: day }, 0, 10);
      assert.deepEqual(report.rows.map((r) => [r.tplId, r.tplName, r.total, r.success, r.fail]), [['100000009', 'nine', 2, 1, 1]]);
    });

    it('delivery reports: kept as received; a second copy is a duplicate; parked ones wait for their message', async () => {
      const msgId = unique('parked-');
      const received = receivedReport({ msgId, status: 'DELIVRD', resultCode: null, receiveTime: NOW, reportId: unique('r') });
      const [id] = await store.deliveryReports.record([received], NOW);
      assert.equal(typeof id, 'number');
      assert.deepEqual(await store.deliveryReports.record([received], NOW), [undefined], 'the same report again');
      // In one call: a new report, its copy, an invalid one; only the first copy gets an id.
      const other = receivedReport({ msgId, status: 'UNDELIV', resultCode: 'E1', receiveTime: NOW, reportId: unique('r') });
      const invalid = { ok: false as const, msgId, raw: '{}', reason: 'status is required' };
      const ids = await store.deliveryReports.record([other, other, invalid], NOW);
      assert.equal(typeof ids[0], 'number');
      assert.deepEqual(ids.slice(1), [undefined, undefined]);
      assert.deepEqual((await store.deliveryReports.parkedFor([msgId])).map((r) => [r.id, r.msgId, r.raw]), [[id, msgId, received.raw], [ids[0], msgId, other.raw]]);
      const states = await store.db.selectFrom('delivery_reports').select(['state', 'report_key']).where('msg_id', '=', msgId).orderBy('id').execute();
      assert.deepEqual(states.map((r) => [r.state, r.report_key === null]), [['parked', false], ['duplicate', true], ['parked', false], ['duplicate', true], ['rejected', true]]);
      await store.deliveryReports.settle([{ id: id as number, state: 'applied', reason: null, accountId: null }, { id: ids[0] as number, state: 'duplicate', reason: 'late', accountId: null }], NOW);
      assert.deepEqual(await store.deliveryReports.parkedFor([msgId]), []);
    });

    it('outbox: a claim leases each due job to one claimer; retry releases it for later; complete removes it', async () => {
      const before = await store.outbox.pending();
      await store.outbox.enqueue([
        { kind: JOB_KINDS.report, accountId: null, payload: { reports: [1] }, runAt: NOW },
        { kind: JOB_KINDS.report, accountId: null, payload: { reports: [2] }, runAt: NOW + 60_000 },
      ], NOW);
      assert.equal(await store.outbox.pending(), before + 2);
      const [first, second] = await Promise.all([store.outbox.claim(NOW, 10, 5000), store.outbox.claim(NOW, 10, 5000)]);
      const claimed = [...(first ?? []), ...(second ?? [])];
      assert.equal(claimed.length, 1, 'the due job went to one claimer; the later one is not due');
      const job = claimed[0];
      assert.ok(job);
      assert.deepEqual([job.payload, job.attempts], [{ reports: [1] }, 1]);
      assert.deepEqual(await store.outbox.claim(NOW + 1000, 10, 5000), [], 'leased');
      await store.outbox.retry(job.id, NOW + 2000, 'gateway down');
      const again = await store.outbox.claim(NOW + 2000, 10, 5000);
      assert.deepEqual(again.map((j) => [j.id, j.attempts]), [[job.id, 2]]);
      await store.outbox.complete(job.id);
      assert.equal(await store.outbox.pending(), before + 1);
      assert.ok((await store.outbox.stats()).some((s) => s.kind === JOB_KINDS.report && s.jobs >= 1));
      const [later] = await store.outbox.claim(NOW + 60_000, 10, 5000);
      await store.outbox.enqueue([{ kind: JOB_KINDS.report, accountId: null, payload: { reports: [3] }, runAt: NOW }], NOW);
      const [third] = await store.outbox.claim(NOW + 60_000, 10, 5000);
      assert.ok(later && third);
      await store.outbox.complete([later.id, third.id]);
      assert.equal(await store.outbox.pending(), before, 'several completed in one call');
    });

    it('retention: purge deletes what was sent before the cutoff and keeps totals exact', async () => {
      const account = await newAccount();
      const old = [detail({ sendTime: NOW - 400 * 86_400_000 }), detail({ sendTime: NOW - 400 * 86_400_000 })];
      const recent = [detail({ sendTime: NOW - 1000 })];
      await store.details.prepareFor([...old, ...recent]);
      await store.transaction((tx) => tx.details.insertNew(account.id, [...old, ...recent], NOW));
      assert.equal((await store.details.page(account.id, {}, 0, 10)).total, 3);
      assert.ok(await store.retention.purge(NOW - 395 * 86_400_000) >= 2);
      const left = await store.details.page(account.id, {}, 0, 10);
      assert.deepEqual([left.total, left.rows.map((r) => r.msgId)], [1, recent.map((r) => r.msgId)]);
    });
  });
}
