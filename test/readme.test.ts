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
      const { code, stdout, stderr } = await runBlock(script, {});
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

/** Runs a README shell block with bash -e; answers its exit status and output. */
function runBlock(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
  });
}

describe('README examples, as written', () => {
  it('the command-line example creates an account, a user and a token, and imports the sample file', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-readme-cli-'));
    try {
      const script = readmeBlock('Example:').replaceAll('./data/', `${dir}/`);
      assert.match(script, /examples\/details\.ndjson/);
      const { code, stderr } = await runBlock(script, {});
      assert.equal(code, 0, stderr);
      assert.match(stderr, /read 4, inserted 4, already present 0, rejected 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the send-details curl works against the demo with the token it printed', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-readme-demo-'));
    const port = await freePort();
    const server = spawn(process.execPath, [join(ROOT, 'bin', 'aimledger'), 'serve', '--demo', '--port', String(port), '--link-port', '0', '--log-level', 'warn', '--database', `sqlite:${dir}/aimledger.db`], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          if (/Try:\n.*\n/.test(out)) resolve(out);
        });
        server.on('exit', (c) => reject(new Error(`serve exited with ${c}: ${out}`)));
      });
      const token = /Token \(valid until [^)]*\):\n(\S+)/.exec(banner)?.[1];
      assert.ok(token, banner);
      const { code, stdout, stderr } = await runBlock(readmeBlock('## The API: `GET /v1/aim/send-details`').replaceAll('8080', String(port)), { TOKEN: token });
      assert.equal(code, 0, stderr);
      const body = JSON.parse(stdout) as { send_details: Array<{ task_id: string }>; page_info: { total: number } };
      assert.equal(body.send_details.length, 2);
      assert.ok(body.send_details.every((d) => d.task_id === '7cc198c3-91d3-425b-9226-54c27cd7cccc'));
      assert.ok(body.page_info.total >= 2);
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
