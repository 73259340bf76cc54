import pg from 'pg';
import { PostgresDialect, sql, type Kysely } from 'kysely';
import { copyRows } from './copy.js';
import type { DialectAdapter } from '../dialect.js';
import { postgresPartitions } from './partitions.js';
import { NamedStatementClient } from './named-statements.js';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * BIGINT holds epoch milliseconds and counts, all far below 2^53, so they are read as numbers
 * rather than pg's default strings. Scoped to this pool, not set globally on the pg module.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresOptions {
  url: string;
  /** Schema holding every table; created by the migrations when missing. */
  schema?: string;
  poolSize?: number;
}

/** Socket errors of a server that is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** SQLSTATEs of a server that cannot take work now: shutting down, starting, out of connections. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
/** What pg says when a connection ends under a query or a connect attempt times out. */
const UNAVAILABLE_MESSAGE = /connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|not queryable/i;

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))) return true;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGE.test(error.message);
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Why the server at `url` could not be used, in one line with what to do, for the failures an
 * operator meets at start-up; undefined for anything else. Never shows the password.
 */
export function describeOpenFailure(error: unknown, url: string): string | undefined {
  let where = 'the PostgreSQL server';
  let database = '';
  try {
    const parsed = new URL(url);
    where = `PostgreSQL at ${parsed.hostname || 'the local socket'}${parsed.port ? `:${parsed.port}` : ''}`;
    database = decodeURIComponent(parsed.pathname.slice(1));
  } catch {
    // A URL pg accepts but URL does not: describe it without its parts.
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === '3D000') return `the database "${database}" does not exist on ${where}: create it (createdb ${database || 'NAME'}) or fix --database / AIMLEDGER_DATABASE_URL`;
  if (code === '28P01' || code === '28000') return `${where} refused the user or password in --database / AIMLEDGER_DATABASE_URL`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot find the host of ${where}: check --database / AIMLEDGER_DATABASE_URL`;
  if (isUnavailable(error)) return `cannot reach ${where} (${typeof code === 'string' ? code : 'no answer'}): is it running and reachable? Check --database / AIMLEDGER_DATABASE_URL`;
  return undefined;
}

/** Connects a pool to PostgreSQL; every connection resolves unqualified names in `schema`. */
export function postgresAdapter(options: PostgresOptions): DialectAdapter {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    // Reads are prepared once per connection, those marked for it run their generic plan (named-statements.ts).
    Client: NamedStatementClient,
    max: options.poolSize ?? 10,
    types,
    options: `-c search_path=${schema}`,
    // A database that is down refuses at once; one that does not answer fails a request in 5 s
    // rather than holding it (and its pool slot) until the client gives up.
    connectionTimeoutMillis: 5_000,
    // Notices a peer that vanished without closing the connection (a network cut).
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // drops it and connects afresh on the next query. Reported to whoever listens (the server logs it).
  const listeners: Array<(error: Error) => void> = [];
  pool.on('error', (error) => {
    for (const listener of listeners) listener(error);
  });
  // A connection lost while checked out but between statements (inside a transaction) makes its
  // client emit 'error' outside any query, which would crash the process with no listener. The
  // pool only listens to idle clients; this listens always. The next statement on the client
  // fails ("not queryable"), the caller sees the error, and the pool discards the client.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return {
    backend: 'postgres',
    dialect: new PostgresDialect({ pool }),
    schema,
    maxParameters: 65_000,
    binaryCollation: 'collate "C"',
    partitions: postgresPartitions,
    skipLocked: true,
    backup: null,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    deferredJoin: false,
    seekDeepPages: true,
    binaryType: 'bytea',
    materialFiles: null,
    copyRows: (db, table, columns, rows) => copyRows(db as Kysely<unknown>, table, columns, rows),
    insertEach: null,
    exportBatchSize: 1000,
    // Every table a bulk load writes. The counters are updated in place batch after batch; left
    // to autovacuum, their dead row versions made reading a total's 366 counter rows take 4.4 ms
    // at 10M details (0.55 ms after VACUUM).
    optimizeStatements: ['send_details', 'send_detail_ids', 'send_detail_counts', 'send_detail_hour_counts', 'send_status_counts',
      'send_status_hour_counts', 'send_task_counts'].map((table) => `vacuum (analyze) ${table}`),
    bulkLoadStatements: { begin: [], end: [] },
    // ANALYZE of the partitioned table sets its reltuples to the rows of all partitions; -1 before.
    analyzedDetailRows: async (kysely) => {
      const { rows } = await sql<{ n: number }>`select reltuples as n from pg_class where oid = 'send_details'::regclass`.execute(kysely);
      const n = Number(rows[0]?.n ?? -1);
      return n < 0 ? null : n;
    },
    autoIncrementId: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    rekey: async (db, table, key) => {
      const id = (name: string) => sql.id(name);
      const columns = sql.join(key.columns.map((c) => id(c)));
      const kind = key.unique ? sql`unique` : sql`primary key`;
      await sql`alter table ${id(table)} drop constraint ${id(key.replaces ?? key.constraint)}, add constraint ${id(key.constraint)} ${kind} (${columns})`.execute(db);
    },
    isUniqueViolation: (error) => (error as { code?: unknown } | null)?.code === '23505',
    isUnavailable,
    describeOpenFailure: (error) => describeOpenFailure(error, options.url),
    onConnectionError: (listener) => listeners.push(listener),
  };
}
