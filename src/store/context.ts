import type { Kysely } from 'kysely';
import type { DialectAdapter } from './dialect.js';
import { PendingCounts } from './counters.js';
import type { Database } from './schema.js';
import type { QueryTemplates } from './query-templates.js';
import type { TokenCache } from './token-cache.js';

/**
 * What every repository works with: where its statements run, and the backend's flags. A unit of
 * work (`Store.transaction`) hands repositories a context whose `db` is its transaction.
 */
export interface StoreContext {
  /** The connection itself: partition DDL and anything that must not join the caller's transaction. */
  readonly root: Kysely<Database>;
  /** Where statements run: `root`, or the transaction of the unit of work. */
  readonly db: Kysely<Database>;
  readonly adapter: DialectAdapter;
  /** Month starts whose partition is known to exist (PostgreSQL); shared by every context of a store. */
  readonly knownMonths: Set<number>;
  /** Tokens found recently (shared by every context of a store). */
  readonly tokenCache: TokenCache;
  /** Hot query shapes compiled once (shared by every context of a store). */
  readonly queryShapes: QueryTemplates;
  /**
   * Reports a statement run past Kysely (a bulk load's), to the store's query listeners (metrics,
   * audits), as Kysely's log reports the others.
   */
  readonly observe: (ms: number, ok: boolean, sql: string) => void;
  /** Counter changes of the unit of work, written once at its end; null outside one. */
  readonly counts: PendingCounts | null;
}

/**
 * Runs `work` in a transaction: the caller's when there is one, a new one otherwise. Counter
 * changes gathered on the way are written last, just before commit, so the hot counter rows stay
 * locked only briefly and every writer locks them in one order.
 */
export async function inTransaction<T>(ctx: StoreContext, work: (tx: StoreContext & { counts: PendingCounts }) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction && ctx.counts) return work({ ...ctx, counts: ctx.counts });
  return ctx.root.transaction().execute(async (tx) => {
    const txCtx = { ...ctx, db: tx, counts: new PendingCounts() };
    const result = await work(txCtx);
    await txCtx.counts.flush(tx, ctx.adapter.maxParameters);
    return result;
  });
}

/**
 * Runs reads that must agree with each other (a total and its page) in one read-only snapshot; in
 * the caller's transaction when there is one.
 */
export async function inSnapshot<T>(ctx: StoreContext, read: (tx: StoreContext) => Promise<T>): Promise<T> {
  if (ctx.db.isTransaction) return read(ctx);
  return ctx.root.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
    .execute((tx) => read({ ...ctx, db: tx }));
}
