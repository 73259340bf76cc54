import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { DialectAdapter } from '../dialect.js';
import { postgresPartitions } from './partitions.js';

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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connects a pool to PostgreSQL; every connection resolves unqualified names in `schema`. */
export function postgresAdapter(options: PostgresOptions): DialectAdapter {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
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
    optimizeStatements: ['vacuum (analyze) send_details', 'vacuum (analyze) send_detail_counts'],
    autoIncrementId: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    isUniqueViolation: (error) => (error as { code?: unknown } | null)?.code === '23505',
  };
}
