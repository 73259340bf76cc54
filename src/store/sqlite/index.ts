import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDialect, sql } from 'kysely';
import type { DialectAdapter } from '../dialect.js';
import { DatabaseOpenError } from '../open-error.js';
import { FolderFileStore, MemoryFileStore } from '../file-store.js';
import { withStatementCache } from './statement-cache.js';

/** How long a write waits for another process's write lock before giving up (SQLITE_BUSY). */
export const SQLITE_BUSY_TIMEOUT_MS = 2000;

/**
 * Creates the folders a database file needs (0700) and the file itself (0600: it holds every
 * account's data, readable by its owner only; SQLite gives its -wal and -shm files the same mode).
 * Each missing folder is made one at a time, so a path under a file or a pseudo-filesystem fails
 * with a message instead of looping.
 */
function prepareFile(path: string): void {
  const missing: string[] = [];
  for (let dir = resolve(dirname(path)); ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch (error) {
      // ENOTDIR: something above is a file; walking up finds it and says so.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw openFailure(error, path);
      missing.unshift(dir);
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
      continue;
    }
    if (!isDirectory) throw new DatabaseOpenError(`cannot keep the database at ${path}: ${dir} is a file, not a folder; choose another path with --database or AIMLEDGER_DATABASE_URL`);
    break;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DatabaseOpenError(`cannot create the folder ${dir} for the database (${(error as NodeJS.ErrnoException).code ?? 'error'}); choose another path with --database or AIMLEDGER_DATABASE_URL`);
      }
    }
  }
  try {
    writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openFailure(error, path);
  }
}

/** A failure to open the file, said in one line with what to do. */
function openFailure(error: unknown, path: string): Error {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseOpenError(`${path} is not an SQLite database or is damaged: restore it from a backup (aimledger backup), or choose another path with --database or AIMLEDGER_DATABASE_URL`);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'EISDIR' || code === 'ENOTDIR') {
    return new DatabaseOpenError(`cannot open the database file ${path} (${String(code)}): check that it is a file this user may read and write, or choose another path with --database`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** Opens an embedded SQLite store file (":memory:" for a throw-away one). */
export function sqliteAdapter(path: string): DialectAdapter {
  if (path !== ':memory:') prepareFile(path);
  let db: Database.Database;
  try {
    db = new Database(path);
    // WAL lets readers run while the single writer commits; NORMAL is durable across process
    // crashes in WAL mode (only an OS crash can lose the last transactions).
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw openFailure(error, path);
  }
  db.pragma('synchronous = NORMAL');
  // Another process (an import or admin command) holding the write lock is waited for this long,
  // SQLite retrying inside; after that the write fails with SQLITE_BUSY and the API answers 500 saying retry.
  // The wait blocks the event loop, so it is kept short.
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  const statements = withStatementCache(db);
  // Material bytes in a folder beside the file (kept out of the database, which they would bloat).
  const materialFiles = path === ':memory:' ? new MemoryFileStore() : new FolderFileStore(`${resolve(path)}-materials`);
  return {
    backend: 'sqlite',
    dialect: new SqliteDialect({ database: statements }),
    schema: null,
    maxParameters: 32_000,
    binaryCollation: null,
    partitions: null,
    skipLocked: false,
    // VACUUM INTO copies one read snapshot in one statement; writers go on (WAL). The online
    // backup API would restart on every write by another connection and never finish under load.
    backup: async (file) => {
      db.prepare('VACUUM INTO ?').run(file);
      await materialFiles.copyTo(`${resolve(file)}-materials`);
    },
    poolStats: () => null,
    deferredJoin: true,
    seekDeepPages: false,
    binaryType: 'blob',
    materialFiles,
    copyRows: null,
    insertEach: (table, columns, conflict) => {
      const quote = (name: string) => `"${name}"`;
      const text = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values (${columns.map(() => '?').join(', ')}) on conflict (${conflict.map(quote).join(', ')}) do nothing`;
      return {
        sql: text,
        run: (rows) => {
          const statement = statements.prepare(text);
          return rows.map((row) => Number(statement.run(row).changes) === 1);
        },
      };
    },
    exportBatchSize: 200,
    optimizeStatements: ['analyze send_details', 'analyze send_detail_counts'],
    // Every commit that finds the write-ahead log past wal_autocheckpoint pages (1000, the default)
    // copies the log into the file. A 5,000-row batch of an import writes about 5,000 pages, so
    // each of its commits copied, and the same index pages were copied again and again. A bulk load
    // lets the log grow to 64 MiB between copies, then copies the rest without waiting for readers
    // (PASSIVE). 200k rows (npm run bench:import): the 40 commits took 4.5 s against 5.8-7.1 s.
    bulkLoadStatements: {
      begin: ['pragma wal_autocheckpoint = 16384'],
      end: ['pragma wal_autocheckpoint = 1000', 'pragma wal_checkpoint(PASSIVE)'],
    },
    // The first figure of an index's sqlite_stat1 row is the number of rows it was analyzed at
    // (no sqlite_stat1 table at all: nothing was ever analyzed).
    analyzedDetailRows: async (kysely) => {
      const { rows: tables } = await sql`select 1 from sqlite_schema where name = 'sqlite_stat1'`.execute(kysely);
      if (tables.length === 0) return null;
      const { rows } = await sql<{ n: number }>`select cast(stat as integer) as n from sqlite_stat1
        where tbl = 'send_details' and idx = 'send_details_time_idx'`.execute(kysely);
      return rows[0] ? Number(rows[0].n) : null;
    },
    autoIncrementId: (col) => col.primaryKey().autoIncrement(),
    rekey: async (db, table, key) => {
      if (key.conflictTarget) await db.schema.createIndex(`${key.constraint}_account_uq`).on(table).columns([...key.columns]).unique().execute();
    },
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
