import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GENERIC_PLAN } from '../src/store/dialect.js';
import { postgresAdapter } from '../src/store/postgres/index.js';
import { withStatementCache } from '../src/store/sqlite/statement-cache.js';
import { PG_URL } from './helpers/backends.js';

describe('prepared statements are reused', () => {
  it('SQLite: one prepared statement per SQL text, least recently used ones dropped past the cap; a busy one is not shared', () => {
    const db = new Database(':memory:');
    const cached = withStatementCache(db, 2);
    const a = cached.prepare('select 1 as n');
    assert.equal(cached.prepare('select 1 as n'), a, 'the same text gets the same statement');
    const b = cached.prepare('select 2 as n');
    assert.equal(cached.prepare('select 1 as n'), a, 'a is the most recently used now');
    cached.prepare('select 3 as n');
    assert.equal(cached.prepare('select 1 as n'), a, 'a stayed');
    assert.notEqual(cached.prepare('select 2 as n'), b, 'b was the least recently used: dropped, prepared afresh');
    const iterating = cached.prepare('select 1 as n').iterate([]);
    iterating.next();
    assert.notEqual(cached.prepare('select 1 as n'), a, 'a statement still iterating is not handed out again');
    iterating.return?.();
    cached.close();
  });

  it('PostgreSQL: statements marked for a generic plan are prepared once per connection and run it; others are not named',
    { skip: PG_URL ? false : 'PostgreSQL not configured' }, async () => {
      const adapter = postgresAdapter({ url: PG_URL as string, poolSize: 1 });
      const db = new Kysely<Record<string, never>>({ dialect: adapter.dialect });
      try {
        const prepared = async (pattern: string) => (await sql<{ generic: number; custom: number }>`
          select generic_plans as generic, custom_plans as custom from pg_prepared_statements where statement like ${pattern}`.execute(db)).rows;
        for (let i = 0; i < 3; i++) {
          const { rows } = await sql<{ n: number }>`select ${sql.raw(GENERIC_PLAN)} ${i}::int + 1 as n`.execute(db);
          assert.equal(rows[0]?.n, i + 1);
        }
        const marked = await prepared('%::int + 1 as n%');
        assert.equal(marked.length, 1, 'one prepared statement for the three runs');
        // Left to plan_cache_mode = auto, the first five runs would be planned for their values.
        assert.deepEqual(marked.map((r) => [Number(r.generic), Number(r.custom)]), [[3, 0]], 'each run used the generic plan');
        for (let i = 0; i < 2; i++) await sql`select ${i}::int + 2 as unmarked`.execute(db);
        assert.equal((await prepared('%as unmarked%')).length, 0, 'an unmarked read is not named');
        await sql`create temporary table t_write (n int)`.execute(db);
        await sql`insert into t_write values (${1})`.execute(db);
        assert.equal((await prepared('%t_write%')).length, 0, 'writes are not named');
      } finally {
        await db.destroy();
      }
    });
});
