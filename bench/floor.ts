/**
 * The database's own limit for a send-details request (the `floor` column of `npm run bench`):
 * the statements the store runs for it — on PostgreSQL a deep page's seek of where it begins, the
 * page with its total, and on SQLite the total alone when the page is empty — prepared once and
 * run straight through the driver (better-sqlite3, or pg with
 * named prepared statements), with no query builder, row mapping or HTTP.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import pg from 'pg';
import type { SendDetailsFilter } from '../src/domain/send-detail.js';
import { adapterFor } from '../src/store/open-store.js';
import { marksGenericPlan } from '../src/store/postgres/named-statements.js';
import { afterSeek, detailQueries, pageForm, planSeek, planTotal, totalQuery } from '../src/store/repositories/send-detail-queries.js';
import { RESULT_WINDOW } from '../src/domain/send-detail.js';
import type { Database as Schema } from '../src/store/schema.js';

interface Statement { sql: string; parameters: readonly unknown[] }

/**
 * The statements of one request, compiled by the dialect of `backend` (nothing connects): the
 * seek (a deep page of a filter the day counters serve), the page and the total. The data sets do
 * not change while they are measured, so the seek's answer, which the page's values depend on, is
 * taken once (`seekOnce`) and the same statements are then run again and again.
 */
async function statementsFor(backend: 'sqlite' | 'postgres', accountId: number, filter: SendDetailsFilter, offset: number, limit: number,
  seekOnce: (seek: Statement) => Promise<{ day: number; skipped: number } | undefined>) {
  const adapter = adapterFor({ url: backend === 'sqlite' ? 'sqlite::memory:' : 'postgres://compile-only@127.0.0.1:9/none' });
  const db = new Kysely<Schema>({ dialect: adapter.dialect });
  try {
    const plan = planTotal(filter);
    const seekPlan = adapter.seekDeepPages ? planSeek(filter, plan, offset, limit) : undefined;
    const seek = seekPlan ? detailQueries.seek(db, accountId, filter, seekPlan, offset).compile() as Statement : undefined;
    const rest = afterSeek(filter, offset, seek ? await seekOnce(seek) : undefined);
    return {
      seek,
      page: detailQueries.page(db, pageForm(adapter.deferredJoin, rest.offset, limit), accountId, filter, rest.offset, limit, plan, rest.rows).compile() as Statement,
      total: totalQuery(db, accountId, filter).compile() as Statement,
    };
  } finally {
    await db.destroy();
  }
}

export interface Floor { p50: number; p99: number; qps: number }

function summary(times: number[], seconds: number): Floor {
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))] as number;
  return { p50: at(0.5), p99: at(0.99), qps: Math.round(times.length / seconds) };
}

/**
 * Runs the request's statements for `seconds` with `concurrency` callers. better-sqlite3 is
 * synchronous, so on SQLite callers in one thread run one after another: its q/s is one caller's.
 * On PostgreSQL the callers share a pool as large as the server's (10 connections).
 */
export async function floorLimit(
  backend: 'sqlite' | 'postgres', url: string, accountId: number, filter: SendDetailsFilter, offset: number,
  options: { concurrency: number; seconds: number; limit?: number },
): Promise<Floor> {
  const limit = options.limit ?? 100;
  const times: number[] = [];
  if (backend === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      const { seek, page, total } = await statementsFor(backend, accountId, filter, offset, limit,
        async (s) => db.prepare(s.sql).get(...s.parameters) as { day: number; skipped: number } | undefined);
      const seekStatement = seek ? db.prepare(seek.sql) : undefined;
      const pageStatement = db.prepare(page.sql);
      const totalStatement = db.prepare(total.sql);
      const until = performance.now() + options.seconds * 1000;
      while (performance.now() < until) {
        const started = performance.now();
        if (seek) seekStatement?.get(...seek.parameters);
        const rows = pageStatement.all(...page.parameters);
        if (rows.length === 0) totalStatement.get(...total.parameters);
        times.push(performance.now() - started);
      }
    } finally {
      db.close();
    }
    return summary(times, options.seconds);
  }
  // As the store's connections run them (named-statements.ts): named, with their generic plan
  // when marked for one (every statement of a page inside the window is).
  const named = (s: Statement) => ({ name: `f${createHash('sha1').update(s.sql).digest('base64url').slice(0, 20)}`, text: s.sql, values: [...s.parameters] });
  const generic = offset + limit <= RESULT_WINDOW;
  const pool = new pg.Pool({ connectionString: url, max: 10, ...(generic ? { options: '-c plan_cache_mode=force_generic_plan' } : {}) });
  try {
    const { seek, page, total } = await statementsFor(backend, accountId, filter, offset, limit,
      async (s) => (await pool.query(named(s))).rows[0] as { day: number; skipped: number } | undefined);
    if ([seek, page].some((s) => s && marksGenericPlan(s.sql) !== generic)) throw new Error('the floor runs a request\'s statements under one plan mode');
    const seekQuery = seek ? named(seek) : undefined;
    const pageQuery = named(page);
    const totalQuery = named(total);
    const until = performance.now() + options.seconds * 1000;
    await Promise.all(Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < until) {
        const started = performance.now();
        if (seekQuery) await pool.query(seekQuery);
        const { rows } = await pool.query(pageQuery);
        if (rows.length === 0) await pool.query(totalQuery);
        times.push(performance.now() - started);
      }
    }));
  } finally {
    await pool.end();
  }
  return summary(times, options.seconds);
}
