import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
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

  it('PostgreSQL: reads run as named statements, prepared once per connection', { skip: PG_URL ? false : 'PostgreSQL not configured' }, async () => {
    const adapter = postgresAdapter({ url: PG_URL as string, poolSize: 1 });
    const db = new Kysely<Record<string, never>>({ dialect: adapter.dialect });
    try {
      for (let i = 0; i < 3; i++) {
        const { rows } = await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(db);
        assert.equal(rows[0]?.n, i + 1);
      }
      const { rows } = await sql<{ name: string; calls: number }>`select name, generic_plans + custom_plans as calls from pg_prepared_statements where statement like ${'%::int + 1 as n%'}`.execute(db);
      assert.equal(rows.length, 1, 'one prepared statement for the three reads');
      assert.equal(Number(rows[0]?.calls), 3);
      await sql`create temporary table t_write (n int)`.execute(db);
      await sql`insert into t_write values (${1})`.execute(db);
      const writes = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements where statement like ${'%t_write%'}`.execute(db);
      assert.equal(writes.rows[0]?.n, 0, 'writes are not named');
    } finally {
      await db.destroy();
    }
  });
});
