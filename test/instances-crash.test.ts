import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { describe, it } from 'node:test';
import { openStore } from '../src/store/open-store.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { appliedMigrations, BACKENDS, useScratchDatabase } from './helpers/backends.js';
import { assertDeliveredOnce, provisionSender, waitSettled } from './helpers/faults.js';
import { operatorToken, phones, taskBody } from './helpers/pipeline.js';
import { systemClock } from '../src/domain/clock.js';
import { until } from './helpers/poll.js';
import { Receiver } from './helpers/receiver.js';
import { serveWithSimulator } from './helpers/serve.js';


for (const backend of BACKENDS) {
  describe(`three instances and a kill -9 on ${backend.name}`, () => {
    const db = useScratchDatabase(backend.name, 'aimledger-instances-crash-');
    // PostgreSQL needs a master key given; on SQLite the three race to make master.key beside the
    // file, and must all end up with the same one (AK/SK secrets are sealed with it).
    const env: Record<string, string> = { AIMLEDGER_CALLBACK_ALLOW_PRIVATE: 'true', AIMLEDGER_RATE_LIMIT_PER_MINUTE: '0', ...db.keyEnv };

    it('three instances start at once on a new database, share sends, queries and delivery reports, and one killed mid-flight loses nothing acknowledged', { timeout: 240_000 }, async () => {
      const receiver = new Receiver();
      const receiverBase = await receiver.start();
      // Started together on an empty database: they migrate once between them.
      const servers = await Promise.all([0, 1, 2].map(() => serveWithSimulator(db.url, env, 7)));
      const token = await provisionSender(db.url, 'instances', `${receiverBase}/receipts`);
      // The platform's gateway posts delivery reports too, through whichever instance is up, racing
      // the simulator's own: the first final report wins, later ones change nothing.
      const setup = openStore({ url: db.url });
      const operator = await operatorToken(setup, systemClock).finally(() => setup.close());
      const reportsThrough = [0, 0, 0];
      const acknowledged = new Map<string, string[]>();
      let stop = false;
      let sent = 0;
      let queried = 0;
      // Four clients spread their sends and queries over the instances still up.
      const client = async (c: number) => {
        for (let n = 0; !stop; n++) {
          const server = servers[(c + n) % 3] as { base: string; down?: boolean };
          if (server.down) continue;
          try {
            const res = await fetch(`${server.base}/v1/aim/send-tasks`, {
              method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
              body: JSON.stringify(taskBody(phones(10, 13400000000 + c * 100_000 + (sent++) * 10))),
            });
            if (res.status === 200) {
              const body = await res.json() as { task_id: string; resolve_task: { params: Array<{ msg_id: string }> } };
              acknowledged.set(body.task_id, body.resolve_task.params.map((p) => p.msg_id));
            } else await res.arrayBuffer();
            const query = await fetch(`${server.base}/v1/aim/send-details?offset=0&limit=20`, { headers: { 'X-Auth-Token': token } });
            if (query.status === 200) queried += 1;
            await query.arrayBuffer();
          } catch {
            // That instance died under this request; the others carry on.
          }
        }
      };
      const reported = new Set<string>();
      const reporter = async () => {
        for (let n = 0; !stop; n++) {
          const i = n % 3;
          const server = servers[i] as { base: string; down?: boolean };
          const due = [...acknowledged.values()].flat().filter((id) => !reported.has(id)).slice(0, 20);
          // A gateway's pace: a batch every 50 ms at most.
          await new Promise((resolve) => setTimeout(resolve, 50));
          if (server.down || due.length === 0) continue;
          try {
            const receiveTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
            const res = await fetch(`${server.base}/v1/aim/delivery-reports`, {
              method: 'POST', headers: { 'X-Auth-Token': operator, 'Content-Type': 'application/json' },
              body: JSON.stringify({ reports: due.map((id, k) => ({ msg_id: id, status: k % 4 === 0 ? 'UNDELIV' : 'DELIVRD', receive_time: receiveTime })) }),
            });
            if (res.status === 200) {
              for (const id of due) reported.add(id);
              reportsThrough[i] = (reportsThrough[i] ?? 0) + 1;
            }
            await res.arrayBuffer();
          } catch {
            // That instance died under this request; the reports go again through another.
          }
        }
      };
      const clients = [0, 1, 2, 3].map(client).concat(reporter());
      await until(() => acknowledged.size >= 30, { timeoutMs: 90_000, intervalMs: 20, what: () => `${acknowledged.size} of 30 tasks acknowledged` });
      const victim = servers[1] as { child: ChildProcess; base: string; exited: Promise<number | null>; down?: boolean };
      victim.down = true;
      victim.child.kill('SIGKILL');
      assert.equal(await victim.exited, null, 'killed, not exited');
      await until(() => acknowledged.size >= 45, { timeoutMs: 90_000, intervalMs: 20, what: () => `${acknowledged.size} of 45 tasks acknowledged after the kill` });
      // It comes back (a restarted instance), and the work goes on through all three.
      servers[1] = await serveWithSimulator(db.url, env, 7);
      await until(() => acknowledged.size >= 60, { timeoutMs: 90_000, intervalMs: 20, what: () => `${acknowledged.size} of 60 tasks acknowledged after the restart` });
      stop = true;
      await Promise.all(clients);
      assert.ok(queried > 0);
      assert.ok(reportsThrough.every((n) => n > 0), `delivery reports went through every instance (${reportsThrough.join(', ')})`);
      assert.ok(reported.size > 100, `${reported.size} messages reported by the gateway`);

      const check = openStore({ url: db.url }) as KyselyStore;
      const msgIds = [...acknowledged.values()].flat();
      try {
        // All three started (a migration run twice fails its instance at start), and every
        // migration is applied.
        const { applied, expected } = await appliedMigrations(check);
        assert.deepEqual(applied, expected, 'every migration applied');
        // Every acknowledged message: one detail, one final state, its state changed once, and
        // its receipt pushed (a push repeated after the kill is marked retry).
        await waitSettled(check, msgIds, 120_000);
        await assertDeliveredOnce(check, msgIds, receiver, '/receipts');
        // Counters agree with the details, whichever instance is asked.
        for (const server of [servers[0], servers[1], servers[2]]) {
          // A server catching up after the run may shed a request (503 with Retry-After), as any
          // overloaded server does; a client retries.
          let res = await fetch(`${(server as { base: string }).base}/v1/aim/send-tasks?limit=100&offset=0`, { headers: { 'X-Auth-Token': token } });
          for (let tries = 0; res.status === 503 && tries < 20; tries++) {
            await res.arrayBuffer();
            await new Promise((resolve) => setTimeout(resolve, 500));
            res = await fetch(`${(server as { base: string }).base}/v1/aim/send-tasks?limit=100&offset=0`, { headers: { 'X-Auth-Token': token } });
          }
          assert.equal(res.status, 200, `send-tasks through ${(server as { base: string }).base}`);
          const { aim_send_tasks: tasks } = await res.json() as { aim_send_tasks: Array<{ task_id: string; sending_number: number; success_number: number; fail_number: number; send_count: number }> };
          for (const t of tasks.filter((x) => acknowledged.has(x.task_id))) {
            assert.deepEqual([t.sending_number, t.success_number + t.fail_number, t.send_count], [0, 10, 10], t.task_id);
          }
        }
      } finally {
        await check.close();
        for (const server of servers) server.child.kill('SIGTERM');
        await Promise.all(servers.map((s) => s.exited));
        await receiver.down();
      }
    });
  });
}
