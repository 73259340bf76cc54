import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from './helpers/net.js';

const ROOT = join(import.meta.dirname, '..');


/** The README's shell block that follows `marker`. */
function readmeBlock(marker: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(marker);
  assert.ok(start >= 0, `README has "${marker}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(m, 'a shell block follows');
  return m[1] as string;
}

describe('README', () => {
  it('the sending walkthrough runs as written: details go from sending to final; counters and report agree', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-readme-'));
    try {
      const port = await freePort();
      const script = readmeBlock('Step by step, on a fresh embedded store')
        .replaceAll('8080', String(port))
        .replaceAll('./data/', `${dir}/`)
        .replaceAll('> serve.log', `> ${dir}/serve.log`);
      const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-e', '-c', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
      });
      assert.equal(code, 0, stderr);
      const bodies = stdout.split('\n').filter((l) => l.startsWith('{')).join('').split(/(?<=\})(?=\{)/).map((t) => JSON.parse(t) as Record<string, unknown>);
      const [first, second, tasks, report] = bodies as [
        { send_details: Array<{ send_status: string }> }, { send_details: Array<{ send_status: string }> },
        { aim_send_tasks: Array<{ success_number: number; fail_number: number; sending_number: number; send_count: number }> },
        { data: { data_list: Array<{ submission_count: number; send_success_count: number; send_fail_count: number }> } },
      ];
      assert.deepEqual(first.send_details.map((d) => d.send_status), ['sending', 'sending', 'sending']);
      const final = second.send_details.map((d) => d.send_status);
      assert.ok(final.every((s) => s === 'success' || s === 'fail'), final.join());
      const task = tasks.aim_send_tasks[0];
      assert.equal(task?.send_count, 3);
      assert.equal(task?.sending_number, 0);
      assert.equal(task?.success_number, final.filter((s) => s === 'success').length);
      assert.deepEqual(report.data.data_list.map((r) => [r.submission_count, r.send_success_count, r.send_fail_count]),
        [[3, task?.success_number, task?.fail_number]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
