import { sql } from 'kysely';
import { inTransaction, type StoreContext } from '../context.js';
import { PARTITIONS_AHEAD_MS } from '../migrations.js';
import { monthsBefore } from '../../domain/time.js';

const PURGE_BATCH = 5000;

/** Storage over time: partitions for the months to come, and deleting what is past retention. */
export class RetentionRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Creates the storage the coming months need (monthly partitions on PostgreSQL, from the
   * retention horizon to a few months ahead); nothing on SQLite.
   */
  async maintainPartitions(now: number, retentionMonths: number): Promise<void> {
    await this.ctx.adapter.partitions?.ensure(this.ctx.root, monthsBefore(now, retentionMonths), now + PARTITIONS_AHEAD_MS);
  }

  /**
   * Deletes every detail sent before `cutoff` (whole partitions where the backend has them,
   * batches otherwise), keeping totals exact. Returns how many were deleted.
   */
  async purge(cutoff: number): Promise<number> {
    let deleted = 0;
    const { root, adapter } = this.ctx;
    const partitions = adapter.partitions;
    if (partitions) {
      // Whole months first: their days' counters and ids go with them in one transaction.
      for (const partition of await partitions.endingBy(root, cutoff)) {
        deleted += await inTransaction(this.ctx, async ({ db }) => {
          const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(partition.name)}`.execute(db);
          // Task counters are not by period: subtract the month's rows task by task.
          await sql`update send_task_counts as c set n = c.n - m.n
            from (select account_id, task_id, send_status, count(*) as n from ${sql.table(partition.name)}
                  where task_id is not null group by account_id, task_id, send_status) as m
            where c.account_id = m.account_id and c.task_id = m.task_id and c.send_status = m.send_status`.execute(db);
          await db.deleteFrom('send_detail_counts').where('day', '>=', partition.from).where('day', '<', partition.to).execute();
          await db.deleteFrom('send_status_counts').where('day', '>=', partition.from).where('day', '<', partition.to).execute();
          await db.deleteFrom('send_detail_hour_counts').where('hour', '>=', partition.from).where('hour', '<', partition.to).execute();
          await db.deleteFrom('send_status_hour_counts').where('hour', '>=', partition.from).where('hour', '<', partition.to).execute();
          await db.deleteFrom('send_detail_ids').where('send_time', '>=', partition.from).where('send_time', '<', partition.to).execute();
          await partitions.drop(db, partition);
          return Number(rows[0]?.n ?? 0);
        });
      }
    }
    // What is left below the cutoff (every row on SQLite; the partial month on PostgreSQL) goes
    // in small batches, each adjusting the counters it affects.
    const accounts = await root.selectFrom('accounts').select('id').execute();
    for (const { id: accountId } of accounts) {
      for (;;) {
        const batch = await inTransaction(this.ctx, async ({ db, counts }) => {
          const rows = await db.selectFrom('send_details').select(['msg_id', 'send_time', 'tpl_id', 'sms_sign', 'send_status', 'task_id'])
            .where('account_id', '=', accountId).where('send_time', '<', cutoff)
            .orderBy('send_time', 'desc').limit(PURGE_BATCH).execute();
          if (rows.length === 0) return 0;
          const ids = rows.map((r) => r.msg_id);
          await db.deleteFrom('send_details').where('account_id', '=', accountId).where('msg_id', 'in', ids).where('send_time', '<', cutoff).execute();
          if (partitions) await db.deleteFrom('send_detail_ids').where('account_id', '=', accountId).where('msg_id', 'in', ids).execute();
          counts.addRows(accountId, rows, -1);
          return rows.length;
        });
        deleted += batch;
        if (batch < PURGE_BATCH) break;
      }
    }
    await root.deleteFrom('send_detail_counts').where('n', '=', 0).execute();
    await root.deleteFrom('send_status_counts').where('n', '=', 0).execute();
    await root.deleteFrom('send_detail_hour_counts').where('n', '=', 0).execute();
    await root.deleteFrom('send_status_hour_counts').where('n', '=', 0).execute();
    await root.deleteFrom('send_task_counts').where('n', '=', 0).execute();
    // Links made before the cutoff expired long ago (at most 180 days after they were made); their
    // trail goes with the messages they belonged to.
    await root.deleteFrom('link_events').where('at', '<', cutoff).execute();
    // Codes first, while their links still say which: a code is free again once its link is gone.
    await root.deleteFrom('link_codes').where((eb) => eb.exists(eb.selectFrom('links').select('links.account_id')
      .whereRef('links.account_id', '=', 'link_codes.account_id').whereRef('links.domain', '=', 'link_codes.domain')
      .whereRef('links.aim_code', '=', 'link_codes.aim_code').where('links.created_at', '<', cutoff))).execute();
    await root.deleteFrom('links').where('created_at', '<', cutoff).execute();
    await root.deleteFrom('link_resolve_counts').where('day', '<', cutoff).execute();
    await root.deleteFrom('resolve_tasks').where('created_at', '<', cutoff).execute();
    await root.deleteFrom('template_day_counts').where('day', '<', cutoff).execute();
    await root.deleteFrom('link_visitors').where('day', '<', cutoff).execute();
    return deleted;
  }
}
