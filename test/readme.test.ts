import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from './helpers/net.js';

const ROOT = join(import.meta.dirname, '..');

describe('README', () => {
  it('the sending walkthrough runs as written: details go from sending to final; counters and report agree', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-readme-'));
    try {
      const port = await freePort();
      const block = readmeBlocks().find((b) => b.first === WALKTHROUGH);
      assert.ok(block, 'README has the walkthrough');
      const script = block.text
        .replaceAll('8080', String(port))
        .replaceAll('./data/', `${dir}/`)
        .replaceAll('> serve.log', `> ${dir}/serve.log`);
      const { code, stdout, stderr } = await runBlock(script, {});
      assert.equal(code, 0, stderr);
      const [first, second, tasks, report] = jsonLines(stdout) as unknown as [
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

/** Every ```sh block of the README, its first line and its text (an indented block's indent taken off). */
function readmeBlocks(): Array<{ line: number; first: string; text: string }> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^( *)```sh\n([\s\S]*?)^ *```/gm)].map((m) => {
    const indent = m[1]!.length;
    const text = m[2]!.split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length))).join('\n');
    return { line: readme.slice(0, m.index).split('\n').length, first: text.split('\n')[0]!, text };
  });
}

/** Blocks no test here runs, and why. Every other block runs below. */
const NOT_RUN: Record<string, string> = {
  'npm ci && npm test': 'the suite itself',
  'AIMLEDGER_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test npm test': 'the suite itself, with PostgreSQL (.ci/run)',
};
/** Blocks run by the walkthrough test above. */
const WALKTHROUGH = 'export AIMLEDGER_DATABASE_URL=sqlite:./data/walkthrough.db';

describe('README examples, as written', () => {
  it('every shell block is run by this file, but the suite\'s own command', () => {
    const blocks = readmeBlocks();
    assert.ok(blocks.length >= 20, `found ${blocks.length} blocks`);
    const unrun = blocks.filter((b) => !(b.first in NOT_RUN) && b.first !== WALKTHROUGH && !TOUR.has(b.first));
    assert.deepEqual(unrun.map((b) => `README.md:${b.line} ${b.first}`), [], 'add each new block to the tour');
    const stale = [...TOUR.keys()].filter((first) => !blocks.some((b) => b.first === first));
    assert.deepEqual(stale, [], 'the tour names blocks the README no longer has');
  });

  it('the tour: npm start, then every example against its demo', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-readme-tour-'));
    const port = await freePort();
    const database = `sqlite:${dir}/aimledger.db`;
    // The quick start's `npm start`, on a port and a database of its own; receipts may go to loopback.
    const server = spawn('npm', ['start', '--', '--port', String(port), '--link-port', '0', '--log-level', 'warn', '--database', database], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, AIMLEDGER_CALLBACK_ALLOW_PRIVATE: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += d;
          if (/Try:\n.*\n/.test(out)) resolve(out);
        });
        server.on('exit', (c) => reject(new Error(`npm start exited with ${c}: ${out}`)));
      });
      const token = /Token \(valid until [^)]*\):\n(\S+)/.exec(banner)?.[1];
      assert.ok(token, banner);
      const env = { HOME: process.env.HOME ?? dir, TOKEN: token, AIMLEDGER_DATABASE_URL: database };
      const operator = (await runBlock('./bin/aimledger token create --operator', env)).stdout.trim();
      // $TASK in the README is a task just sent: the one the banner's own send-task curl sends.
      const sendTask = /Send a task[^\n]*\n(curl [^\n]+)\n/.exec(banner)?.[1];
      assert.ok(sendTask, banner);
      const sent = JSON.parse((await runBlock(sendTask, env)).stdout) as { task_id: string };
      assert.match(sent.task_id, /^[0-9a-f-]{36}$/);
      const tour = { dir, port, env: { ...env, OPERATOR_TOKEN: operator, TASK: sent.task_id }, tplId: '', deleteTemplate: '' };
      const blocks = readmeBlocks();
      for (const [first, step] of TOUR) {
        const block = blocks.find((b) => b.first === first);
        assert.ok(block, first);
        const text = block.text.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
        await step(text, tour).catch((error: unknown) => {
          throw new Error(`README.md:${block.line} (${first}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        });
      }
    } finally {
      process.kill(-server.pid!, 'SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const DEMO_TASK_ID = '7cc198c3-91d3-425b-9226-54c27cd7cccc';
const TPL_EXAMPLE = '731650284';
interface Tour { dir: string; port: number; env: Record<string, string>; tplId: string; deleteTemplate: string }
type Step = (text: string, tour: Tour) => Promise<void>;

/** Runs a block (or part of one) against the tour's demo and answers its standard output; fails on a non-zero exit. */
async function ok(script: string, tour: Tour): Promise<string> {
  const { code, stdout, stderr } = await runBlock(script, tour.env);
  assert.equal(code, 0, `${script}\n${stderr}`);
  return stdout;
}

/** Each JSON object in the output, in order (curl prints no newline after a body, so they may share a line). */
function jsonLines(stdout: string): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  for (const line of stdout.split('\n').filter((l) => l.startsWith('{'))) {
    let depth = 0;
    let inString = false;
    let start = 0;
    for (let i = 0; i < line.length; i += 1) {
      const c = line[i];
      if (inString) {
        if (c === '\\') i += 1;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' && depth++ === 0) start = i;
      else if (c === '}' && --depth === 0) found.push(JSON.parse(line.slice(start, i + 1)) as Record<string, unknown>);
    }
  }
  return found;
}

/**
 * The README's blocks in README order (but the command-line example first: it adds the account
 * acme the later blocks use), each with what it needs and what it must print. Substitutions are
 * only the README's own placeholders: the port, `…` values, and ids an earlier answer gave.
 */
const TOUR = new Map<string, Step>([
  ['npm ci && npm start', async () => { /* the tour's server is this block's `npm start` */ }],
  ['export AIMLEDGER_DATABASE_URL=sqlite:./data/aimledger.db', async (text, tour) => {
    // The command-line example, on the demo's own database (it adds the account acme, used below).
    const { code, stderr } = await runBlock(text.replaceAll('sqlite:./data/aimledger.db', tour.env.AIMLEDGER_DATABASE_URL!), tour.env);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /read 4, inserted 4, already present 0, rejected 0/);
  }],
  ['curl -s -H "X-Auth-Token: $TOKEN" \\', async (text, tour) => {
    const body = JSON.parse(await ok(text, tour)) as { send_details: Array<{ task_id: string }>; page_info: { total: number } };
    assert.equal(body.send_details.length, 2);
    assert.ok(body.send_details.every((d) => d.task_id === DEMO_TASK_ID));
  }],
  ['curl -s -H "X-Auth-Token: $TOKEN" -o fails.csv \\', async (text, tour) => {
    await ok(text.replace('-o fails.csv', `-o ${tour.dir}/fails.csv`), tour);
    assert.match(readFileSync(join(tour.dir, 'fails.csv'), 'utf8'), /^\uFEFFmsg_id,task_id,/);
  }],
  ['curl -si -X POST http://127.0.0.1:8080/v3/auth/tokens -H \'Content-Type: application/json\' -d \'{', async (text, tour) => {
    const out = await ok(text.replace('"X-Auth-Token: 3oGm…"', '"X-Auth-Token: $TOKEN"'), tour);
    assert.match(out, /^HTTP\/1\.1 201 Created/);
    assert.match(out, /^x-subject-token: \S{43}\r?$/m);
    assert.equal((jsonLines(out).at(-1) as { send_details: unknown[] }).send_details.length, 10);
  }],
  ['./bin/aimledger key create --account demo --user admin', async (text, tour) => {
    assert.match(await ok(text, tour), /^[A-Z0-9]{20} \S{40}$/m);
  }],
  ['OPERATOR=$(./bin/aimledger token create --operator --ttl 7d)', async (text, tour) => {
    const sending = JSON.parse(await ok(`curl -s -H "X-Auth-Token: $TOKEN" "http://127.0.0.1:${tour.port}/v1/aim/send-details?offset=0&limit=1&send_status=sending"`, tour)) as { send_details: Array<{ msg_id: string }> };
    const msgId = sending.send_details[0]?.msg_id;
    assert.ok(msgId, 'the demo has a message still sending');
    const [answer] = jsonLines(await ok(text.replace('"msg_id": "…"', `"msg_id": "${msgId}"`), tour));
    assert.deepEqual(answer, { results: [{ msg_id: msgId, outcome: 'applied' }], applied: 1, duplicate: 0, parked: 0, rejected: 0 });
  }],
  ['curl -s -X POST http://127.0.0.1:8080/v1/aim/callbacks -H "X-Auth-Token: $TOKEN" \\', async (text, tour) => {
    // No public host answers here: the receipt URL points at this machine (the server allows it).
    const [answer] = jsonLines(await ok(text.replaceAll('https://example.com/aim/receipts', 'http://127.0.0.1:9/aim/receipts'), tour));
    assert.equal(answer?.status, '200');
  }],
  ['TOKEN=…   # the token npm start printed', async (text, tour) => {
    const script = text.split('\n').filter((l) => !l.startsWith('TOKEN=…')).join('\n');
    const created = script.indexOf('# {"status":"200"');
    const [answer] = jsonLines(await ok(script.slice(0, created), tour));
    tour.tplId = (answer?.data as { tpl_id: string }).tpl_id;
    assert.match(tour.tplId, /^\d{9}$/);
    // The rest but the deletion now; the review block below needs the template, then it goes.
    const rest = script.slice(created).replaceAll(TPL_EXAMPLE, tour.tplId).split('\n');
    const outputs = jsonLines(await ok(rest.filter((l) => !l.includes('-X DELETE')).join('\n'), tour));
    assert.equal((outputs[0] as { templates: Array<{ tpl_id: string }> }).templates[0]?.tpl_id, tour.tplId);
    assert.equal(outputs[1]?.status, '200');
    tour.deleteTemplate = rest.filter((l) => l.includes('-X DELETE')).join('\n');
  }],
  ['# A 1×1 PNG; for a file of your own: PNG=$(base64 -w0 logo.png)', async (text, tour) => {
    const [uploaded, listed] = jsonLines(await ok(text, tour)) as Array<{ data: Record<string, unknown> }>;
    assert.match(String(uploaded?.data.aim_resource_id), /^\d+$/);
    assert.ok(JSON.stringify(listed?.data).includes(String(uploaded?.data.material_id)));
  }],
  ['./bin/aimledger template review approve --account acme --tpl-id 731650284 --factory OPPO', async (text, tour) => {
    // The README's template is acme's; here it is the one the templates block created for demo.
    const answer = jsonLines(await ok(text.replaceAll('acme', 'demo').replaceAll(TPL_EXAMPLE, tour.tplId), tour)).at(-1);
    assert.deepEqual([answer?.tpl_id, answer?.audit_state], [tour.tplId, 2], 'approved again after the rejection');
    const [deleted] = jsonLines(await ok(tour.deleteTemplate, tour));
    assert.equal(deleted?.status, '200');
  }],
  ['curl -s -H "X-Auth-Token: $TOKEN" "http://127.0.0.1:8080/v1/aim/resolve-details?offset=0&limit=20&task_id=$TASK"', async (text, tour) => {
    const body = JSON.parse(await ok(text, tour)) as { resolve_details: Array<{ task_id: string }>; page_info: { total: number } };
    assert.equal(body.page_info.total, 2, 'one link for each of the task\'s two phones');
    assert.ok(body.resolve_details.every((d) => d.task_id === tour.env.TASK));
  }],
  ['# the digest of 8617000000001: printf 8617000000001 | sha1sum', async (text, tour) => {
    const out = await ok(text, tour);
    const shown = JSON.parse(out.slice(out.indexOf('{'))) as { unsupportedPrefixes: string[]; unsupportedSha1: string[] };
    assert.deepEqual(shown.unsupportedPrefixes, ['170', '171']);
    assert.deepEqual(shown.unsupportedSha1, ['6dd3588693a7d74aa1d611a17996f1413e334ab9']);
  }],
  ['curl -s -X POST http://127.0.0.1:8080/v1/aim/resolve-tasks -H "X-Auth-Token: $TOKEN" -H \'Content-Type: application/json\' \\', async (text, tour) => {
    const body = JSON.parse(await ok(text, tour)) as { aim_code_type: string; params: Array<{ result_code: string; aim_url: string }> };
    assert.equal(body.aim_code_type, 'group');
    assert.equal(body.params[0]?.result_code, '0');
  }],
  ['./bin/aimledger domain add --account acme go.acme.com                    # custom codes (generation_type "2")', async (text, tour) => {
    const out = await ok(text, tour);
    assert.match(out, /go\.acme\.com/);
    assert.match(out, /s\.acme\.com/);
  }],
  ['./bin/aimledger sms-template add --account acme --id 15010661 --content \'您的会员日礼券已到账：${1}，有效期 ${2} 天，详情 ${aim_url}\'', async (text, tour) => {
    await ok(text, tour);
  }],
  ['npm pack --workspace packages/client   # builds it and writes aimledger-client-0.1.0.tgz', async (text, tour) => {
    const tarball = join(ROOT, 'aimledger-client-0.1.0.tgz');
    try {
      await ok(text, tour);
      assert.ok(readFileSync(tarball).length > 1000, 'the tarball is written where the README says');
    } finally {
      rmSync(tarball, { force: true });
    }
  }],
]);
