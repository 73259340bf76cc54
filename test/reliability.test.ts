import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { openStore } from '../src/store/open-store.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, detail, getDetails, NOW, testStack } from './helpers/factories.js';
import { operatorToken, phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { BIN } from './helpers/serve.js';
import { insertSendDetails } from '../src/service/ledger.js';
import { until } from './helpers/poll.js';

type Json = Record<string, unknown>;

/** A 4xx/5xx answer must carry the documented error body of its family. */
function assertErrorBody(url: string, status: number, body: string): void {
  const parsed = JSON.parse(body) as Json & { error?: Json };
  if (url.startsWith('/v3/')) {
    assert.equal((parsed.error as Json | undefined)?.code, status, `${url}: IAM error body`);
    assert.equal(typeof (parsed.error as Json | undefined)?.message, 'string');
  } else {
    assert.equal(typeof parsed.error_code, 'string', `${url}: error_code in ${body}`);
    assert.equal(typeof parsed.error_msg, 'string');
    assert.equal(parsed.error_msg, parsed.error_message);
  }
}

for (const backend of BACKENDS) {
  describe(`reliability on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('rate limits per account (429 APIG.0308 with Retry-After), body size 413, media type 415, bad JSON 400: all with the error body', async () => {
      const { app } = await testStack(store, { app: { rateLimitPerMinute: 3 } });
      const a = await tenantWithReferences(store);
      const b = await createTenant(store);
      for (let i = 0; i < 3; i++) assert.equal((await getDetails(app, a.token, 'offset=0&limit=1')).status, 200);
      const limited = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': a.token } });
      assert.equal(limited.statusCode, 429);
      const body = limited.json() as Json;
      assert.equal(body.error_code, 'APIG.0308');
      assert.equal(body.request_id, limited.headers['x-request-id']);
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.equal(limited.headers['x-ratelimit-limit'], '3');
      assert.equal(limited.headers['x-ratelimit-remaining'], '0');
      assert.equal((await getDetails(app, b.token, 'offset=0&limit=1')).status, 200, 'another account has its own budget');
      assert.equal((await app.inject('/healthz')).statusCode, 200, 'health checks are not limited');

      // Requests of one account at once are counted together, each in its own place: of 10 at
      // once against a limit of 7, exactly 7 pass, with remaining 6 down to 0.
      const { app: burst } = await testStack(store, { app: { rateLimitPerMinute: 7 } });
      const answers = await Promise.all(Array.from({ length: 10 }, () => burst.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': b.token } })));
      assert.deepEqual(answers.map((r) => r.statusCode).sort(), [...Array(7).fill(200), ...Array(3).fill(429)]);
      assert.deepEqual(answers.filter((r) => r.statusCode === 200).map((r) => Number(r.headers['x-ratelimit-remaining'])).sort(), [0, 1, 2, 3, 4, 5, 6]);

      const { app: open } = await testStack(store);
      const huge = await open.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': a.token, 'content-type': 'application/json' }, payload: `{"task_name":"${'x'.repeat(1_100_000)}"}` });
      assert.equal(huge.statusCode, 413);
      assertErrorBody('/v1/aim/send-tasks', 413, huge.body);
      const xml = await open.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': a.token, 'content-type': 'application/xml' }, payload: '<task/>' });
      assert.equal(xml.statusCode, 415);
      assertErrorBody('/v1/aim/send-tasks', 415, xml.body);
      const broken = await open.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': a.token, 'content-type': 'application/json' }, payload: '{"task_name": ' });
      assert.equal(broken.statusCode, 400);
      assertErrorBody('/v1/aim/send-tasks', 400, broken.body);
    });

    it('/metrics shows requests by route and status, the outbox, delivery reports and the process', async () => {
      const { app, worker } = await testStack(store);
      const tenant = await tenantWithReferences(store);
      await getDetails(app, tenant.token, 'offset=0&limit=1');
      await getDetails(app, tenant.token, 'offset=0&limit=0');
      await postTask(app, tenant.token, taskBody(phones(3)));
      const before = await (await app.inject('/metrics')).body;
      assert.match(before, /aimledger_http_requests_total\{method="GET",route="\/v1\/aim\/send-details",status="200"\} 1/);
      assert.match(before, /aimledger_http_requests_total\{method="GET",route="\/v1\/aim\/send-details",status="400"\} 1/);
      assert.match(before, /aimledger_outbox_jobs\{kind="dispatch"\} 3/);
      assert.match(before, /aimledger_outbox_oldest_job_age_seconds\{kind="dispatch"\} \d/);
      assert.match(before, /aimledger_process_resident_memory_bytes \d+/);
      assert.match(before, /aimledger_nodejs_eventloop_lag_seconds \d/);
      assert.match(before, /aimledger_db_query_duration_seconds_count\{outcome="ok"\} \d+/);
      await worker.drain();
      const after = (await app.inject('/metrics')).body;
      assert.match(after, /aimledger_delivery_reports_total\{outcome="applied"\} 3/);
      assert.doesNotMatch(after, /aimledger_outbox_jobs\{kind="dispatch"\}/, 'the outbox drained');
    });

    it('fuzz: hostile query strings, headers and bodies never get a 5xx, and every 4xx has the documented body', { timeout: 120_000 }, async () => {
      const { app } = await testStack(store, { app: { rateLimitPerMinute: 0 } });
      const tenant = await tenantWithReferences(store, 'te_admin');
      const operator = await operatorToken(store);
      const endpoints = [
        ['GET', '/v1/aim/send-details'], ['GET', '/v1/aim/send-details/export'], ['POST', '/v1/aim/send-tasks'], ['GET', '/v1/aim/send-tasks'],
        ['POST', '/v1/aim/send-reports'], ['GET', '/v1/aim/templates'], ['POST', '/v1/aim/callbacks'], ['GET', '/v1/aim/callbacks'],
        ['POST', '/v1/aim/delivery-reports'], ['POST', '/v3/auth/tokens'], ['GET', '/v3/auth/tokens'], ['GET', '/v1/aim/nothing'],
      ] as const;
      const names = fc.constantFrom('offset', 'limit', 'task_id', 'tpl_id', 'sms_sign', 'cust_flag', 'begin_time', 'end_time', 'send_status', 'msg_id', 'format', 'task_status', 'report_type', 'url_type', 'x');
      const values = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer().map(String), fc.constantFrom('', '0', '-1', '100', '10001', '2026-06-15T12:00:00Z', '%00', '%ZZ', '\u0000', 'a'.repeat(3000)));
      const query = fc.array(fc.tuple(names, values), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
      const token = fc.oneof(fc.constant(tenant.token), fc.constant(operator), fc.string({ maxLength: 2100 }), fc.constant(undefined));
      const body = fc.oneof(fc.jsonValue(), fc.constant(taskBody(phones(1))), fc.record({ reports: fc.array(fc.jsonValue(), { maxLength: 3 }) }),
        fc.record({ auth: fc.jsonValue() }), fc.string());
      const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined);
      await fc.assert(fc.asyncProperty(fc.constantFrom(...endpoints), query, token, body, contentType, fc.boolean(),
        async ([method, path], q, t, payload, type, signed) => {
          const headers: Record<string, string> = {};
          if (t !== undefined && /^[\x20-\x7e]*$/.test(t)) headers['x-auth-token'] = t;
          if (signed) headers.authorization = `SDK-HMAC-SHA256 Access=${String(t).slice(0, 30)}, SignedHeaders=host;x-sdk-date, Signature=${'0'.repeat(64)}`.replace(/[^\x20-\x7e]/g, '');
          if (type && method === 'POST') headers['content-type'] = type;
          const url = `${path}?${q}`;
          if (process.env.FUZZ_TRACE) process.stderr.write(`${method} ${url.slice(0, 80)} ${JSON.stringify(headers).slice(0, 80)}\n`);
          const res = await app.inject({
            method, url, headers,
            ...(method === 'POST' ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
          });
          assert.ok(res.statusCode < 500, `${method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
          if (res.statusCode >= 400) assertErrorBody(path, res.statusCode, res.body);
        }), { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: 4242 });
    });
  });
}

describe('load shedding', () => {
  let store!: KyselyStore;
  useStore(BACKENDS[0] as (typeof BACKENDS)[number], (opened) => (store = opened));

  it('past the event-loop delay limit new requests get 503 with the error body and Retry-After, and service returns once the loop catches up', { timeout: 30_000 }, async () => {
    const { app } = await testStack(store, { app: { maxEventLoopDelayMs: 20 } });
    const tenant = await tenantWithReferences(store);
    await app.ready();
    assert.equal((await getDetails(app, tenant.token, 'offset=0&limit=1')).status, 200);
    // Block the loop for 3 s, as a runaway computation would; the delay is sampled each second.
    const busyUntil = Date.now() + 3000;
    while (Date.now() < busyUntil) { /* busy */ }
    let shed: Awaited<ReturnType<typeof app.inject>> | undefined;
    for (let i = 0; i < 30 && !shed; i++) {
      await sleep(100);
      const res = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': tenant.token } });
      if (res.statusCode === 503) shed = res;
      else assert.equal(res.statusCode, 200);
    }
    assert.ok(shed, 'a request was shed while the loop lagged');
    assertErrorBody('/v1/aim/send-details', 503, shed.body);
    assert.equal(shed.headers['retry-after'], '1');
    await until(async () => (await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': tenant.token } })).statusCode === 200,
      { timeoutMs: 10_000, intervalMs: 100, what: 'served again once the loop caught up' });
    await app.close();
  });
});

describe('backup', () => {
  it('aimledger backup copies the embedded store consistently while it is written to; the copy serves the same answers', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-backup-'));
    try {
      const url = `sqlite:${join(dir, 'live.db')}`;
      const live = openStore({ url }) as KyselyStore;
      await live.migrate();
      const { account } = await createTenant(live);
      const base = Array.from({ length: 5000 }, (_, i) => detail({ msgId: `b-${i}_1`, sendTime: NOW - i * 1000 }));
      await insertSendDetails(live, account.id, base, NOW);
      // Writes go on while the backup runs.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await insertSendDetails(live, account.id, Array.from({ length: 50 }, (_, i) => detail({ msgId: `w-${written + i}_1`, sendTime: NOW - 3600_000 - (written + i) * 1000 })), NOW);
          written += 50;
          // better-sqlite3 answers synchronously: yield, or the child's exit is never seen.
          await new Promise((r) => setImmediate(r));
        }
      })();
      const file = join(dir, 'copy.db');
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'backup', file, '--database', url], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      writing = false;
      await writer;
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /backed up to/);
      const again = await new Promise<number | null>((resolve) => spawn(process.execPath, [BIN, 'backup', file, '--database', url], { stdio: 'ignore' }).on('close', resolve));
      assert.equal(again, 1, 'an existing file is never overwritten');

      const copy = openStore({ url: `sqlite:${file}` }) as KyselyStore;
      try {
        await copy.migrate();
        const total = (await copy.details.page(account.id, {}, 0, 1)).total;
        const { n } = await copy.db.selectFrom('send_details').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(total, Number(n), 'the copy\'s counters agree with its rows: one consistent moment');
        assert.ok(total >= 5000 && total <= 5000 + written, `${total} rows`);
        assert.equal((total - 5000) % 50, 0, 'no write batch is half in the copy');
        const page = await copy.details.page(account.id, {}, 0, 20);
        const livePage = await live.details.page(account.id, {}, 0, 20);
        assert.deepEqual(page.rows, livePage.rows, 'the newest rows (written before the backup) read the same');
      } finally {
        await copy.close();
        await live.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
