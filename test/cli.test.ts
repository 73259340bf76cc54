import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, scratchDatabaseUrl } from './helpers/backends.js';
import { cli, cliOnTerminal, startCli } from './helpers/serve.js';
import { until } from './helpers/poll.js';


/** Starts `serve --demo` on a free port and resolves once it printed its whole banner. */
async function serveDemo(database: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; banner: string; exited: Promise<number | null> }> {
  // The banner's last line says how to create access keys.
  const started = await startCli(['serve', '--demo', '--port', '0', '--log-level', 'warn', '--database', database], env, /^Access keys .*\n/m);
  return { child: started.child, banner: started.output, exited: started.exited };
}

/** Runs the printed curl command's request with fetch (same URL, same header). */
async function runPrintedCurl(banner: string) {
  const line = banner.split('\n').find((l) => l.startsWith('curl '));
  const m = /-H "X-Auth-Token: ([^"]+)" "([^"]+)"/.exec(line ?? '');
  assert.ok(m, `banner has a curl with a token and a URL:\n${banner}`);
  const response = await fetch(m[2] as string, { headers: { 'X-Auth-Token': m[1] as string } });
  return { token: m[1] as string, url: m[2] as string, status: response.status, body: await response.json() as { send_details: unknown[]; page_info: { total: number } } };
}

for (const backend of BACKENDS) {
  describe(`CLI on ${backend.name}`, () => {
    let dir: string;
    let db: { url: string; dispose(): Promise<void> };
    // PostgreSQL deployments must name their master key; the embedded store generates one.
    const keyEnv: Record<string, string> = backend.name === 'postgres' ? { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64') } : {};
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'aimledger-cli-'));
      db = await scratchDatabaseUrl(backend.name, dir);
    });
    after(async () => {
      await db.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('migrates twice harmlessly, creates an account, a user and a token', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await cli(['migrate', '--database', db.url]);
        assert.equal(res.code, 0, res.stderr);
      }
      const created = await cli(['account', 'create', 'acme', '--database', db.url]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^[0-9a-f]{32}\n$/);
      const again = await cli(['account', 'create', 'acme', '--database', db.url]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists/);

      const user = await cli(['user', 'create', '--account', 'acme', '--name', 'ops', '--role', 'te_admin', '--database', db.url], { stdin: 's3cret\n' });
      assert.equal(user.code, 0, user.stderr);
      assert.match(user.stderr, /te_admin and a password/);
      const badRole = await cli(['user', 'create', '--account', 'acme', '--name', 'x', '--role', 'root', '--database', db.url]);
      assert.notEqual(badRole.code, 0);

      // The database can also come from the environment.
      const token = await cli(['token', 'create', '--account', 'acme', '--user', 'ops', '--ttl', '2h'], { env: { AIMLEDGER_DATABASE_URL: db.url } });
      assert.equal(token.code, 0, token.stderr);
      assert.match(token.stdout, /^[A-Za-z0-9_-]{43}\n$/);
      const badTtl = await cli(['token', 'create', '--account', 'acme', '--user', 'ops', '--ttl', 'soon', '--database', db.url]);
      assert.equal(badTtl.code, 1);
      assert.match(badTtl.stderr, /--ttl/);
      const noUser = await cli(['token', 'create', '--account', 'acme', '--user', 'nobody', '--database', db.url]);
      assert.equal(noUser.code, 1);
      assert.match(noUser.stderr, /no user named nobody/);
    });

    it('imports a file, reports bad lines with their number, exits 1, and re-imports idempotently', async () => {
      await cli(['account', 'create', 'importer', '--database', db.url]);
      const file = join(dir, 'details.ndjson');
      const good = (i: number) => JSON.stringify({
        msg_id: `m_${i}`, task_id: 't', send_status: 'success', send_time: `2026-06-10T14:57:2${i}Z`, cust_flag: '13100000000',
      });
      writeFileSync(file, [good(1), good(2), '{"msg_id":"m_3","send_status":"sent","send_time":"2026-06-10T14:57:23Z"}', good(4)].join('\n'));
      const first = await cli(['import', '--account', 'importer', file, '--database', db.url]);
      assert.equal(first.code, 1);
      assert.match(first.stderr, /details\.ndjson:3: rejected: send_status/);
      assert.match(first.stderr, /read 4, inserted 3, already present 0, rejected 1/);
      const second = await cli(['import', '--account', 'importer', file, '--database', db.url]);
      assert.match(second.stderr, /read 4, inserted 0, already present 3, rejected 1/);

      writeFileSync(file, [good(1), good(5)].join('\n'));
      const clean = await cli(['import', '--account', 'importer', file, '--database', db.url]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stderr, /inserted 1, already present 1, rejected 0/);

      // All or nothing: a file with one bad record stores none of its good ones; a clean one all.
      writeFileSync(file, [good(6), '{"msg_id":"m_7"}', good(8)].join('\n'));
      const refused = await cli(['import', '--account', 'importer', '--all-or-nothing', file, '--database', db.url]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /details\.ndjson:2: rejected: send_status/);
      assert.match(refused.stderr, /--all-or-nothing: 1 of 3 records rejected; nothing was stored/);
      assert.match(refused.stderr, /read 3, inserted 0, already present 0, rejected 1/);
      writeFileSync(file, [good(6), good(8)].join('\n'));
      const whole = await cli(['import', '--account', 'importer', '--all-or-nothing', file, '--database', db.url]);
      assert.equal(whole.code, 0, whole.stderr);
      assert.match(whole.stderr, /read 2, inserted 2, already present 0, rejected 0/, 'm_6 was not stored by the refused run');

      const unknown = await cli(['import', '--account', 'nobody', file, '--database', db.url]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no account named nobody/);
      const txt = join(dir, 'details.txt');
      writeFileSync(txt, '');
      assert.match((await cli(['import', '--account', 'importer', txt, '--database', db.url])).stderr, /\.ndjson or \.csv/);
    });

    it('rejects a bad configuration value naming the variable', async () => {
      const res = await cli(['migrate'], { env: { AIMLEDGER_DATABASE_URL: 'mysql://x' } });
      assert.equal(res.code, 2);
      assert.match(res.stderr, /AIMLEDGER_DATABASE_URL/);
    });

    it('key create prints "AK SK" alone; list, disable, enable and delete manage it', async () => {
      await cli(['account', 'create', 'keys', '--database', db.url]);
      await cli(['user', 'create', '--account', 'keys', '--name', 'dev', '--role', 'te_user', '--database', db.url]);
      const created = await cli(['key', 'create', '--account', 'keys', '--user', 'dev', '--database', db.url], { env: keyEnv });
      assert.equal(created.code, 0, created.stderr);
      const m = /^([A-Z0-9]{20}) ([A-Za-z0-9]{40})\n$/.exec(created.stdout);
      assert.ok(m, `stdout is "AK SK" and nothing else: ${JSON.stringify(created.stdout)}`);
      const ak = m[1] as string;
      const sk = m[2] as string;
      if (backend.name === 'sqlite') {
        const keyFile = join(dir, 'master.key');
        assert.equal(statSync(keyFile).mode & 0o777, 0o600, 'the generated master key is readable by its owner only');
        assert.match(readFileSync(keyFile, 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
      } else {
        const refused = await cli(['key', 'create', '--account', 'keys', '--user', 'dev', '--database', db.url]);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /AIMLEDGER_MASTER_KEY is required when the store is PostgreSQL/);
      }
      const wrongKey = await cli(['key', 'create', '--account', 'keys', '--user', 'dev', '--database', db.url], { env: { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('hex') } });
      assert.equal(wrongKey.code, 2);
      assert.match(wrongKey.stderr, /master key does not match/);
      const badKey = await cli(['key', 'create', '--account', 'keys', '--user', 'dev', '--database', db.url], { env: { AIMLEDGER_MASTER_KEY: 'short' } });
      assert.equal(badKey.code, 2);
      assert.match(badKey.stderr, /AIMLEDGER_MASTER_KEY must be 32 random bytes/);

      const list = await cli(['key', 'list', '--account', 'keys', '--database', db.url]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^${ak}\tdev\tactive\t`, 'm'));
      assert.ok(!list.stdout.includes(sk), 'the list never shows a secret');
      assert.equal((await cli(['key', 'disable', ak, '--account', 'keys', '--database', db.url])).code, 0);
      assert.match((await cli(['key', 'list', '--account', 'keys', '--database', db.url])).stdout, new RegExp(`^${ak}\tdev\tinactive\t`, 'm'));
      assert.equal((await cli(['key', 'enable', ak, '--account', 'keys', '--database', db.url])).code, 0);
      const foreign = await cli(['key', 'delete', ak, '--account', 'acme', '--database', db.url]);
      assert.equal(foreign.code, 1, 'a key is deleted through its own account only');
      assert.match(foreign.stderr, /has no access key/);
      assert.equal((await cli(['key', 'delete', ak, '--account', 'keys', '--database', db.url])).code, 0);
      assert.doesNotMatch((await cli(['key', 'list', '--account', 'keys', '--database', db.url])).stdout, new RegExp(ak));
      const noUser = await cli(['key', 'create', '--account', 'keys', '--user', 'nobody', '--database', db.url], { env: keyEnv });
      assert.equal(noUser.code, 1);
      assert.equal(noUser.stdout, '');
    });

    // The commands' storage is tested on both backends in revocation.test.ts; their wiring is the
    // same whatever the backend, so one backend's worth of processes is enough here.
    it('accounts and users are listed and managed; tokens are revoked; token lifetimes are capped', { skip: backend.name === 'postgres' ? 'covered on SQLite' : false }, async () => {
      const run = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) => cli([...args, '--database', db.url], options);
      assert.equal((await run(['account', 'create', 'ops'])).code, 0);
      const created = await run(['user', 'create', '--account', 'ops', '--name', 'carol', '--role', 'te_user'], { stdin: 'first passphrase\n' });
      assert.match(created.stderr, /created with role te_user and a password/);
      assert.equal((await run(['user', 'create', '--account', 'ops', '--name', 'dave'])).code, 0);

      const accounts = await run(['account', 'list']);
      assert.equal(accounts.code, 0, accounts.stderr);
      assert.match(accounts.stdout, /^NAME\tDOMAIN_ID\tUSERS\tCREATED_AT\n/);
      assert.match(accounts.stdout, /^ops\t[0-9a-f]{32}\t2\t\d{4}-/m);
      const users = await run(['user', 'list', '--account', 'ops']);
      assert.match(users.stdout, /^carol\tte_user\tactive\tyes\t/m);
      assert.match(users.stdout, /^dave\treadonly\tactive\tno\t/m);

      assert.equal((await run(['user', 'role', 'te_admin', '--account', 'ops', '--name', 'dave'])).code, 0);
      const badRole = await run(['user', 'role', 'root', '--account', 'ops', '--name', 'dave']);
      assert.equal(badRole.code, 1);
      assert.match(badRole.stderr, /role must be one of/);
      assert.equal((await run(['user', 'passwd', '--account', 'ops', '--name', 'dave'], { stdin: 'dave passphrase\n' })).code, 0);
      const noPassword = await run(['user', 'passwd', '--account', 'ops', '--name', 'dave']);
      assert.equal(noPassword.code, 1);
      assert.match(noPassword.stderr, /no password given/);
      assert.match((await run(['user', 'list', '--account', 'ops'])).stdout, /^dave\tte_admin\tactive\tyes\t/m);

      // Short-link domains: registered per account, one account each, custom or standard codes.
      const added = await run(['domain', 'add', '--account', 'ops', 'Go.Example.com.']);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stderr, /domain go\.example\.com registered for custom short codes/);
      assert.equal((await run(['domain', 'add', '--account', 'ops', '--codes', 'standard', 's.example.com'])).code, 0);
      const taken = await run(['domain', 'add', '--account', 'ops', 'go.example.com']);
      assert.deepEqual([taken.code, /registered already/.test(taken.stderr)], [1, true], taken.stderr);
      const badDomain = await run(['domain', 'add', '--account', 'ops', 'not a host']);
      assert.deepEqual([badDomain.code, /is not a host name/.test(badDomain.stderr)], [1, true], badDomain.stderr);
      const badKind = await run(['domain', 'add', '--account', 'ops', '--codes', 'mixed', 'x.example.com']);
      assert.deepEqual([badKind.code, /custom or standard/.test(badKind.stderr)], [1, true], badKind.stderr);
      const domains = await run(['domain', 'list', '--account', 'ops']);
      assert.match(domains.stdout, /^DOMAIN\tCODES\tACCOUNT\tCREATED_AT\ngo\.example\.com\tcustom\tops\t\d{4}-.*\ns\.example\.com\tstandard\tops\t/);
      assert.equal((await run(['domain', 'remove', 's.example.com'])).code, 0);
      assert.doesNotMatch((await run(['domain', 'list'])).stdout, /s\.example\.com/);
      assert.match((await run(['domain', 'remove', 's.example.com'])).stderr, /is not registered/);

      const tokens = [];
      for (let i = 0; i < 3; i++) tokens.push((await run(['token', 'create', '--account', 'ops', '--user', 'carol'])).stdout.trim());
      assert.equal((await run(['token', 'revoke', tokens[0] as string])).code, 0);
      // A token that starts with a dash (issued before tokens stopped doing so) goes after --.
      const again = await cli(['token', 'revoke', '--database', db.url, '--', tokens[0] as string]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /no such token/);
      const all = await run(['token', 'revoke', '--account', 'ops', '--user', 'carol']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stderr, /revoked 2 tokens of carol/);
      assert.match((await run(['token', 'revoke', '--account', 'ops'])).stderr, /--account and --user go together/);

      assert.equal((await run(['user', 'disable', '--account', 'ops', '--name', 'carol'])).code, 0);
      assert.match((await run(['user', 'list', '--account', 'ops'])).stdout, /^carol\tte_user\tdisabled\t/m);
      assert.equal((await run(['user', 'enable', '--account', 'ops', '--name', 'carol'])).code, 0);
      assert.equal((await run(['user', 'delete', '--account', 'ops', '--name', 'carol'])).code, 0);
      assert.doesNotMatch((await run(['user', 'list', '--account', 'ops'])).stdout, /^carol/m);
      const gone = await run(['user', 'disable', '--account', 'ops', '--name', 'carol']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /no user named carol/);

      const long = await run(['token', 'create', '--account', 'ops', '--user', 'dave', '--ttl', '8d']);
      assert.equal(long.code, 1);
      assert.match(long.stderr, /longer than the longest lifetime allowed \(7d, AIMLEDGER_TOKEN_MAX_TTL\)/);
      assert.equal(long.stdout, '');
      assert.match(long.stderr, /or an access key for long-lived use/);
      const longOperator = await run(['token', 'create', '--operator', '--ttl', '365d']);
      assert.equal(longOperator.code, 1);
      assert.match(longOperator.stderr, /issue a shorter one and a new one before it expires/);
      assert.doesNotMatch(longOperator.stderr, /access key/, 'operators have no access keys');
      assert.equal((await run(['token', 'create', '--account', 'ops', '--user', 'dave', '--ttl', '7d'])).code, 0);
      const raised = await run(['token', 'create', '--account', 'ops', '--user', 'dave', '--ttl', '8d'], { env: { AIMLEDGER_TOKEN_MAX_TTL: '30d' } });
      assert.equal(raised.code, 0, raised.stderr);
      const lowered = await run(['token', 'create', '--account', 'ops', '--user', 'dave', '--ttl', '2h'], { env: { AIMLEDGER_TOKEN_MAX_TTL: '1h' } });
      assert.match(lowered.stderr, /\(1h, AIMLEDGER_TOKEN_MAX_TTL\)/);
    });

    it('on a terminal, a password is asked for without echo, twice; a mismatch changes nothing', { skip: backend.name === 'postgres' ? 'covered on SQLite' : false }, async () => {
      const run = (args: string[], options: { stdin?: string } = {}) => cli([...args, '--database', db.url], options);
      assert.equal((await run(['account', 'create', 'tty'])).code, 0);
      const created = await cliOnTerminal(['user', 'create', '--account', 'tty', '--name', 'erin', '--database', db.url],
        [[/Password \(empty for none\): /, 'typed secret 1'], [/Repeat it: /, 'typed secret 1']]);
      assert.equal(created.code, 0, created.output);
      assert.match(created.output, /user erin created with role readonly and a password/);
      assert.ok(!created.output.includes('typed secret 1'), `the password was echoed:\n${created.output}`);
      assert.match((await run(['user', 'list', '--account', 'tty'])).stdout, /^erin\treadonly\tactive\tyes\t/m);

      const mismatch = await cliOnTerminal(['user', 'passwd', '--account', 'tty', '--name', 'erin', '--database', db.url],
        [[/New password: /, 'one'], [/Repeat it: /, 'two']]);
      assert.equal(mismatch.code, 1);
      assert.match(mismatch.output, /the two passwords differ; nothing was changed/);
      const none = await cliOnTerminal(['user', 'create', '--account', 'tty', '--name', 'fay', '--database', db.url], [[/Password \(empty for none\): /, '']]);
      assert.equal(none.code, 0, none.output);
      assert.match((await run(['user', 'list', '--account', 'tty'])).stdout, /^fay\treadonly\tactive\tno\t/m);
    });

    it('serve --demo prints a working curl; a restart keeps the data and prints a valid token again', async () => {
      if (backend.name === 'postgres') {
        const refused = await cli(['serve', '--port', '0', '--database', db.url]);
        assert.equal(refused.code, 2, 'PostgreSQL without a master key does not start');
        assert.match(refused.stderr, /AIMLEDGER_MASTER_KEY is required/);
      }
      const first = await serveDemo(db.url, keyEnv);
      let firstToken: string;
      let total: number;
      try {
        const res = await runPrintedCurl(first.banner);
        assert.equal(res.status, 200);
        assert.equal(res.body.send_details.length, 2);
        firstToken = res.token;
        const all = await fetch(new URL('/v1/aim/send-details?offset=0&limit=1', res.url), { headers: { 'X-Auth-Token': firstToken } });
        total = ((await all.json()) as { page_info: { total: number } }).page_info.total;
        assert.ok(total >= 10_000, `demo has tens of thousands of details (got ${total})`);
        assert.match(first.banner, /created with demo data/);
        // The printed IAM sign-in works too, and its token reads the same data.
        const signIn = /^curl -si -X POST "([^"]+)" -H "Content-Type: application\/json" -d '([^']+)'$/m.exec(first.banner);
        assert.ok(signIn, `banner has an IAM sign-in curl:\n${first.banner}`);
        const issued = await fetch(signIn[1] as string, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: signIn[2] as string });
        assert.equal(issued.status, 201);
        const iamToken = issued.headers.get('x-subject-token') as string;
        const viaIam = await fetch(new URL('/v1/aim/send-details?offset=0&limit=1', res.url), { headers: { 'X-Auth-Token': iamToken } });
        assert.equal(((await viaIam.json()) as { page_info: { total: number } }).page_info.total, total);
        assert.match(first.banner, /key create --account demo --user admin/);
        // The printed send-task curl sends, and its messages show up in send-details.
        const send = /^curl -s -X POST "([^"]+)" -H "X-Auth-Token: ([^"]+)" -H "Content-Type: application\/json" -d '([^']+)'$/m.exec(first.banner);
        assert.ok(send, `banner has a send-task curl:\n${first.banner}`);
        const sent = await fetch(send[1] as string, { method: 'POST', headers: { 'X-Auth-Token': send[2] as string, 'Content-Type': 'application/json' }, body: send[3] as string });
        assert.equal(sent.status, 200);
        const task = await sent.json() as { task_id: string };
        const ofTask = await fetch(new URL(`/v1/aim/send-details?offset=0&limit=10&task_id=${task.task_id}`, res.url), { headers: { 'X-Auth-Token': firstToken } });
        assert.equal(((await ofTask.json()) as { page_info: { total: number } }).page_info.total, 2);
        total += 2;

        // The remote commands, with a token and with AK/SK from the environment.
        const base = new URL(res.url).origin;
        assert.match(first.banner, new RegExp(`Web console: ${base}/console`));
        const consolePage = await fetch(`${base}/console`);
        assert.equal(consolePage.status, 200);
        assert.match(await consolePage.text(), /<div id="app">/);
        // Template 600000002: the demo send above (600000001) cannot change these counts meanwhile.
        const list = await cli(['details', 'list', '--endpoint', base, '--send-status', 'fail', '--tpl-id', '600000002', '--limit', '5'], { env: { AIMLEDGER_TOKEN: firstToken } });
        assert.equal(list.code, 0, list.stderr);
        const lines = list.stdout.trimEnd().split('\n');
        assert.equal(lines[0], 'MSG_ID\tTASK_ID\tTASK_NAME\tTPL_ID\tTPL_NAME\tCUST_FLAG\tSEND_ACCOUNT\tSEND_STATUS\tSEND_TIME\tRECEIVE_TIME\tRESULT_CODE');
        assert.equal(lines.length, 6);
        assert.ok(lines.slice(1).every((l) => l.split('\t')[7] === 'fail'));
        const fails = Number(/of (\d+)/.exec(list.stderr)?.[1]);
        assert.ok(fails > 10, list.stderr);
        const keys = await cli(['key', 'create', '--account', 'demo', '--user', 'admin', '--database', db.url], { env: keyEnv });
        const [ak, sk] = keys.stdout.trim().split(' ') as [string, string];
        const file = join(dir, 'fails.csv');
        const exported = await cli(['details', 'export', '--endpoint', base, '--send-status', 'fail', '--tpl-id', '600000002', '--output', file], { env: { AIMLEDGER_ACCESS_KEY: ak, AIMLEDGER_SECRET_KEY: sk } });
        assert.equal(exported.code, 0, exported.stderr);
        assert.match(exported.stderr, new RegExp(`exported ${fails} rows`));
        assert.equal(readFileSync(file, 'utf8').trimEnd().split('\r\n').length, fails + 1);
        assert.doesNotMatch(exported.stderr, /warning/);
        // Half a range is ignored by the API (every time is included): the CLI says so.
        const half = await cli(['details', 'export', '--endpoint', base, '--send-status', 'fail', '--tpl-id', '600000002', '--begin-time', '2026-01-01T00:00:00Z', '--output', file], { env: { AIMLEDGER_ACCESS_KEY: ak, AIMLEDGER_SECRET_KEY: sk } });
        assert.equal(half.code, 0, half.stderr);
        assert.match(half.stderr, /warning: --begin-time without --end-time is ignored/);
        assert.match(half.stderr, new RegExp(`exported ${fails} rows`));
        const noCredentials = await cli(['details', 'list', '--endpoint', base]);
        assert.equal(noCredentials.code, 2);
        assert.match(noCredentials.stderr, /AIMLEDGER_TOKEN/);
        const badFilter = await cli(['details', 'list', '--endpoint', base, '--tpl-id', '1234567890'], { env: { AIMLEDGER_TOKEN: firstToken } });
        assert.equal(badFilter.code, 1);
        assert.match(badFilter.stderr, /400 KM\.80000002: tpl_id .*request id [0-9a-f]{32}/);
      } finally {
        first.child.kill('SIGTERM');
      }
      assert.equal(await first.exited, 0, 'graceful shutdown exits 0');

      const second = await serveDemo(db.url, keyEnv);
      try {
        assert.doesNotMatch(second.banner, /created with demo data/);
        const res = await runPrintedCurl(second.banner);
        assert.equal(res.status, 200);
        assert.notEqual(res.token, firstToken);
        const all = await fetch(new URL('/v1/aim/send-details?offset=0&limit=1', res.url), { headers: { 'X-Auth-Token': res.token } });
        assert.equal(((await all.json()) as { page_info: { total: number } }).page_info.total, total);
        const old = await fetch(new URL('/v1/aim/send-details?offset=0&limit=1', res.url), { headers: { 'X-Auth-Token': firstToken } });
        assert.equal(old.status, 200, 'a token from the first run is still valid');
        // Revoked by another process (the CLI, token on standard input): the running server, which
        // believes a token it found for 2 s, refuses it within those 2 s.
        const revoked = await cli(['token', 'revoke', '--database', db.url], { stdin: `${firstToken}\n` });
        assert.equal(revoked.code, 0, revoked.stderr);
        await until(async () => (await fetch(new URL('/v1/aim/send-details?offset=0&limit=1', res.url), { headers: { 'X-Auth-Token': firstToken } })).status === 401,
          { timeoutMs: 2500, intervalMs: 100, what: 'a revoked token is refused by the running server within 2 s' });
      } finally {
        second.child.kill('SIGTERM');
      }
      assert.equal(await second.exited, 0);
    });
  });
}

describe('CLI basics', () => {
  it('--version and -V print the package\'s version; serve --help names both channels', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const res = await cli([flag]);
      assert.deepEqual([res.code, res.stdout.trim()], [0, version], flag);
    }
    const help = await cli(['serve', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout.replace(/\s+/g, ' '), /--channel <name> where messages go: simulator .* or kannel/);
  });
});
