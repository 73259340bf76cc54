import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../src/domain/clock.js';
import { isAllowedAddress } from '../src/domain/callback.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, getDetails, NOW, testApp, testStack } from './helpers/factories.js';
import { phones, postTask, SIGN, taskBody, tenantWithReferences, TPL_ID } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';
import { outboundFailure, outboundPost } from '../src/service/outbound.js';

type Json = Record<string, unknown>;

async function register(app: Awaited<ReturnType<typeof testApp>>, token: string, body: Json) {
  const res = await app.inject({ method: 'POST', url: '/v1/aim/callbacks', headers: { 'x-auth-token': token }, payload: body });
  if (res.statusCode >= 500) throw new Error(res.body);
  return { status: res.statusCode, body: res.json() as Json & { data: Json; error_code?: string; error_msg?: string } };
}

describe('addresses receipts may reach', () => {
  it('only global unicast: private, special and reserved ranges are refused, embedded IPv4 judged as IPv4', () => {
    for (const a of [
      '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
      '192.0.2.1', '198.51.100.7', '203.0.113.9', '198.18.0.1', '224.0.0.1', '255.255.255.255', '240.0.0.1',
      '::', '::1', 'fe80::1', 'fd00::1', 'fc00::1', 'ff02::1', 'fec0::1', '100::1', '2001:db8::1', '2001::1', '3fff::1',
      // IPv4 inside IPv6: mapped, translated, compatible, NAT64, 6to4.
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:0:a00:1', '::7f00:1', '::127.0.0.1', '::10.0.0.1',
      '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::8.8.8.8', '2002:7f00:1::1', '2002:c0a8:101::1',
      'not-an-ip', '',
    ]) {
      assert.equal(isAllowedAddress(a), false, a);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2001:4860:4860::8888', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      assert.equal(isAllowedAddress(a), true, a);
    }
  });
});

for (const backend of BACKENDS) {
  describe(`callbacks and receipts on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('registration: te_admin only, URL rules, private addresses refused by default, one URL per url_type', async () => {
      const strict = await testApp(store);
      const admin = await createTenant(store, 'te_admin');
      const user = await createTenant(store, 'te_user');
      assert.equal((await register(strict, user.token, { callback_url: 'https://example.com/r' })).status, 403);
      for (const [body, why] of [
        [{}, /required/], [{ callback_url: 'ftp://example.com/r' }, /http/], [{ callback_url: `https://example.com/${'x'.repeat(1000)}` }, /1000/],
        [{ callback_url: 'https://u:p@example.com/r' }, /user name/], [{ callback_url: 'https://example.com/r', url_type: 3 }, /url_type/],
        [{ callback_url: 'http://127.0.0.1:9/r' }, /not allowed/], [{ callback_url: 'http://localhost/r' }, /not allowed/],
        [{ callback_url: 'http://[::1]/r' }, /not allowed/], [{ callback_url: 'http://10.0.0.8/r' }, /not allowed/],
        [{ callback_url: 'http://169.254.169.254/latest' }, /not allowed/], [{ callback_url: 'http://[::7f00:1]/r' }, /not allowed/],
        [{ callback_url: 'http://[fec0::1]/r' }, /not allowed/], [{ callback_url: 'http://[64:ff9b::7f00:1]/r' }, /not allowed/],
      ] as const) {
        const res = await register(strict, admin.token, body as Json);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(String(res.body.error_msg), why, JSON.stringify(body));
      }
      const { app } = await testStack(store, { allowPrivate: true });
      const first = await register(app, admin.token, { callback_url: 'http://127.0.0.1:9/a', url_type: 0 });
      assert.equal(first.status, 200);
      assert.equal(first.body.status, '200');
      assert.equal(first.body.message, 'success');
      assert.deepEqual({ ...first.body.data, id: 'x' }, { callback_url: 'http://127.0.0.1:9/a', id: 'x', url_type: 0, replaced: false });
      const again = await register(app, admin.token, { callback_url: 'http://127.0.0.1:9/b' });
      assert.equal(again.body.data.replaced, true);
      assert.equal(again.body.data.id, first.body.data.id, 'the registration keeps its id');
      await register(app, admin.token, { callback_url: 'http://127.0.0.1:9/c', url_type: 2 });
      const list = await app.inject({ url: '/v1/aim/callbacks', headers: { 'x-auth-token': admin.token } });
      assert.deepEqual((list.json() as { data: Json[] }).data.map((c) => [c.url_type, c.callback_url]), [[0, 'http://127.0.0.1:9/b'], [2, 'http://127.0.0.1:9/c']]);
    });

    it('receipts survive a receiver that is down, then slow, then failing, then up: each message arrives, in the documented shape', { timeout: 60_000 }, async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const receiver = new Receiver();
      receiver.slowMs = 1500;
      const base = await receiver.start();
      const { app, worker } = await testStack(store, { clock, allowPrivate: true, simulator: { delayMs: 0, failRatio: 0.4, seed: 9 }, receipts: { timeoutMs: 400 } });
      const tenant = await tenantWithReferences(store, 'te_admin');
      await register(app, tenant.token, { callback_url: `${base}/single`, url_type: 0 });
      await register(app, tenant.token, { callback_url: `${base}/batch`, url_type: 2 });
      const created = (await postTask(app, tenant.token, taskBody(phones(7)))).json() as { task_id: string; resolve_task: { params: Array<{ msg_id: string; aim_code: string; aim_url: string }> } };
      const links = new Map(created.resolve_task.params.map((p) => [p.msg_id, p]));

      await receiver.down();
      await worker.drain();
      const details = (await getDetails(app, tenant.token, `task_id=${created.task_id}&offset=0&limit=10`)).body.send_details;
      assert.ok(details.every((d) => d.send_status !== 'sending'), 'delivered while the receiver is down');
      assert.equal(receiver.received.length, 0);
      assert.ok(await store.outbox.pending() > 0, 'receipts wait in the outbox');

      for (const mode of ['slow', 'error', 'up'] as const) {
        if (mode === 'slow') await receiver.start();
        receiver.mode = mode;
        now += 11 * 60_000;
        await worker.drain();
      }
      // A slow answer can land after its push was given up: let it, then settle.
      await new Promise((r) => setTimeout(r, receiver.slowMs));
      now += 11 * 60_000;
      await worker.drain();
      assert.equal(await store.outbox.pending(), 0, 'nothing left to push');

      const byMsg = new Map(details.map((d) => [d.msg_id as string, d]));
      for (const [path, batch] of [['/single', false], ['/batch', true]] as const) {
        const got = receiver.receipts(path);
        assert.deepEqual(new Set(got.map((g) => g.receipt.msg_id)), new Set(byMsg.keys()), `${path}: every message's receipt arrived`);
        assert.ok(got.every((g) => g.batch === batch), `${path}: body is ${batch ? 'an array' : 'one object'}`);
        const seen = new Set<unknown>();
        for (const g of got) {
          if (seen.has(g.receipt.msg_id)) assert.equal(g.retry, true, 'a duplicate is always a marked re-send');
          seen.add(g.receipt.msg_id);
          const d = byMsg.get(g.receipt.msg_id as string) as Json;
          assert.deepEqual(g.receipt, {
            task_id: created.task_id, cust_flag: d.cust_flag, msg_id: d.msg_id, tpl_id: TPL_ID, sms_sign: SIGN,
            aim_code: links.get(d.msg_id as string)?.aim_code, aim_url: links.get(d.msg_id as string)?.aim_url,
            send_time: d.send_time, receive_time: d.receive_time, send_status: d.send_status === 'success' ? 'DELIVRD' : d.result_code,
            send_status_desc: d.send_status === 'success' ? '发送成功' : `发送失败: ${String(d.result_code)}`, total: 1, sequence: 1,
          });
        }
      }
      const envelopes = receiver.received.map((r) => r.envelope);
      assert.ok(envelopes.every((e) => e.domain_id === tenant.account.domainId && e.callback_type === 'sms' && /^[0-9a-f-]{36}$/.test(e.request_id)));
      assert.ok(envelopes.every((e) => typeof e.body === 'string'), 'body is a JSON string');
      assert.ok(receiver.received.filter((r) => r.path === '/single').every((r) => r.envelope.retry === true),
        'single receipts first met a closed port, so every one that arrived was a re-send');
      await receiver.down();
    });

    it('DNS rebinding: each push resolves once, checks every answer and connects only to what it checked', async () => {
      const receiver = new Receiver();
      const base = await receiver.start();
      const port = new URL(base).port;
      // A name that answers a public address, then loopback, then public, … as a rebinding
      // attacker's DNS server does.
      const answers: string[] = [];
      const resolve = async (host: string) => {
        assert.equal(host, 'rebind.test');
        const address = answers.length % 2 === 0 ? '93.184.215.14' : '127.0.0.1';
        answers.push(address);
        return [{ address, family: 4 }];
      };
      const { app, worker } = await testStack(store, { receipts: { resolve, timeoutMs: 300 } });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const registered = await register(app, tenant.token, { callback_url: `http://rebind.test:${port}/r` });
      assert.equal(registered.status, 200, 'the name answered a public address at registration');
      const pushes = answers.length;
      await postTask(app, tenant.token, taskBody(phones(4)));
      await worker.drain();
      assert.equal(receiver.received.length, 0, 'nothing reached the loopback receiver');
      const errors = (await store.db.selectFrom('outbox').select('last_error').where('kind', '=', 'receipt').execute()).map((r) => String(r.last_error));
      const outbox = await store.db.selectFrom('outbox').select(['kind', 'attempts', 'last_error', 'run_at', 'locked_until']).execute();
      const reports = await store.db.selectFrom('delivery_reports').select(['state', 'reason']).execute();
      assert.equal(errors.length, 4, `every receipt waits for a retry; outbox ${JSON.stringify(outbox)}, reports ${JSON.stringify(reports)}`);
      assert.equal(answers.length - pushes, 4, 'one resolution per push, none of its own by the HTTP client');
      assert.ok(errors.some((e) => /not allowed/.test(e)), errors.join(' | '));
      // No error comes from another resolution of the name (the system resolver knows no rebind.test).
      assert.ok(errors.every((e) => !/ENOTFOUND|getaddrinfo|does not resolve/.test(e)), errors.join(' | '));
      assert.ok(errors.every((e) => !e.includes('127.0.0.1')), 'the refusal does not say what the name resolved to');
      await receiver.down();
    });

    it('a connection to a literal private address is refused at the socket, whatever resolved it', async () => {
      const receiver = new Receiver();
      const base = await receiver.start();
      let lookups = 0;
      const guarded = outboundPost({ allowPrivate: false, resolve: async () => { lookups += 1; return [{ address: '93.184.215.14', family: 4 }]; } });
      const push = { headers: { 'content-type': 'application/json' }, timeoutMs: 5000 };
      await assert.rejects(guarded(`${base}/r`, '{}', push), (error: Error) => /not allowed/.test(outboundFailure(error)));
      assert.equal(lookups, 0, 'a literal address is not looked up');
      assert.equal(receiver.received.length, 0);
      const open = outboundPost({ allowPrivate: true });
      assert.equal(await open(`${base}/r`, '{}', push), 200, 'allowed when the deployment says so');
      await receiver.down();
    });

    it('a redirect is not followed: the push answers the redirect status, and its target hears nothing', async () => {
      const target = new Receiver();
      const targetBase = await target.start();
      const redirecting = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(307, { location: `${targetBase}/r` }).end());
      });
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
      const open = outboundPost({ allowPrivate: true });
      const status = await open(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/r`, '{}', { headers: { 'content-type': 'application/json' }, timeoutMs: 5000 });
      assert.equal(status, 307);
      assert.equal(target.received.length, 0);
      await new Promise((resolve) => redirecting.close(resolve));
      await target.down();
    });

    it('a first push that succeeds is not marked as a re-send', async () => {
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker } = await testStack(store, { allowPrivate: true });
      const tenant = await tenantWithReferences(store, 'te_admin');
      await register(app, tenant.token, { callback_url: `${base}/r` });
      await postTask(app, tenant.token, taskBody(phones(2)));
      await worker.drain();
      assert.deepEqual(receiver.received.map((r) => r.envelope.retry), [false, false]);
      await receiver.down();
    });
  });
}
