import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { SQLITE_BUSY_TIMEOUT_MS } from '../src/store/sqlite/index.js';
import { getDetails, testStack } from './helpers/factories.js';
import { phones, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';

/**
 * Another process (an import, an admin command) takes the database's write lock and keeps it for
 * `ms`; resolves once it holds it, with a promise of its exit.
 */
async function holdWriteLock(file: string, ms: number): Promise<{ exited: Promise<number | null> }> {
  const script = `
    const db = require('better-sqlite3')(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('locked')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
  });
  return { exited };
}

describe('SQLite locked by another process', () => {
  let dir: string;
  let store: KyselyStore;
  let file: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aimledger-busy-'));
    file = join(dir, 'aimledger.db');
    store = openStore({ url: `sqlite:${file}` }) as KyselyStore;
    await store.migrate();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a write waits out a short lock, answers a clean 500 saying retry past the busy timeout, and works once the lock is gone', { timeout: 60_000 }, async () => {
    const { app } = await testStack(store);
    const tenant = await tenantWithReferences(store);

    // Held for well under the busy timeout: SQLite retries and the write goes through.
    const short = await holdWriteLock(file, SQLITE_BUSY_TIMEOUT_MS / 4);
    assert.equal((await postTask(app, tenant.token, taskBody(phones(3)))).statusCode, 200);
    assert.equal(await short.exited, 0);

    // Held past it: the contract's 500, saying retry (no driver text); reads still answer (WAL).
    const long = await holdWriteLock(file, SQLITE_BUSY_TIMEOUT_MS * 2 + 1000);
    const busy = await app.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': tenant.token }, payload: taskBody(phones(3, 13500000000)) });
    assert.equal(busy.statusCode, 500, busy.body);
    const body = busy.json() as Record<string, unknown>;
    assert.equal(body.error_code, 'KM.80000001');
    assert.match(String(body.error_msg), /database is unavailable/);
    assert.equal(busy.headers['retry-after'], '1');
    assert.equal((await getDetails(app, tenant.token, 'offset=0&limit=10')).status, 200, 'reads go on while another process writes');
    assert.equal(await long.exited, 0);

    assert.equal((await postTask(app, tenant.token, taskBody(phones(3, 13500000000)))).statusCode, 200, 'writes resume once the lock is released');
    const stored = await store.db.selectFrom('send_details').select('msg_id').execute();
    assert.equal(stored.length, 6, 'the refused task left nothing behind; the others are whole');
  });
});
