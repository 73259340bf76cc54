import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { BACKENDS, useScratchDatabase } from './helpers/backends.js';
import { provisionSender } from './helpers/faults.js';
import { phones, taskBody } from './helpers/pipeline.js';
import { startCli } from './helpers/serve.js';
import { until } from './helpers/poll.js';

/** The code of a failed fetch's cause (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET, …). */
function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : String(error);
}

for (const backend of BACKENDS) {
  describe(`graceful shutdown on ${backend.name}`, () => {
    const db = useScratchDatabase(backend.name, 'aimledger-shutdown-');

    it('SIGTERM under load: requests in flight are answered, none is reset, no claimed job is left held, exit 0', { timeout: 120_000 }, async () => {
      const token = await provisionSender(db.url, 'drain');
      const { child, match, exited } = await startCli([
        'serve', '--port', '0', '--log-level', 'warn', '--database', db.url, '--shutdown-drain-ms', '20000',
        '--simulator-delay-ms', '200', '--simulator-seed', '9',
      ], db.keyEnv, /serving on (http:\/\/\S+)/);
      const base = match[1] as string;
      const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };

      let signalled = false;
      let inflight = 0;
      let inflightAtSignal = 0;
      let answeredAfterSignal = 0;
      const failures: string[] = [];
      const statuses = new Map<number, number>();
      const acknowledged: string[] = [];
      let sent = 0;
      let toldToLeave = 0;
      // Each client sends requests back to back on a kept-alive connection, and leaves once the
      // server says so (Connection: close) or no longer accepts connections, as a load balancer does.
      const client = async (c: number) => {
        for (let i = 0; ; i++) {
          const wasSignalled = signalled;
          inflight += 1;
          try {
            const res = i % 2 === 0
              ? await fetch(`${base}/v1/aim/send-tasks`, { method: 'POST', headers, body: JSON.stringify(taskBody(phones(5, 13400000000 + c * 1_000_000 + (sent++) * 5))) })
              : await fetch(`${base}/v1/aim/send-details?offset=0&limit=20`, { headers });
            const body = await res.json() as { resolve_task?: { params: Array<{ msg_id: string }> } };
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 200 && body.resolve_task) acknowledged.push(...body.resolve_task.params.map((p) => p.msg_id));
            if (signalled) answeredAfterSignal += 1;
            if (signalled && res.headers.get('connection') === 'close') {
              toldToLeave += 1;
              return;
            }
          } catch (error) {
            const code = causeCode(error);
            // Refused only once the listener has closed, after the signal: never accepted, never lost.
            if (wasSignalled && code === 'ECONNREFUSED') return;
            failures.push(`client ${c}: ${code}`);
            return;
          } finally {
            inflight -= 1;
          }
        }
      };
      const clients = Array.from({ length: 6 }, (_, c) => client(c));
      await until(() => acknowledged.length >= 100 && inflight > 0, { timeoutMs: 60_000, intervalMs: 5, what: () => `${acknowledged.length} acknowledged, ${inflight} in flight` });
      inflightAtSignal = inflight;
      signalled = true;
      child.kill('SIGTERM');
      await Promise.all(clients);
      assert.equal(await exited, 0, 'a clean exit');

      assert.deepEqual(failures, [], 'no request was reset or refused mid-way');
      assert.ok(inflightAtSignal > 0, 'requests were in flight at the signal');
      assert.ok(answeredAfterSignal >= inflightAtSignal, 'every request in flight at the signal was answered');
      assert.deepEqual([...statuses.keys()], [200], `only 200s: ${JSON.stringify([...statuses])}`);
      assert.equal(toldToLeave, 6, 'every client was told to leave (Connection: close) while the server drained');

      const check = openStore({ url: db.url }) as KyselyStore;
      try {
        const stored = await check.db.selectFrom('send_details').select('msg_id').where('msg_id', 'in', acknowledged).execute();
        assert.equal(stored.length, acknowledged.length, 'every acknowledged message is stored');
        // The workers stopped at a safe point: a job is done (gone) or free for the next start.
        const held = await check.db.selectFrom('outbox').select('id').where('locked_until', 'is not', null).execute();
        assert.deepEqual(held, [], 'no outbox job is left claimed');
      } finally {
        await check.close();
      }
    });
  });
}
