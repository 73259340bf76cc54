import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { DialectAdapter } from '../dialect.js';

/** How long a write waits for another process's write lock before giving up (SQLITE_BUSY). */
export const SQLITE_BUSY_TIMEOUT_MS = 2000;

/** Opens an embedded SQLite store file (":memory:" for a throw-away one). */
export function sqliteAdapter(path: string): DialectAdapter {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // WAL lets readers run while the single writer commits; NORMAL is durable across process
  // crashes in WAL mode (only an OS crash can lose the last transactions).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Another process (an import or admin command) holding the write lock is waited for this long,
  // SQLite retrying inside; after that the write fails with SQLITE_BUSY and the API answers 500 saying retry.
  // The wait blocks the event loop, so it is kept short.
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  return {
    backend: 'sqlite',
    dialect: new SqliteDialect({ database: db }),
    schema: null,
    maxParameters: 32_000,
    binaryCollation: null,
    partitions: null,
    skipLocked: false,
    // VACUUM INTO copies one read snapshot in one statement; writers go on (WAL). The online
    // backup API would restart on every write by another connection and never finish under load.
    backup: async (file) => {
      db.prepare('VACUUM INTO ?').run(file);
    },
    poolStats: () => null,
    deferredJoin: true,
    optimizeStatements: ['analyze send_details', 'analyze send_detail_counts'],
    autoIncrementId: (col) => col.primaryKey().autoIncrement(),
    isUniqueViolation: (error) => {
      const code = (error as { code?: unknown } | null)?.code;
      return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
    },
    isUnavailable: (error) => {
      const code = (error as { code?: unknown } | null)?.code;
      return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
    },
  };
}
