import { DUPLICATE_REPORT, reportKey, type ReceivedReport, type ReportState } from '../../domain/delivery-report.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';

/** Every delivery report as received, and what became of it. */
export class DeliveryReportsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Keeps a report as received. A valid one is stored `parked` under its key and its row id comes
   * back; a copy of a report stored before is kept as `duplicate` (without the key, which belongs
   * to the first copy) and `undefined` comes back; an invalid one is kept as `rejected`.
   */
  async record(received: ReceivedReport, now: number): Promise<number | undefined> {
    const { db } = this.ctx;
    if (!received.ok) {
      await db.insertInto('delivery_reports').values({
        report_key: null, msg_id: received.msgId, account_id: null, raw: received.raw, state: 'rejected',
        reason: received.reason, received_at: now, applied_at: null,
      }).execute();
      return undefined;
    }
    const { report } = received;
    const stored = await db.insertInto('delivery_reports').values({
      report_key: reportKey(report), msg_id: report.msgId, account_id: null, raw: received.raw, state: 'parked',
      reason: null, received_at: now, applied_at: null,
    }).onConflict((oc) => oc.column('report_key').doNothing()).returning('id').executeTakeFirst();
    if (stored) return stored.id;
    await db.insertInto('delivery_reports').values({
      report_key: null, msg_id: report.msgId, account_id: null, raw: received.raw, state: 'duplicate',
      reason: DUPLICATE_REPORT, received_at: now, applied_at: null,
    }).execute();
    return undefined;
  }

  /** Records what became of a stored report; `applied` ones note the account and when. */
  async settle(id: number, state: ReportState, reason: string | null, accountId: number | null, now: number): Promise<void> {
    await this.ctx.db.updateTable('delivery_reports')
      .set(accountId === null ? { state, reason } : { state, reason, account_id: accountId, applied_at: now })
      .where('id', '=', id).execute();
  }

  /** Reports parked for these msg_ids, in the order they arrived, as received. */
  async parkedFor(msgIds: string[]): Promise<Array<{ id: number; msgId: string; raw: string }>> {
    const out: Array<{ id: number; msgId: string; raw: string }> = [];
    for (const part of chunks(msgIds, 1, this.ctx.adapter.maxParameters)) {
      const rows = await this.ctx.db.selectFrom('delivery_reports').select(['id', 'raw', 'msg_id'])
        .where('state', '=', 'parked').where('msg_id', 'in', part).orderBy('id').execute();
      for (const r of rows) out.push({ id: r.id, msgId: r.msg_id as string, raw: r.raw });
    }
    return out;
  }
}

