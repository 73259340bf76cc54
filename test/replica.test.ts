import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/domain/errors.js';
import { insertSendDetails } from '../src/service/ledger.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { lsnBytes } from '../src/store/replica.js';
import { createTenant, detail, getDetails, NOW, testStack } from './helpers/factories.js';
import { until } from './helpers/poll.js';

/*
 * Against a real primary and its streaming replica (.ci/run starts a throwaway pair with
 * scripts/pg-replica-pair.sh and sets these; without them the file is skipped).
 */
const PRIMARY = process.env.AIMLEDGER_TEST_PG_PRIMARY_URL;
const REPLICA = process.env.AIMLEDGER_TEST_PG_REPLICA_URL;
const PAIR_DIR = process.env.AIMLEDGER_TEST_PG_PAIR_DIR;
const skip = PRIMARY && REPLICA && PAIR_DIR ? false : 'AIMLEDGER_TEST_PG_PRIMARY_URL, AIMLEDGER_TEST_PG_REPLICA_URL and AIMLEDGER_TEST_PG_PAIR_DIR are not set';
const PAIR_SCRIPT = join(import.meta.dirname, '..', 'scripts', 'pg-replica-pair.sh');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function one<T>(url: string, text: string, values: unknown[] = []): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows[0] as T | undefined;
  } finally {
    await client.end();
  }
}

/** Waits until the replica has replayed everything the primary has written so far (no sleeping). */
async function replayed(primaryUrl: string, replicaUrl: string): Promise<void> {
  const target = lsnBytes((await one<{ lsn: string }>(primaryUrl, 'select pg_current_wal_lsn()::text as lsn'))!.lsn);
  await until(async () => {
    const row = await one<{ lsn: string | null }>(replicaUrl, 'select pg_last_wal_replay_lsn()::text as lsn').catch(() => undefined);
    return row?.lsn ? lsnBytes(row.lsn) >= target : false;
  }, { timeoutMs: 30_000, intervalMs: 20, what: 'the replica replaying the primary\'s writes' });
}

describe('a read replica (a real primary and streaming replica)', { skip }, () => {
  it('queries read from it and writes go to the primary; a lagging replica and a stopped one hand reads to the primary, and it takes them back', { timeout: 120_000 }, async () => {
    const name = `aimledger_r_${randomBytes(5).toString('hex')}`;
    await one(PRIMARY!, `create database ${name}`);
    const primaryUrl = withDatabase(PRIMARY!, name);
    const replicaUrl = withDatabase(REPLICA!, name);
    await replayed(PRIMARY!, REPLICA!);
    // Probes only when the test asks (an hour apart otherwise), so each step is decided here.
    const store = openStore({ url: primaryUrl, readUrl: replicaUrl, replicaMaxLagMs: 1500, replicaProbeMs: 3_600_000 }) as KyselyStore;
    try {
      await store.migrate();
      const { app } = await testStack(store);
      const tenant = await createTenant(store);
      await insertSendDetails(store, tenant.account.id, [detail({ sendTime: NOW - 5000 })], NOW);
      await replayed(primaryUrl, replicaUrl);
      await store.probeReplica();
      assert.equal(store.replicaStatus()?.state, 'up');
      assert.equal(store.replicaStatus()?.lagBytes, 0);
      const total = async () => {
        const res = await getDetails(app, tenant.token, 'offset=0&limit=100');
        assert.equal(res.status, 200);
        return (res.body.page_info as { total: number }).total;
      };
      assert.equal(await total(), 1);

      // Replay paused: the primary has 4 details (the store's writes go to it: the replica is
      // read-only and would refuse them), the replica still 1. Queries answer from the replica.
      await one(replicaUrl, 'select pg_wal_replay_pause()');
      await store.probeReplica();
      await insertSendDetails(store, tenant.account.id, [1, 2, 3].map((n) => detail({ sendTime: NOW - n * 1000 })), NOW);
      assert.equal(await total(), 1, 'read from the replica, which has not replayed the new rows');
      const readyz = await app.inject('/readyz');
      assert.equal(readyz.statusCode, 200);
      assert.equal((readyz.json() as { replica: { state: string } }).replica.state, 'up');

      // Further behind than allowed (1.5 s here): reads go to the primary, which has all 4.
      await new Promise((resolve) => setTimeout(resolve, 1700));
      await store.probeReplica();
      assert.equal(store.replicaStatus()?.state, 'lagging');
      assert.ok((store.replicaStatus()?.lagMs ?? 0) >= 1500, `lag ${store.replicaStatus()?.lagMs} ms`);
      assert.ok((store.replicaStatus()?.lagBytes ?? 0) > 0);
      assert.equal(await total(), 4, 'a lagging replica: read from the primary');
      const metrics = (await app.inject('/metrics')).body;
      assert.match(metrics, /^aimledger_replica_up 0$/m);
      assert.match(metrics, /^aimledger_replica_lag_seconds [1-9]/m);
      const lagging = await app.inject('/readyz');
      assert.equal(lagging.statusCode, 200, 'a lagging replica does not make the server unready');
      assert.equal((lagging.json() as { replica: { state: string } }).replica.state, 'lagging');

      // Caught up: reads go back to it.
      await one(replicaUrl, 'select pg_wal_replay_resume()');
      await replayed(primaryUrl, replicaUrl);
      await store.probeReplica();
      assert.deepEqual({ state: store.replicaStatus()?.state, lagMs: store.replicaStatus()?.lagMs }, { state: 'up', lagMs: 0 });
      assert.equal(await total(), 4);
      assert.match((await app.inject('/metrics')).body, /^aimledger_replica_up 1$/m);

      // The replica stops while the router still thinks it up: the next query fails there and is
      // answered by the primary; later ones go to the primary directly.
      execFileSync('bash', [PAIR_SCRIPT, 'stop-replica', PAIR_DIR!]);
      try {
        assert.equal(await total(), 4, 'answered by the primary');
        assert.equal(store.replicaStatus()?.state, 'down');
        assert.equal(store.replicaStatus()?.fallbacks, 1);
        assert.equal(await total(), 4);
        assert.equal(store.replicaStatus()?.fallbacks, 1, 'a replica known to be down is not tried');
        const down = await app.inject('/readyz');
        assert.equal(down.statusCode, 200);
        assert.equal((down.json() as { replica: { state: string } }).replica.state, 'down');
        await store.probeReplica();
        assert.equal(store.replicaStatus()?.state, 'down', 'the probe finds it still down');
      } finally {
        execFileSync('bash', [PAIR_SCRIPT, 'start-replica', PAIR_DIR!]);
      }
      // Back: the next probe that reaches it sends reads there again.
      await until(async () => {
        await store.probeReplica();
        return store.replicaStatus()?.state === 'up';
      }, { timeoutMs: 30_000, intervalMs: 100, what: () => `replica ${JSON.stringify(store.replicaStatus())}` });
      await one(replicaUrl, 'select pg_wal_replay_pause()');
      await insertSendDetails(store, tenant.account.id, [detail({ sendTime: NOW - 4000 })], NOW);
      assert.equal(await total(), 4, 'read from the replica again (replay paused, so without the new row)');
      await one(replicaUrl, 'select pg_wal_replay_resume()');
      await app.close();
    } finally {
      await store.close();
      await one(PRIMARY!, `drop database if exists ${name} with (force)`);
    }
  });
});

describe('read replica and Redis settings', () => {
  it('a replica URL must be PostgreSQL, for a PostgreSQL database; a Redis URL must be redis://; neither is echoed', () => {
    const pgEnv = { AIMLEDGER_DATABASE_URL: 'postgres://u:secret@db/aim' };
    const config = loadConfig({}, { ...pgEnv, AIMLEDGER_DATABASE_READ_URL: 'postgres://u:secret@replica/aim', AIMLEDGER_REPLICA_MAX_LAG_MS: '2500' });
    assert.equal(config.databaseReadUrl, 'postgres://u:secret@replica/aim');
    assert.equal(config.replicaMaxLagMs, 2500);
    assert.equal(loadConfig({}, pgEnv).replicaMaxLagMs, 10_000);
    const refused = (env: NodeJS.ProcessEnv, start: string) => assert.throws(() => loadConfig({}, env),
      (e: Error) => e instanceof ConfigError && e.message.startsWith(start) && !e.message.includes('secret'), JSON.stringify(env));
    refused({ ...pgEnv, AIMLEDGER_DATABASE_READ_URL: 'mysql://u:secret@replica/aim' }, 'AIMLEDGER_DATABASE_READ_URL must be postgres://');
    refused({ AIMLEDGER_DATABASE_URL: 'sqlite:./a.db', AIMLEDGER_DATABASE_READ_URL: 'postgres://u:secret@replica/aim' }, 'AIMLEDGER_DATABASE_READ_URL needs a PostgreSQL database');
    refused({ AIMLEDGER_REDIS_URL: 'http://u:secret@cache' }, 'AIMLEDGER_REDIS_URL must be redis://');
    refused({ AIMLEDGER_REDIS_KEY_PREFIX: 'has space' }, 'AIMLEDGER_REDIS_KEY_PREFIX must be');
    assert.equal(loadConfig({}, { AIMLEDGER_REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl, 'redis://127.0.0.1:6379/2');
    assert.equal(loadConfig({}, {}).redisKeyPrefix, 'aimledger');
  });
});
