import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { insertSendDetails } from '../src/service/ledger.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { appliedMigrations, BACKENDS, scratchDatabaseUrl, type TestBackend } from './helpers/backends.js';
import type { FastifyInstance } from 'fastify';
import { AuthThrottle, DEFAULT_AUTH_THROTTLE } from '../src/identity/auth-throttle.js';
import { detail, fixedClock, testApp, testKeyring, testStack } from './helpers/factories.js';
import { until } from './helpers/poll.js';
import { sdkSign, sendSigned } from './helpers/signing.js';
import { openLimiters } from '../src/store/limiters.js';
import type { Limiters } from '../src/domain/limits.js';
import { randomBytes } from 'node:crypto';

/** A Redis server for the limits' Redis variant (.ci/run sets it; without it that variant is skipped). */
const REDIS_URL = process.env.AIMLEDGER_TEST_REDIS_URL;

const DAY_MS = 86_400_000;

/** Three migrated stores on one fresh database, as three instances have; dropped afterwards. */
async function withThreeInstances(backend: TestBackend['name'], work: (stores: KyselyStore[], url: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'aimledger-instances-'));
  const db = await scratchDatabaseUrl(backend, dir);
  const stores = [0, 1, 2].map(() => openStore({ url: db.url }) as KyselyStore);
  try {
    await work(stores, db.url);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('instances starting together on a new SQLite file', () => {
  it('all end up with the same master key, whichever makes master.key', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aimledger-key-'));
    try {
      const keyring = pathToFileURL(join(import.meta.dirname, '..', 'src', 'identity', 'keyring.ts')).href;
      const code = `import(${JSON.stringify(keyring)}).then((m) => process.stdout.write(m.loadMasterKey({ masterKey: undefined, databaseUrl: ${JSON.stringify(`sqlite:${dir}/a.db`)} }).toString('base64')))`;
      const keys = await Promise.all(Array.from({ length: 8 }, () => new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', '-e', code], (error, stdout) => (error ? reject(error) : resolve(stdout)));
      })));
      assert.equal(new Set(keys).size, 1, 'one key');
      assert.equal(keys[0]?.length, 44);
      assert.deepEqual(readdirSync(dir), ['master.key'], 'no drafts left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Several instances on one database: each opens its own store (its own connections), as separate
 * server processes do.
 */
for (const backend of BACKENDS) {
  describe(`several instances on one ${backend.name} database`, () => {
    it('three instances starting at once migrate once; on PostgreSQL three writers of the same new month\'s partition all succeed', { timeout: 120_000 }, async () => {
      await withThreeInstances(backend.name, async (stores) => {
        await Promise.all(stores.map((s) => s.migrate()));
        const first = stores[0] as KyselyStore;
        // None of the three failed (a migration run twice fails on what the first run made), and
        // between them they applied every one.
        const { applied, expected } = await appliedMigrations(first);
        assert.deepEqual(applied, expected, 'every migration applied');
        assert.ok(applied.includes('0021_link_domains'));

        if (backend.name !== 'postgres') return;
        // A month none of them made ready (beyond the months kept ahead), written by all three at
        // once: each creates its partition, and the ones that lose the race carry on.
        const account = await new IdentityAdmin(first, systemClock).createAccount(`inst_${Date.now()}`);
        const month = Date.UTC(new Date().getUTCFullYear() + 1, new Date().getUTCMonth(), 1) + 200 * DAY_MS;
        const written = await Promise.all(stores.map((s, i) => insertSendDetails(s, account.id,
          Array.from({ length: 50 }, (_, n) => detail({ sendTime: month + i * 1000 + n, custFlag: `1310000${String(i * 100 + n).padStart(4, '0')}` })), Date.now())));
        assert.deepEqual(written, [50, 50, 50]);
        const { n } = await first.db.selectFrom('send_details').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', account.id).where('send_time', '>=', month).executeTakeFirstOrThrow();
        assert.equal(Number(n), 150, 'every row landed');
      });
    });

    it('a token revoked through one instance fails on the others within 2 s; a disabled access key at once', { timeout: 60_000 }, async () => {
      await withThreeInstances(backend.name, async (stores) => {
        await Promise.all(stores.map((s) => s.migrate()));
        const apps = await Promise.all(stores.map((s) => testApp(s, fixedClock, new AuthThrottle({ ...DEFAULT_AUTH_THROTTLE, perAddress: 1000, perSubjectAndAddress: 1000 }))));
        const admin = new IdentityAdmin(stores[0] as KyselyStore, fixedClock);
        const name = `inst_${Date.now()}`;
        await admin.createAccount(name);
        await admin.createUser(name, 'alice', 'te_user', null);
        const { token } = await admin.createToken(name, 'alice');
        const key = await admin.createAccessKey(name, 'alice', testKeyring);
        const byToken = (app: FastifyInstance) => app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': token } }).then((r) => r.statusCode);
        const byKey = (app: FastifyInstance) => sendSigned(app, 'GET', sdkSign(key.accessKey, key.secretKey, { method: 'GET', path: '/v1/aim/send-details', query: { offset: '0', limit: '1' } })).then((r) => r.statusCode);
        // Every instance has checked (and keeps for a moment) the token, and the key.
        assert.deepEqual(await Promise.all(apps.map(byToken)), [200, 200, 200]);
        assert.deepEqual(await Promise.all(apps.map(byKey)), [200, 200, 200]);

        const revokedAt = Date.now();
        assert.equal(await admin.revokeToken(token), true);
        await until(async () => (await Promise.all(apps.map(byToken))).every((code) => code === 401), { timeoutMs: 5000, intervalMs: 50, what: 'the token refused everywhere' });
        assert.ok(Date.now() - revokedAt <= 2500, `refused everywhere after ${Date.now() - revokedAt} ms`);

        await admin.setAccessKeyStatus(name, key.accessKey, 'inactive');
        assert.deepEqual(await Promise.all(apps.map(byKey)), [401, 401, 401], 'access keys are read on every request');
        await Promise.all(apps.map((a) => a.close()));
      });
    });

    for (const where of ['database', 'redis'] as const) {
      const skip = where === 'redis' && !REDIS_URL ? 'AIMLEDGER_TEST_REDIS_URL is not set' : false;
      it(`counted in the ${where}: the per-account rate limit and the sign-in throttle hold across three instances`, { timeout: 60_000, skip }, async () => {
        await withThreeInstances(backend.name, async (stores, url) => {
          await Promise.all(stores.map((s) => s.migrate()));
          // Each instance opens its own, as separate servers do; a prefix of this test's own keeps
          // other runs' counts on the same Redis server apart.
          const prefix = `t${randomBytes(6).toString('hex')}`;
          const limiters: Limiters[] = await Promise.all(stores.map(() => openLimiters({ databaseUrl: url, redisUrl: where === 'redis' ? REDIS_URL : undefined, redisKeyPrefix: prefix })));
          assert.deepEqual(limiters.map((l) => l.kind), Array(3).fill(where === 'redis' ? 'redis' : backend.name));
          try {
            const throttle = { perSubjectAndAddress: 4, perAddress: 1000, windowSeconds: 60, freeFailures: 1000, maxDelayMs: 0 };
            const apps = await Promise.all(stores.map((s, i) => testStack(s, {
              throttle: new AuthThrottle(throttle, limiters[i]), app: { rateLimitPerMinute: 7, limiters: limiters[i]! },
            }).then((stack) => stack.app)));
            const admin = new IdentityAdmin(stores[0] as KyselyStore, fixedClock);
            const name = `lim_${randomBytes(4).toString('hex')}`;
            await admin.createAccount(name);
            await admin.createUser(name, 'alice', 'te_user', 'correct horse battery');
            const { token } = await admin.createToken(name, 'alice');

            // 7 requests a minute for the account, wherever they land: 12 spread over three
            // instances get 7 answers and 5 refusals (per instance, all 12 would pass).
            const statuses: number[] = [];
            const remaining: string[] = [];
            for (let i = 0; i < 12; i++) {
              const res = await apps[i % 3]!.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': token } });
              statuses.push(res.statusCode);
              remaining.push(String(res.headers['x-ratelimit-remaining']));
            }
            assert.deepEqual(statuses, [...Array(7).fill(200), ...Array(5).fill(429)], 'the limit is the account\'s');
            assert.deepEqual(remaining.slice(0, 8), ['6', '5', '4', '3', '2', '1', '0', '0'], 'one count, whichever instance answers');

            // 4 failed sign-ins of alice from one address, over three instances; the 5th attempt is
            // refused by every instance, even with the right password.
            const signIn = (app: FastifyInstance, password: string) => app.inject({
              method: 'POST', url: '/v3/auth/tokens', remoteAddress: '10.9.8.7',
              payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'alice', password, domain: { name } } } } } },
            }).then((r) => r.statusCode);
            const failures: number[] = [];
            for (let i = 0; i < 4; i++) failures.push(await signIn(apps[i % 3]!, `guess ${i}`));
            assert.deepEqual(failures, [401, 401, 401, 401]);
            assert.deepEqual(await Promise.all(apps.map((app) => signIn(app, 'correct horse battery'))), [429, 429, 429], 'refused by every instance');
            await Promise.all(apps.map((a) => a.close()));
          } finally {
            await Promise.all(limiters.map((l) => l.close()));
          }
        });
      });
    }
  });
}
