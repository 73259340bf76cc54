import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { PG_URL, scratchDatabaseUrl } from './helpers/backends.js';
import { assertDeliveredOnce, provisionSender, waitSettled } from './helpers/faults.js';
import { TcpProxy } from './helpers/net.js';
import { phones, taskBody } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';
import { until } from './helpers/poll.js';

type LogLine = { level: number; msg: string; request_id?: string; err?: { message: string } };

/** The server's log, parsed line by line. */
class LogCapture extends Writable {
  readonly lines: LogLine[] = [];
  private rest = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = this.rest + chunk.toString('utf8');
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    for (const part of parts) if (part) this.lines.push(JSON.parse(part) as LogLine);
    done();
  }
}

if (PG_URL) {
  const pgUrl = PG_URL;
  describe('PostgreSQL outage under load', () => {
    it('requests fail fast with a clean 500 while the database is gone, /readyz says so, and service and the outbox resume by themselves', { timeout: 180_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aimledger-outage-'));
      const db = await scratchDatabaseUrl('postgres', dir);
      const receiver = new Receiver();
      const receiverBase = await receiver.start();
      const direct = new URL(db.url);
      const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const check = openStore({ url: db.url }) as KyselyStore;
      const logs = new LogCapture();
      try {
        const token = await provisionSender(db.url, 'outage', `${receiverBase}/receipts`);
        const viaProxy = new URL(db.url);
        viaProxy.hostname = '127.0.0.1';
        viaProxy.port = String(await proxy.start());
        const config = loadConfig({
          database: viaProxy.toString(), port: '0', logLevel: 'info', callbackAllowPrivate: true,
          simulatorDelayMs: '400', simulatorFailRatio: '0.2', simulatorSeed: '3', shutdownDrainMs: '0',
        }, { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64') });
        const server = await startServer(config, { logStream: logs });
        const base = server.url;
        const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
        const msgIds: string[] = [];
        let next = 13300000000;
        const send = async () => {
          const res = await fetch(`${base}/v1/aim/send-tasks`, { method: 'POST', headers, body: JSON.stringify(taskBody(phones(10, next))) });
          next += 10;
          return res;
        };
        try {
          for (let i = 0; i < 5; i++) {
            const res = await send();
            assert.equal(res.status, 200);
            msgIds.push(...(await res.json() as { resolve_task: { params: Array<{ msg_id: string }> } }).resolve_task.params.map((p) => p.msg_id));
          }
          // Reports come 400 ms after dispatch: work is in the outbox when the database goes.
          assert.ok(await check.outbox.pending() > 0, 'work waits in the outbox');
          await proxy.cut();

          const calls = Array.from({ length: 40 }, (_, i) => async () => {
            const started = Date.now();
            const res = i % 4 === 0 ? await send()
              : i % 4 === 1 ? await fetch(`${base}/v1/aim/send-details?offset=0&limit=10`, { headers })
                : i % 4 === 2 ? await fetch(`${base}/v1/aim/send-tasks?offset=0&limit=10`, { headers })
                  : await fetch(`${base}/readyz`);
            return { res, body: await res.json() as Record<string, unknown>, ms: Date.now() - started };
          });
          const during = await Promise.all(calls.map((call) => call()));
          for (const { res, body, ms } of during) {
            // The contract's 500 for a database outage, saying retry; readiness probes get 503.
            assert.equal(res.status, res.url.endsWith('/readyz') ? 503 : 500, JSON.stringify(body));
            assert.equal(body.error_code, 'KM.80000001');
            assert.match(String(body.error_msg), res.url.endsWith('/readyz') ? /database unreachable/ : /database is unavailable; retry shortly/);
            assert.equal(res.headers.get('retry-after'), '1');
            // Fails fast: a refused connection is not waited on (the connect timeout is 5 s).
            assert.ok(ms < 10_000, `answered in ${ms} ms`);
          }
          assert.equal((await fetch(`${base}/healthz`)).status, 200, 'the process itself is alive');
          await sleep(1500); // the worker meets the outage too
          const metrics = await fetch(`${base}/metrics`);
          assert.equal(metrics.status, 200, 'metrics are served without the database');
          assert.match(await metrics.text(), /aimledger_db_pool_connections\{state="waiting"\} 0/, 'no request waits for a pool slot');

          // The 5xx causes are logged once each, under the request's id.
          for (const { res } of during) {
            const id = res.headers.get('x-request-id');
            const errors = logs.lines.filter((l) => l.request_id === id && l.level >= 50);
            assert.equal(errors.length, 1, `one error line for request ${id}`);
            assert.ok(errors[0]?.err?.message, 'with its cause');
          }

          await proxy.restore();
          await until(async () => (await fetch(`${base}/readyz`)).status === 200,
            { timeoutMs: 15_000, intervalMs: 100, what: 'ready again within 15 s of the database returning' });
          for (let i = 0; i < 2; i++) {
            const res = await send();
            assert.equal(res.status, 200);
            msgIds.push(...(await res.json() as { resolve_task: { params: Array<{ msg_id: string }> } }).resolve_task.params.map((p) => p.msg_id));
          }
          assert.equal((await fetch(`${base}/v1/aim/send-details?offset=0&limit=10`, { headers })).status, 200);

          // The outbox resumes: every acknowledged message, from before and after the outage,
          // reaches one final state once and its receipt arrives.
          await waitSettled(check, msgIds, 60_000);
          await assertDeliveredOnce(check, msgIds, receiver, '/receipts');
          // The worker backed off instead of flooding the log, and said when it resumed.
          const failedRounds = logs.lines.filter((l) => l.msg === 'outbox round failed; retrying').length;
          assert.ok(failedRounds >= 1 && failedRounds <= 3, `${failedRounds} failed-round lines`);
          assert.ok(logs.lines.some((l) => l.msg === 'outbox rounds resumed'));
        } finally {
          await server.close();
        }
      } finally {
        await proxy.cut();
        await check.close();
        await receiver.down();
        await db.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a pooled connection lost while idle is reported to the store\'s listener (the server logs it), not thrown', { timeout: 60_000 }, async () => {
      const direct = new URL(pgUrl);
      const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
      const viaProxy = new URL(pgUrl);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(await proxy.start());
      const store = openStore({ url: viaProxy.toString() });
      const lost: Error[] = [];
      store.onConnectionError((error) => lost.push(error));
      try {
        await store.ping();
        assert.equal(store.poolStats()?.idle, 1, 'one idle pooled connection');
        await proxy.cut();
        await until(() => lost.length > 0, { timeoutMs: 10_000, intervalMs: 20, what: 'the loss was reported' });
        assert.match(lost[0]?.message ?? '', /terminated/i);
        assert.equal(store.poolStats()?.total, 0, 'the pool dropped it');
        await proxy.restore();
        await store.ping();
      } finally {
        await store.close();
        await proxy.cut();
      }
    });
  });
}
