import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { budget, checkLimiterSpec, memoryLimiters, type LimiterSpec, type Limiters } from '../domain/limits.js';
import { SQLITE_BUSY_TIMEOUT_MS } from './sqlite/index.js';
import { withStatementCache } from './sqlite/statement-cache.js';

/*
 * Shared counts for request limits and the brute-force throttle. Every process and instance that
 * uses the same database (or Redis server) takes from the same budgets.
 *
 * - PostgreSQL: an UNLOGGED table `rate_limits` in the store's schema, through a small pool of its
 *   own. Unlogged: a count is not worth a WAL flush per request, and a crash of the server that
 *   empties it only forgives what was counted.
 * - SQLite: a file beside the database (`<file>.limits`), WAL, no sync per commit, on a connection of its own
 *   (never inside a ledger transaction, and never taking the ledger's write lock).
 * - Redis, when AIMLEDGER_REDIS_URL is set: one key per budget and caller, expiring with it.
 *
 * While the shared store cannot be reached (a database or Redis outage), each process counts in
 * its own memory, per process, and goes back to the shared store once it answers: a limit check
 * never fails a request for want of a counter (health, metrics and sign-ins keep working).
 *
 * Counts are keyed `<budget>:<account or address>`; expired ones are swept every 5 minutes.
 */

const TABLE = 'rate_limits';
const SWEEP_MS = 5 * 60_000;
/** How long a count waits for PostgreSQL before the process counts alone. */
const COUNT_TIMEOUT_MS = 1_000;
/** How long a limit check waits for Redis before the process counts alone. */
const REDIS_TIMEOUT_MS = 500;

export interface OpenLimitersOptions {
  /** The store's URL: `sqlite:PATH` or `postgres://…`. */
  databaseUrl: string;
  /** PostgreSQL schema of the store (tests use one each). */
  pgSchema?: string;
  /** `redis://…`: counts go there instead of the database. */
  redisUrl?: string | undefined;
  /** What every Redis key begins with, so deployments can share a server (default `aimledger`). */
  redisKeyPrefix?: string;
}

function sweeping(sweep: () => Promise<unknown>): { stop(): void } {
  const timer = setInterval(() => { sweep().catch(() => {}); }, SWEEP_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function sqliteLimiters(databasePath: string): Limiters {
  const path = `${databasePath}.limits`;
  // Owner only, as the database: it holds account ids and client addresses.
  try {
    writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  // WAL with NORMAL: no sync per commit (a power cut may forget the last counts, which only
  // forgives them), and never a damaged file (OFF could leave one, and the server would not start).
  db.pragma('synchronous = NORMAL');
  db.exec(`create table if not exists ${TABLE} (key text primary key, points integer not null default 0, expire integer)`);
  // Each statement prepared once (the library prepares its SQL on every call), as the store's own
  // connection does; and no transaction around the library's single upserts (one statement is
  // atomic on its own; BEGIN and COMMIT cost as much as the upsert).
  const statements = withStatementCache(db);
  const client = { prepare: (text: string) => statements.prepare(text), transaction: <F>(work: F) => work };
  const sweep = db.prepare(`delete from ${TABLE} where expire < ?`);
  const sweeper = sweeping(async () => sweep.run(Date.now()));
  return {
    kind: 'sqlite',
    limiter: (spec) => {
      checkLimiterSpec(spec);
      return new RateLimiterSQLite({
        storeClient: client, storeType: 'better-sqlite3', tableName: TABLE, tableCreated: true, clearExpiredByTimeout: false,
        ...budget(spec), insuranceLimiter: new RateLimiterMemory(budget(spec)),
      });
    },
    close: async () => {
      sweeper.stop();
      statements.close();
    },
  };
}

async function postgresLimiters(url: string, schema: string): Promise<Limiters> {
  // A count that cannot be had within a second is taken from the process's memory instead.
  const pool = new pg.Pool({
    connectionString: url, max: 4, options: `-c search_path=${schema}`, keepAlive: true,
    connectionTimeoutMillis: COUNT_TIMEOUT_MS, query_timeout: COUNT_TIMEOUT_MS,
  });
  pool.on('error', () => {});
  pool.on('connect', (client) => { client.on('error', () => {}); });
  try {
    // Instances starting together: one creates the table, the others wait for it.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select pg_advisory_xact_lock(hashtext(current_schema() || '.${TABLE}'))`);
      await client.query(`create unlogged table if not exists ${TABLE} (key varchar(255) primary key, points integer not null default 0, expire bigint)`);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const sweeper = sweeping(() => pool.query(`delete from ${TABLE} where expire < $1`, [Date.now()]));
  return {
    kind: 'postgres',
    limiter: (spec) => {
      checkLimiterSpec(spec);
      return new RateLimiterPostgres({
        storeClient: pool, storeType: 'pool', tableName: TABLE, schemaName: schema, tableCreated: true, clearExpiredByTimeout: false,
        ...budget(spec), insuranceLimiter: new RateLimiterMemory(budget(spec)),
      });
    },
    close: async () => {
      sweeper.stop();
      await pool.end();
    },
  };
}

function redisLimiters(url: string, prefix: string): Limiters {
  // No offline queue and no retries per command: while Redis is away a check fails at once and
  // the in-memory insurance answers, instead of requests waiting on a queue.
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000, commandTimeout: REDIS_TIMEOUT_MS });
  client.on('error', () => {});
  return {
    kind: 'redis',
    limiter: (spec: LimiterSpec): RateLimiterAbstract => {
      checkLimiterSpec(spec);
      const common = { ...budget(spec), keyPrefix: `${prefix}:${spec.name}` };
      return new RateLimiterRedis({
        ...common, storeClient: client, rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(common),
      });
    },
    close: async () => {
      client.disconnect();
    },
  };
}

/**
 * Opens where limits are counted: Redis when a URL is given, else the store's database; an
 * in-memory SQLite store (one process by nature) counts in memory.
 */
export async function openLimiters(options: OpenLimitersOptions): Promise<Limiters> {
  if (options.redisUrl) return redisLimiters(options.redisUrl, options.redisKeyPrefix ?? 'aimledger');
  const { databaseUrl } = options;
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length);
    return path === ':memory:' ? memoryLimiters() : sqliteLimiters(path);
  }
  return postgresLimiters(databaseUrl, options.pgSchema ?? 'public');
}
