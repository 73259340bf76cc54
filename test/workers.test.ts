import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BACKENDS, scratchDatabaseUrl } from './helpers/backends.js';
import { plainCardBody } from './helpers/card-body.js';
import { until } from './helpers/poll.js';
import { startCli } from './helpers/serve.js';

/** The pids of a process's children that are aimledger processes (tsx also runs an esbuild service). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'bin/aimledger'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const backend of BACKENDS) {
  describe(`serve --workers on ${backend.name}`, () => {
    it('two server processes share the ports and the database: concurrent sends from both are all stored; a killed one is replaced; SIGTERM stops them all', { timeout: 180_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aimledger-workers-'));
      const db = await scratchDatabaseUrl(backend.name, dir);
      const env: Record<string, string> = { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64'), AIMLEDGER_SIMULATOR_DELAY_MS: '0', AIMLEDGER_RATE_LIMIT_PER_MINUTE: '0' };
      const started = await startCli(['serve', '--workers', '2', '--demo', '--port', '0', '--log-level', 'warn', '--database', db.url], env, /^Access keys .*\n/m);
      const primary = started.child.pid as number;
      try {
        assert.match(started.output, /\(store: \w+, 2 server processes\)/);
        const base = /serving on (http:\/\/\S+)/.exec(started.output)?.[1] as string;
        const token = /^Token \(valid until .*\):\n(\S+)$/m.exec(started.output)?.[1] as string;
        const workers = childrenOf(primary);
        assert.equal(workers.length, 2, 'two server processes');

        // Forty send tasks at once, spread over both processes by the kernel: every one stored.
        const body = JSON.parse(/-d '(\{"task_name".*\})'$/m.exec(started.output)?.[1] as string) as Record<string, unknown>;
        const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${base}/v1/aim/send-tasks`, {
          method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ ...body, task_name: `workers ${i}` }),
        }).then(async (r) => ({ status: r.status, body: await r.json() as { task_id: string } }))));
        assert.deepEqual(answers.map((a) => a.status), Array(40).fill(200), JSON.stringify(answers.find((a) => a.status !== 200)));
        for (const a of answers.slice(0, 5)) {
          const page = await (await fetch(`${base}/v1/aim/send-details?offset=0&limit=10&task_id=${a.body.task_id}`, { headers: { 'x-auth-token': token } })).json() as { page_info: { total: number } };
          assert.equal(page.page_info.total, 2);
        }

        // A group link opened from both processes at once: the claims (a read, then a write) wait
        // for each other, and it resolves exactly resolving_times times.
        const sign = (body.sms_channel as { sms_sign: string }).sms_sign;
        const created = await (await fetch(`${base}/v1/aim/templates`, {
          method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: JSON.stringify({ ...plainCardBody(), sms_signs: [sign] }),
        })).json() as { data: { tpl_id: string } };
        const group = await (await fetch(`${base}/v1/aim/resolve-tasks`, {
          method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ tpl_id: created.data.tpl_id, aim_code_type: 'group', expiration_time: 1, resolving_times: 30, sms_signs: [sign], params: [{ cust_flag: 'crowd' }] }),
        })).json() as { params: Array<{ aim_url: string }> };
        const [host, code] = (group.params[0]?.aim_url as string).split('/') as [string, string];
        const linkBase = /Link host \(recipients' short links\): (http:\/\/\S+)/.exec(started.output)?.[1] as string;
        const opens = await Promise.all(Array.from({ length: 40 }, () => fetch(`${linkBase}/${code}`, {
          headers: { host, connection: 'close', 'user-agent': 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36' },
        }).then((r) => r.status)));
        assert.deepEqual([opens.filter((c) => c === 200).length, opens.filter((c) => c === 410).length], [30, 10], opens.join(','));

        // A server process that dies is replaced.
        process.kill(workers[0] as number, 'SIGKILL');
        await until(async () => {
          const now = childrenOf(primary);
          return now.length === 2 && !now.includes(workers[0] as number);
        }, { timeoutMs: 30_000, intervalMs: 200, what: () => `children ${childrenOf(primary).join(',')}` });
        await until(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 30_000, intervalMs: 200, what: () => 'ready again' });

        // SIGTERM: every process drains and exits; the primary exits 0.
        const last = childrenOf(primary);
        started.child.kill('SIGTERM');
        assert.equal(await started.exited, 0);
        for (const pid of last) assert.equal(alive(pid), false, `server process ${pid} still running`);
      } finally {
        if (alive(primary)) started.child.kill('SIGKILL');
        for (const pid of childrenOf(primary)) process.kill(pid, 'SIGKILL');
        await db.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
