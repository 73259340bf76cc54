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

  it('PostgreSQL: reads are prepared once per connection; those marked for a generic plan run it, others are planned as PostgreSQL chooses',
    { skip: PG_URL ? false : 'PostgreSQL not configured' }, async () => {
      const adapter = postgresAdapter({ url: PG_URL as string, poolSize: 1 });
      const db = new Kysely<Record<string, never>>({ dialect: adapter.dialect });
      try {
        const plans = async (pattern: string) => (await sql<{ generic: number; custom: number }>`
          select generic_plans as generic, custom_plans as custom from pg_prepared_statements where statement like ${pattern}`.execute(db))
          .rows.map((r) => [Number(r.generic), Number(r.custom)]);
        const marked = (i: number) => sql<{ n: number }>`select ${sql.raw(GENERIC_PLAN)} ${i}::int + 1 as n`.execute(db);
        const unmarked = (i: number) => sql<{ n: number }>`select ${i}::int + 2 as unmarked`.execute(db);
        for (let i = 0; i < 3; i++) assert.equal((await marked(i)).rows[0]?.n, i + 1);
        // Left to auto, the first five runs would have been planned for their values.
        assert.deepEqual(await plans('%::int + 1 as n%'), [[3, 0]], 'one prepared statement, its generic plan each run');
        for (let i = 0; i < 3; i++) await unmarked(i);
        assert.deepEqual(await plans('%as unmarked%'), [[0, 3]], 'an unmarked read is prepared once and planned as auto chooses');
        await marked(9);
        assert.deepEqual(await plans('%::int + 1 as n%'), [[4, 0]], 'back to the generic plan after an unmarked read');
        // A ROLLBACK undoes a SET made in its transaction (here, to the generic plan after an
        // unmarked read left auto): the mode is set again after it.
        await unmarked(5);
        await db.transaction().execute(async (tx) => {
          await sql`select ${sql.raw(GENERIC_PLAN)} 1::int + 7 as in_tx`.execute(tx);
          await sql`savepoint s`.execute(tx);
          throw new Error('roll back');
        }).catch(() => {});
        await marked(10);
        assert.deepEqual(await plans('%::int + 1 as n%'), [[5, 0]], 'the generic plan after a rolled-back transaction too');
        assert.deepEqual(await plans('%as in_tx%'), [[1, 0]]);
        await sql`create temporary table t_write (n int)`.execute(db);
        await sql`insert into t_write values (${1})`.execute(db);
        assert.deepEqual(await plans('%t_write%'), [], 'writes are not named');
      } finally {
        await db.destroy();
      }
    });
});
