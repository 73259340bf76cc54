import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PG_URL, scratchDatabaseUrl } from './helpers/backends.js';
import { cli, type CliResult } from './helpers/serve.js';

/** One line on standard error, naming the problem, and no stack trace. */
function assertOneLine(res: CliResult, code: number, why: RegExp): void {
  assert.equal(res.code, code, `exit status\n${res.stderr}`);
  assert.match(res.stderr, why);
  assert.equal(res.stderr.trimEnd().split('\n').length, 1, `one line:\n${res.stderr}`);
  assert.doesNotMatch(res.stderr, /^\s+at /m, 'no stack trace');
}

describe('start-up failures are one clear line with a documented exit status', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'aimledger-startup-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a port in use: exit 4', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const res = await cli(['serve', '--port', String(port), '--database', `sqlite:${join(dir, 'port.db')}`]);
      assertOneLine(res, 4, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*--port`));
    } finally {
      blocker.close();
    }
  });

  it('the link host\'s port in use: exit 4, naming --link-port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const res = await cli(['serve', '--port', '0', '--link-port', String(port), '--database', `sqlite:${join(dir, 'link-port.db')}`]);
      assertOneLine(res, 4, new RegExp(`127\\.0\\.0\\.1:${port} is already in use.*--link-port or AIMLEDGER_LINK_PORT`));
    } finally {
      blocker.close();
    }
  });

  it('PostgreSQL unreachable: exit 3, without the password', async () => {
    const res = await cli(['migrate', '--database', 'postgres://admin:s3cret-pw@127.0.0.1:1/ledger']);
    assertOneLine(res, 3, /database: cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\): is it running/);
    assert.ok(!res.stderr.includes('s3cret-pw'));
  });

  it('a damaged SQLite file, a path under a file, a path the kernel owns: exit 3', async () => {
    const corrupt = join(dir, 'corrupt.db');
    writeFileSync(corrupt, randomBytes(8192));
    assertOneLine(await cli(['migrate', '--database', `sqlite:${corrupt}`]), 3, /corrupt\.db is not an SQLite database or is damaged: restore it from a backup/);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    assertOneLine(await cli(['migrate', '--database', `sqlite:${file}/sub/x.db`]), 3, /plain-file is a file, not a folder/);
    // Recursive mkdir used to spin here for ever.
    assertOneLine(await cli(['migrate', '--database', 'sqlite:/proc/nope/x.db'], { timeoutMs: 30_000 }), 3, /cannot create the folder \/proc\/nope/);
  });

  it('backup into a folder that does not exist: exit 5', async () => {
    const db = `sqlite:${join(dir, 'backup-source.db')}`;
    assert.equal((await cli(['migrate', '--database', db])).code, 0);
    assertOneLine(await cli(['backup', join(dir, 'missing', 'copy.db'), '--database', db]), 5, /folder .*missing does not exist; create it first/);
  });

  it('--log-level debug adds the stack', async () => {
    const res = await cli(['migrate', '--database', 'postgres://127.0.0.1:1/ledger'], { env: { AIMLEDGER_LOG_LEVEL: 'debug' } });
    assert.equal(res.code, 3);
    assert.match(res.stderr, /^\s+at /m);
  });

  it('a new SQLite database is readable by its owner only', async () => {
    const folder = join(dir, 'fresh', 'data');
    const file = join(folder, 'ledger.db');
    assert.equal((await cli(['migrate', '--database', `sqlite:${file}`])).code, 0);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    for (const side of ['-wal', '-shm']) {
      if (existsSync(file + side)) assert.equal(statSync(file + side).mode & 0o777, 0o600, side);
    }
  });

  it('a bad setting is named, a secret one never echoed, and "trust every proxy" refused: exit 2', async () => {
    const secret = 'shortSecret1';
    const res = await cli(['serve', '--port', '0', '--database', `sqlite:${join(dir, 'kannel.db')}`], {
      env: {
        AIMLEDGER_CHANNEL: 'kannel', AIMLEDGER_KANNEL_SENDSMS_URL: 'http://127.0.0.1:13013/cgi-bin/sendsms', AIMLEDGER_KANNEL_USERNAME: 'u',
        AIMLEDGER_KANNEL_PASSWORD: 'p', AIMLEDGER_KANNEL_DLR_BASE_URL: 'http://127.0.0.1:8080', AIMLEDGER_KANNEL_DLR_SECRET: secret,
      },
    });
    assertOneLine(res, 2, /AIMLEDGER_KANNEL_DLR_SECRET must be 16 to 200 characters/);
    assert.ok(!res.stderr.includes(secret), res.stderr);
    assert.ok(!existsSync(join(dir, 'kannel.db')), 'nothing written before the settings were checked');
    assertOneLine(await cli(['serve', '--trust-proxy', 'true', '--database', `sqlite:${join(dir, 'proxy.db')}`]), 2, /--trust-proxy no longer takes true/);
    assertOneLine(await cli(['serve', '--database', `sqlite:${join(dir, 'proxy.db')}`], { env: { AIMLEDGER_TRUST_PROXY: '10.0.0.0/33' } }), 2, /AIMLEDGER_TRUST_PROXY must be false, a number of proxy hops/);
    assertOneLine(await cli(['serve', '--request-timeout-ms', '1000', '--headers-timeout-ms', '2000', '--database', `sqlite:${join(dir, 'proxy.db')}`]), 2, /must not be longer than the request timeout/);
  });

  it('PostgreSQL: a missing database is exit 3; serve --demo without a master key writes nothing', { skip: PG_URL ? false : 'PostgreSQL not configured' }, async () => {
    const url = new URL(PG_URL as string);
    url.pathname = `/aimledger_missing_${randomBytes(4).toString('hex')}`;
    assertOneLine(await cli(['migrate', '--database', url.toString()]), 3, /the database "aimledger_missing_[0-9a-f]+" does not exist on PostgreSQL at .*: create it/);

    const scratch = await scratchDatabaseUrl('postgres', dir);
    try {
      const res = await cli(['serve', '--demo', '--port', '0', '--database', scratch.url]);
      assertOneLine(res, 2, /AIMLEDGER_MASTER_KEY is required/);
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      try {
        const tables = await client.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`);
        assert.equal(tables.rows[0].n, 0, 'no table was created');
      } finally {
        await client.end();
      }
    } finally {
      await scratch.dispose();
    }
  });
});
