import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '../src/store/open-store.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useScratchDatabase } from './helpers/backends.js';
import { Receiver } from './helpers/receiver.js';
import { serveWithSimulator } from './helpers/serve.js';
import { assertDeliveredOnce, provisionSender, stillSending, waitSettled } from './helpers/faults.js';
import { phones, taskBody } from './helpers/pipeline.js';
import { until } from './helpers/poll.js';


for (const backend of BACKENDS) {
  describe(`kill -9 on ${backend.name}`, () => {
    const db = useScratchDatabase(backend.name, 'aimledger-kill-');
    const env: Record<string, string> = { AIMLEDGER_CALLBACK_ALLOW_PRIVATE: 'true', ...db.keyEnv };

    it('every acknowledged task survives SIGKILL mid-dispatch; after restart each message reaches one final state once', { timeout: 180_000 }, async () => {
      const receiver = new Receiver();
      const receiverBase = await receiver.start();
      const token = await provisionSender(db.url, 'crash', `${receiverBase}/receipts`);

      const first = await serveWithSimulator(db.url, env, 5);
      const acknowledged = new Map<string, string[]>();
      let stop = false;
      let sent = 0;
      const client = async (c: number) => {
        while (!stop) {
          try {
            const res = await fetch(`${first.base}/v1/aim/send-tasks`, {
              method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
              body: JSON.stringify(taskBody(phones(10, 13200000000 + c * 100_000 + sent * 10))),
            });
            sent += 1;
            if (res.status === 200) {
              const body = await res.json() as { task_id: string; resolve_task: { params: Array<{ msg_id: string }> } };
              acknowledged.set(body.task_id, body.resolve_task.params.map((p) => p.msg_id));
            }
          } catch {
            return; // the server is gone
          }
        }
      };
      const clients = [0, 1, 2, 3].map(client);
      // Let tasks be created and dispatched, then kill while both are still going on.
      await until(() => acknowledged.size >= 30, { timeoutMs: 60_000, intervalMs: 20, what: () => `${acknowledged.size} of 30 tasks acknowledged` });
      first.child.kill('SIGKILL');
      stop = true;
      await Promise.all(clients);
      assert.equal(await first.exited, null, 'killed, not exited');
      assert.ok(acknowledged.size >= 30);

      const msgIds = [...acknowledged.values()].flat();
      const check = openStore({ url: db.url }) as KyselyStore;
      // Reports come 300 ms after dispatch, so the newest tasks were still in flight when killed.
      assert.ok(await stillSending(check, msgIds) > 0, 'some acknowledged messages were still sending at the kill');
      const second = await serveWithSimulator(db.url, env, 5);
      try {
        // Tasks committed but never acknowledged (the answer died with the process) finish too:
        // their jobs come back when the dead process's leases expire.
        await waitSettled(check, msgIds, 90_000);
        // The API agrees: every acknowledged task's counters are final.
        const res = await fetch(`${second.base}/v1/aim/send-tasks?limit=100&offset=0`, { headers: { 'X-Auth-Token': token } });
        const { aim_send_tasks: tasks } = await res.json() as { aim_send_tasks: Array<{ task_id: string; sending_number: number; send_count: number }> };
        for (const t of tasks.filter((x) => acknowledged.has(x.task_id))) {
          assert.equal(t.sending_number, 0);
          assert.equal(t.send_count, 10);
        }
      } finally {
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);
      }

      try {
        // Receipts were pushed before, during and after the kill.
        await assertDeliveredOnce(check, msgIds, receiver, '/receipts');
      } finally {
        await check.close();
        await receiver.down();
      }
    });
  });
}
