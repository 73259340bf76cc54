import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { parse } from 'csv-parse/sync';
import { trustProxy } from '../src/config.js';
import { buildApp, CONSOLE_DIR } from '../src/http/app.js';
import { AuthThrottle } from '../src/identity/auth-throttle.js';
import { loggerOptions, servicesFor } from '../src/server.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { importSendDetails } from '../src/service/import.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, detail, fixedClock, NOW, TEST_SIMULATOR, testApp, testKeyring, testStack } from './helpers/factories.js';
import { insertSendDetails } from '../src/service/ledger.js';

const PASSWORD = 'correct horse battery staple';

function login(user: string, password: string, domain: { name: string } | { id: string }) {
  return { auth: { identity: { methods: ['password'], password: { user: { name: user, password, domain } } } } };
}

/** Appends `n` details to the account in batches, newest first, spread over the last days. */
async function fill(store: KyselyStore, accountId: number, n: number, overrides: Parameters<typeof detail>[0] = {}): Promise<void> {
  for (let done = 0; done < n; done += 2000) {
    const batch = Array.from({ length: Math.min(2000, n - done) }, (_, i) => detail({ sendTime: NOW - (done + i) * 7_000, ...overrides }));
    await insertSendDetails(store, accountId, batch, NOW);
  }
}

for (const backend of BACKENDS) {
  describe(`one tenant cannot starve the others on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('an export gives the event loop a turn between batches, however fast the client reads', async () => {
      const app = await testApp(store);
      const tenant = await createTenant(store);
      await fill(store, tenant.account.id, 6000);
      let turns = 0;
      let ticking = true;
      const tick = () => {
        turns += 1;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      const started = turns;
      // inject reads the whole stream as fast as it comes.
      const res = await app.inject({ url: '/v1/aim/send-details/export?format=ndjson', headers: { 'x-auth-token': tenant.token } });
      ticking = false;
      assert.equal(res.statusCode, 200);
      assert.equal(res.body.trim().split('\n').length, 6000);
      // 6000 rows in batches of 500: the loop turned at least once per batch.
      assert.ok(turns - started >= 12, `the event loop turned ${turns - started} times during the export`);
    });

    it('every filter the API accepts is served by an index, send_status and msg_id included', async () => {
      const tenant = await createTenant(store);
      await fill(store, tenant.account.id, 50);
      // [label, condition, the column the index must be searched by]
      const filters: Array<[string, string, string]> = [
        ['task_id', `task_id = 'x'`, 'task_id'], ['tpl_id', `tpl_id = 'x'`, 'tpl_id'], ['sms_sign', `sms_sign = 'x'`, 'sms_sign'],
        ['cust_flag', `cust_flag = 'x'`, 'cust_flag'], // A range with rows in it: on PostgreSQL an empty month has no partition to plan.
        ['send_time', `send_time between ${NOW - 86_400_000} and ${NOW}`, 'send_time'],
        ['send_status', 'send_status = 2', 'send_status'], ['msg_id', `msg_id = 'x'`, 'msg_id'],
        ['send_status and task_id', `send_status = 2 and task_id = 'x'`, 'task_id|send_status'],
      ];
      for (const [label, where, column] of filters) {
        const query = `select msg_id from send_details where account_id = ${tenant.account.id} and ${where} order by send_time desc, msg_id limit 100 offset 9900`;
        if (backend.name === 'sqlite') {
          const plan = (await sql.raw<{ detail: string }>(`explain query plan ${query}`).execute(store.db)).rows.map((r) => r.detail);
          const search = new RegExp(`^SEARCH send_details USING (COVERING INDEX|INDEX|PRIMARY KEY)\\b.*\\(account_id=\\? AND (?:${column})[=>]`);
          assert.ok(plan.some((line) => search.test(line)), `${label} is not searched by ${column}: ${plan.join(' | ')}`);
        } else {
          // With sequential scans priced out, the filter must still be an index condition.
          const plan = await store.db.transaction().execute(async (tx) => {
            await sql`set local enable_seqscan = off`.execute(tx);
            return (await sql.raw<{ 'QUERY PLAN': string }>(`explain ${query}`).execute(tx)).rows.map((r) => r['QUERY PLAN']).join('\n');
          });
          assert.ok(!/Seq Scan/.test(plan), `${label}:\n${plan}`);
          assert.match(plan, new RegExp(`Index Cond: .*(?:${column})`), `${label} is not an index condition:\n${plan}`);
        }
      }
    });

    it('an account runs at most AIMLEDGER_EXPORTS_PER_ACCOUNT exports at once; more answer 429 with Retry-After', async () => {
      // No load shedding: filling the store below blocks the loop on purpose.
      const { app } = await testStack(store, { app: { exportsPerAccount: 2, maxEventLoopDelayMs: 0 } });
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      // More than the sockets can buffer, so an export the client does not read stays open.
      await fill(store, tenant.account.id, 30_000, { taskName: 'x'.repeat(200) });
      await insertSendDetails(store, other.account.id, [detail()], NOW);
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        const start = (token: string) => fetch(`${base}/v1/aim/send-details/export?format=csv`, { headers: { 'x-auth-token': token } });
        const first = await start(tenant.token);
        const second = await start(tenant.token);
        assert.equal(first.status, 200);
        assert.equal(second.status, 200);
        const third = await start(tenant.token);
        assert.equal(third.status, 429);
        assert.ok(Number(third.headers.get('retry-after')) >= 1);
        const body = await third.json() as { error_code: string; error_msg: string };
        assert.equal(body.error_code, 'APIG.0308');
        assert.match(body.error_msg, /2 exports at once/);
        // Another account is not affected.
        const elsewhere = await start(other.token);
        assert.equal(elsewhere.status, 200);
        await elsewhere.text();
        // A client that goes away gives its slot back.
        await first.body?.cancel();
        let again: Response | undefined;
        for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
          again = await start(tenant.token);
          if (again.status === 200) break;
          await again.text();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(again?.status, 200, 'a slot came free after a client left');
        await again?.body?.cancel();
        await second.body?.cancel();
      } finally {
        await app.close();
      }
    });
  });

  describe(`password guessing on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('40 parallel wrong passwords: no more than the limit are verified, the rest are refused', async () => {
      const admin = new IdentityAdmin(store, fixedClock);
      const name = `acct-${randomBytes(4).toString('hex')}`;
      await admin.createAccount(name);
      await admin.createUser(name, 'alice', 'readonly', PASSWORD);
      const app = await testApp(store, fixedClock, new AuthThrottle({ perSubjectAndAddress: 10, perAddress: 100, windowSeconds: 60, freeFailures: 1000, maxDelayMs: 0 }));
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: login('alice', `guess ${i}`, { name }), remoteAddress: '10.9.0.1' })));
      const statuses = answers.map((a) => a.statusCode);
      assert.equal(statuses.filter((s) => s === 401).length, 10, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 429).length, 30, statuses.join(','));
      // The right password is refused too while the budget is spent.
      const right = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: login('alice', PASSWORD, { name }), remoteAddress: '10.9.0.1' });
      assert.equal(right.statusCode, 429);
    });

    it('domain.name and domain.id share one budget; a success gives its attempt back', async () => {
      const admin = new IdentityAdmin(store, fixedClock);
      const name = `acct-${randomBytes(4).toString('hex')}`;
      const account = await admin.createAccount(name);
      await admin.createUser(name, 'alice', 'readonly', PASSWORD);
      const app = await testApp(store, fixedClock, new AuthThrottle({ perSubjectAndAddress: 4, perAddress: 100, windowSeconds: 60, freeFailures: 1000, maxDelayMs: 0 }));
      const post = (password: string, domain: { name: string } | { id: string }) =>
        app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: login('alice', password, domain), remoteAddress: '10.9.0.2' });
      // Successes cost nothing: many in a row leave the whole budget.
      for (let i = 0; i < 6; i++) assert.equal((await post(PASSWORD, { name })).statusCode, 201);
      assert.equal((await post('wrong', { name })).statusCode, 401);
      assert.equal((await post('wrong', { id: account.domainId })).statusCode, 401);
      assert.equal((await post('wrong', { name })).statusCode, 401);
      assert.equal((await post('wrong', { id: account.domainId })).statusCode, 401);
      assert.equal((await post('wrong', { name })).statusCode, 429, 'the fifth guess, by either name, is refused');
      assert.equal((await post('wrong', { id: account.domainId })).statusCode, 429);
    });
  });

  describe(`logs and exports carry no secrets or live formulas on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('the Kannel DLR secret never reaches the log; phone numbers in URLs only at debug', async () => {
      const secret = `dlr-${randomBytes(12).toString('hex')}`;
      const phone = '13912345678';
      const logAt = async (level: 'info' | 'debug') => {
        const lines: string[] = [];
        const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
        const services = servicesFor(store, fixedClock, testKeyring, {
          simulator: TEST_SIMULATOR,
          kannel: { sendsmsUrl: 'http://127.0.0.1:9/cgi-bin/sendsms', username: 'u', password: 'p', dlrBaseUrl: 'http://127.0.0.1:8080', dlrSecret: secret },
        });
        const app = await buildApp({ ...services.deps, logger: loggerOptions(level, sink) });
        const tenant = await createTenant(store);
        await app.inject({ url: `/v1/kannel/dlr?msg_id=m1&secret=${secret}&type=1` });
        await app.inject({ url: `/v1/kannel/dlr?msg_id=m1&secret=${secret}x&type=1` });
        const res = await app.inject({ url: `/v1/aim/send-details?offset=0&limit=1&cust_flag=${phone}`, headers: { 'x-auth-token': tenant.token } });
        assert.equal(res.statusCode, 200);
        await app.close();
        return lines.join('');
      };
      const info = await logAt('info');
      assert.match(info, /\/v1\/kannel\/dlr\?msg_id=m1&secret=\[redacted\]&type=1/);
      assert.match(info, /cust_flag=\[redacted\]/);
      assert.ok(!info.includes(secret), 'the secret is in the info log');
      assert.ok(!info.includes(phone), 'a phone number is in the info log');
      const debug = await logAt('debug');
      assert.ok(!debug.includes(secret), 'the secret is in the debug log');
      assert.ok(debug.includes(`cust_flag=${phone}`), 'debug shows the phone number');
    });

    it('CSV export cells that a spreadsheet would run as formulas are escaped', async () => {
      const app = await testApp(store);
      const tenant = await createTenant(store);
      const dangerous = ['=HYPERLINK("http://evil.test","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
      await insertSendDetails(store, tenant.account.id, dangerous.map((taskName, i) => detail({
        taskName, sendStatus: 'fail', resultCode: i === 0 ? '=cmd|calc' : 'UNDELIV', sendTime: NOW - i * 1000,
      })), NOW);
      await insertSendDetails(store, tenant.account.id, [detail({ custFlag: '+8613100000000', sendAccount: '+8613100000000', sendTime: NOW - 60_000 })], NOW);
      const res = await app.inject({ url: '/v1/aim/send-details/export?format=csv', headers: { 'x-auth-token': tenant.token } });
      assert.equal(res.statusCode, 200);
      const rows = parse(res.rawPayload, { bom: true, columns: true }) as Array<Record<string, string>>;
      const names = rows.map((r) => r.task_name);
      for (const name of dangerous) assert.ok(names.includes(`'${name}`), `${JSON.stringify(name)} escaped: ${JSON.stringify(names)}`);
      assert.ok(rows.some((r) => r.result_code === "'=cmd|calc"));
      assert.ok(rows.some((r) => r.cust_flag === "'+8613100000000"));
      // Imported back, the apostrophes come off: the values are the ones stored.
      const copy = await createTenant(store);
      const summary = await importSendDetails(store, copy.account.id, Readable.from([res.rawPayload]), fixedClock, { format: 'csv' });
      assert.equal(summary.rejected, 0);
      const imported = await store.details.page(copy.account.id, {}, 0, 100);
      const original = await store.details.page(tenant.account.id, {}, 0, 100);
      assert.deepEqual(imported.rows.map((r) => [r.taskName, r.resultCode, r.custFlag]), original.rows.map((r) => [r.taskName, r.resultCode, r.custFlag]));
      // NDJSON is data, not a spreadsheet: untouched.
      const nd = await app.inject({ url: '/v1/aim/send-details/export?format=ndjson', headers: { 'x-auth-token': tenant.token } });
      assert.ok(nd.body.split('\n').filter(Boolean).some((l) => (JSON.parse(l) as { task_name: string }).task_name === dangerous[0]));
    });
  });

  describe(`unauthenticated requests are limited per address on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('requests without credentials or with failing ones count; valid credentials and probes do not', async () => {
      const { app } = await testStack(store, { app: { unauthenticatedPerMinute: 5 } });
      const tenant = await createTenant(store);
      const from = (remoteAddress: string, headers: Record<string, string> = {}) =>
        app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers, remoteAddress });
      for (let i = 0; i < 3; i++) assert.equal((await from('10.8.0.1')).statusCode, 401);
      for (let i = 0; i < 2; i++) assert.equal((await from('10.8.0.1', { 'x-auth-token': 'not-a-token' })).statusCode, 401);
      const refused = await from('10.8.0.1');
      assert.equal(refused.statusCode, 429);
      assert.equal((refused.json() as { error_code: string }).error_code, 'APIG.0308');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assert.equal((await from('10.8.0.1', { 'x-auth-token': 'still-not-a-token' })).statusCode, 429, 'a failing credential past the budget');
      assert.equal((await app.inject({ url: '/openapi.json', remoteAddress: '10.8.0.1' })).statusCode, 429, 'every anonymous route counts');
      // Valid credentials from the same address still work, and probes are never refused.
      for (let i = 0; i < 10; i++) assert.equal((await from('10.8.0.1', { 'x-auth-token': tenant.token })).statusCode, 200);
      assert.equal((await app.inject({ url: '/healthz', remoteAddress: '10.8.0.1' })).statusCode, 200);
      // Another address has its own budget.
      assert.equal((await from('10.8.0.2')).statusCode, 401);
    });
  });
}

describe('proxies and slow clients', () => {
  it('--trust-proxy takes hops or proxy addresses; a forged X-Forwarded-For does not move the address limits count against', async () => {
    assert.equal(trustProxy('1', 'T'), 1);
    assert.equal(trustProxy('false', 'T'), false);
    assert.equal(trustProxy('', 'T'), false);
    assert.deepEqual(trustProxy('10.0.0.5, 10.1.0.0/16,::1', 'T'), ['10.0.0.5', '10.1.0.0/16', '::1']);
    assert.throws(() => trustProxy('true', 'T'), /no longer takes true/);
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/9', '::1/129']) assert.throws(() => trustProxy(bad, 'T'), /T must be false/, bad);

    const store = (await BACKENDS[0]!.open()).store;
    try {
      for (const trust of [1, ['10.0.0.9']] as const) {
        const { app } = await testStack(store, { app: { trustProxy: trust as number | string[], unauthenticatedPerMinute: 2 } });
        const via = (forwarded: string, remoteAddress = '10.0.0.9') =>
          app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', remoteAddress, headers: { 'x-forwarded-for': forwarded } });
        // The proxy appends the address it saw; whatever the client wrote before it is not believed.
        assert.equal((await via('1.1.1.1, 198.51.100.7')).statusCode, 401);
        assert.equal((await via('2.2.2.2, 198.51.100.7')).statusCode, 401);
        assert.equal((await via('3.3.3.3, 198.51.100.7')).statusCode, 429, `${JSON.stringify(trust)}: a new forged hop does not reset the count`);
        assert.equal((await via('4.4.4.4, 198.51.100.8')).statusCode, 401, 'another real client has its own budget');
        await app.close();
      }
      // Not from a trusted proxy: the header is ignored and the socket's address counts.
      const { app } = await testStack(store, { app: { trustProxy: ['10.0.0.9'], unauthenticatedPerMinute: 1 } });
      const direct = (forwarded: string) => app.inject({ url: '/openapi.json', remoteAddress: '203.0.113.50', headers: { 'x-forwarded-for': forwarded } });
      assert.equal((await direct('5.5.5.5')).statusCode, 200);
      assert.equal((await direct('6.6.6.6')).statusCode, 429);
      await app.close();
    } finally {
      await store.close();
    }
  });

  it('a request sent slowly is cut off; idle kept-alive connections close; connections past the cap are refused', async () => {
    const store = (await BACKENDS[0]!.open()).store;
    const { app } = await testStack(store, { app: { http: { requestTimeoutMs: 1000, headersTimeoutMs: 600, keepAliveTimeoutMs: 300, maxConnections: 3 } } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as AddressInfo).port;
    /** Opens a connection, runs `talk` on it, resolves with how long it stayed open and what came back. */
    const session = (talk: (socket: Socket) => void) => new Promise<{ ms: number; answer: string }>((resolve) => {
      const started = Date.now();
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => talk(socket));
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
      setTimeout(() => socket.destroy(), 8000).unref();
    });
    try {
      // A body trickling in a byte every 200 ms: cut off after the 1 s request timeout.
      const slowBody = await session((socket) => {
        socket.write('POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
        const drip = setInterval(() => { if (!socket.destroyed) socket.write('{'); else clearInterval(drip); }, 200);
        socket.on('close', () => clearInterval(drip));
      });
      assert.ok(slowBody.ms < 4000, `a slow body held its connection for ${slowBody.ms} ms`);
      assert.match(slowBody.answer, /^HTTP\/1\.1 408/);
      // Headers that never finish: cut off after the headers timeout.
      const slowHeaders = await session((socket) => {
        socket.write('GET /healthz HTTP/1.1\r\n');
        const drip = setInterval(() => { if (!socket.destroyed) socket.write('X-A: b\r\n'); else clearInterval(drip); }, 100);
        socket.on('close', () => clearInterval(drip));
      });
      assert.ok(slowHeaders.ms < 4000, `slow headers held their connection for ${slowHeaders.ms} ms`);
      // A finished request on a kept-alive connection: closed once idle.
      const idle = await session((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      assert.match(idle.answer, /^HTTP\/1\.1 200/);
      assert.ok(idle.ms < 4000, `an idle connection stayed open ${idle.ms} ms`);

      // Three connections are the cap: a fourth is closed at once, before its request is read.
      const holders = await Promise.all([0, 1, 2].map(() => new Promise<Socket>((resolve) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
      })));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fourth = await session((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      assert.equal(fourth.answer, '', 'the connection past the cap got no answer');
      for (const s of holders) s.destroy();
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('the web console', () => {
  it('the console is served with a strict Content-Security-Policy', { skip: existsSync(join(CONSOLE_DIR, 'index.html')) ? false : 'console not built' }, async () => {
    const { store, dispose } = await BACKENDS[0]!.open();
    try {
      const app = await testApp(store);
      const page = await app.inject({ url: '/console' });
      assert.equal(page.statusCode, 200);
      const csp = String(page.headers['content-security-policy']);
      for (const rule of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) assert.ok(csp.includes(rule), `${rule} in ${csp}`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    } finally {
      await dispose();
    }
  });
});
