import type Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct statements kept prepared; the hot path has a few dozen. */
const MAX_STATEMENTS = 500;

/**
 * better-sqlite3 as Kysely sees it, with each statement prepared once per SQL text and reused
 * (Kysely prepares on every query, which parses and plans the SQL again each time). Least recently
 * used statements go past the cap. A statement still iterating (a streamed query) is never handed
 * out twice: that call gets a fresh one. SQLite re-prepares a cached statement itself when the
 * schema changes under it. Kysely's `begin` becomes `begin immediate` (see prepare).
 */
export function withStatementCache(db: Database.Database, max = MAX_STATEMENTS): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare(text: string) {
      // Transactions take the write lock when they begin: a transaction that read first and then
      // wrote would fail at once (SQLITE_BUSY_SNAPSHOT, no waiting) whenever another process (a
      // `serve --workers` sibling, an import) had committed in between. Begun immediately, it
      // waits for the lock (busy_timeout) instead.
      const sql = text === 'begin' ? 'begin immediate' : text;
      const cached = cache.get(sql);
      if (cached && !cached.busy) {
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = db.prepare(sql);
      if (!cached) {
        cache.set(sql, statement);
        if (cache.size > max) cache.delete(cache.keys().next().value as string);
      }
      return statement;
    },
  };
}
