import type { Kysely } from 'kysely';
import type { OutboxJob, OutboxJobInput } from '../../domain/jobs.js';
import type { Database } from '../schema.js';
import { chunks } from '../compare.js';
import { inTransaction, type StoreContext } from '../context.js';

/** The claim's two statements, as builders: the repository runs them, and test/sql.test.ts compiles them. */
export const outboxQueries = {
  /** Due jobs not held by a live lease, oldest first; other workers' locked rows are skipped. */
  due(db: Kysely<Database>, skipLocked: boolean, now: number, limit: number) {
    return db.selectFrom('outbox').select('id')
      .where('run_at', '<=', now)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .orderBy('run_at').orderBy('id').limit(limit)
      .$if(skipLocked, (qb) => qb.forUpdate().skipLocked());
  },
  /** Holds the jobs until `until` and counts the attempt. */
  lease(db: Kysely<Database>, ids: number[], until: number) {
    return db.updateTable('outbox')
      .set((eb) => ({ locked_until: until, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', ids)
      .returning(['id', 'kind', 'account_id', 'payload', 'attempts', 'created_at']);
  },
};

/** Work to do later, at least once: dispatches, scheduled reports, receipt pushes. */
export class OutboxRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** In the caller's transaction when there is one: the jobs commit with what caused them. */
  async enqueue(jobs: OutboxJobInput[], now: number): Promise<void> {
    if (jobs.length === 0) return;
    await inTransaction(this.ctx, async ({ db }) => {
      for (const part of chunks(jobs, 5, this.ctx.adapter.maxParameters)) {
        await db.insertInto('outbox').values(part.map((j) => ({
          kind: j.kind, account_id: j.accountId, payload: JSON.stringify(j.payload), run_at: j.runAt, created_at: now,
        }))).execute();
      }
    });
  }

  /** Takes up to `limit` due jobs for `leaseMs`; a job not completed by then can be taken again. */
  async claim(now: number, limit: number, leaseMs: number): Promise<OutboxJob[]> {
    return inTransaction(this.ctx, async ({ db }) => {
      const due = await outboxQueries.due(db, this.ctx.adapter.skipLocked, now, limit).execute();
      if (due.length === 0) return [];
      const rows = await outboxQueries.lease(db, due.map((r) => r.id), now + leaseMs).execute();
      return rows.sort((a, b) => a.id - b.id).map((r) => ({
        id: r.id, kind: r.kind, accountId: r.account_id, payload: JSON.parse(r.payload) as unknown, attempts: r.attempts,
        createdAt: r.created_at,
      }));
    });
  }

  /** Removes done jobs, in one statement per parameter-limit's worth. */
  async complete(ids: number | number[]): Promise<void> {
    for (const part of chunks([ids].flat(), 1, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.deleteFrom('outbox').where('id', 'in', part).execute();
    }
  }

  /** Releases the job to run again at `runAt`, noting the error. */
  async retry(id: number, runAt: number, error: string): Promise<void> {
    await this.ctx.db.updateTable('outbox').set({ run_at: runAt, locked_until: null, last_error: error.slice(0, 1000) })
      .where('id', '=', id).execute();
  }

  /** Jobs not yet completed (due or not). */
  async pending(): Promise<number> {
    const { n } = await this.ctx.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }

  /** Outbox depth and the oldest job's creation time, by kind. */
  async stats(): Promise<Array<{ kind: string; jobs: number; oldestCreatedAt: number }>> {
    const rows = await this.ctx.db.selectFrom('outbox')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min<number>('created_at').as('oldest')])
      .groupBy('kind').execute();
    return rows.map((r) => ({ kind: r.kind, jobs: Number(r.n), oldestCreatedAt: Number(r.oldest) }));
  }
}
