import { DUPLICATE_REPORT, reportKey, type ReceivedReport, type ReportState } from '../../domain/delivery-report.js';
import { chunks } from '../compare.js';
import type { Insertable } from 'kysely';
import type { StoreContext } from '../context.js';
import type { Database } from '../schema.js';

/** Every delivery report as received, and what became of it. */
export class DeliveryReportsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Keeps reports as received, in order, and returns for each its row id or `undefined`. A valid
   * report is stored `parked` under its key and its id comes back; a copy of a report stored
   * before (or earlier in the same call) is kept as `duplicate`, without the key, which belongs to
   * the first copy; an invalid one is kept as `rejected`. A few statements however many reports.
   */
  async record(received: ReceivedReport[], now: number): Promise<Array<number | undefined>> {
    const { db, adapter } = this.ctx;
    const keys = received.map((r) => (r.ok ? reportKey(r.report) : null));
    // The first copy of each key in this call is the one that may be new.
    const firstOf = new Map<string, number>();
    keys.forEach((key, i) => { if (key !== null && !firstOf.has(key)) firstOf.set(key, i); });
    const isFirst = (i: number) => keys[i] !== null && firstOf.get(keys[i] as string) === i;
    const ids = new Map<string, number>();
    const firsts = received.flatMap((r, i) => (r.ok && isFirst(i) ? [{ report: r.report, raw: r.raw, key: keys[i] as string }] : []));
    for (const part of chunks(firsts, 8, adapter.maxParameters)) {
      const stored = await db.insertInto('delivery_reports').values(part.map(({ report, raw, key }) => ({
        report_key: key, msg_id: report.msgId, account_id: null, raw, state: 'parked', reason: null, received_at: now, applied_at: null,
      }))).onConflict((oc) => oc.column('report_key').doNothing()).returning(['id', 'report_key']).execute();
      for (const row of stored) ids.set(row.report_key as string, row.id);
    }
    const out: Array<number | undefined> = [];
    const others: Array<Insertable<Database['delivery_reports']>> = [];
    received.forEach((r, i) => {
      const key = keys[i] as string | null;
      const id = r.ok && isFirst(i) ? ids.get(key as string) : undefined;
      out.push(id);
      if (id !== undefined) return;
      others.push(r.ok
        ? { report_key: null, msg_id: r.report.msgId, account_id: null, raw: r.raw, state: 'duplicate', reason: DUPLICATE_REPORT, received_at: now, applied_at: null }
        : { report_key: null, msg_id: r.msgId, account_id: null, raw: r.raw, state: 'rejected', reason: r.reason, received_at: now, applied_at: null });
    });
    for (const part of chunks(others, 8, adapter.maxParameters)) await db.insertInto('delivery_reports').values(part).execute();
    return out;
  }

  /**
   * Records what became of stored reports; `applied` ones note the account and when. One
   * statement per distinct outcome.
   */
  async settle(items: Array<{ id: number; state: ReportState; reason: string | null; accountId: number | null }>, now: number): Promise<void> {
    const groups = new Map<string, { state: ReportState; reason: string | null; accountId: number | null; ids: number[] }>();
    for (const item of items) {
      const key = JSON.stringify([item.state, item.reason, item.accountId]);
      const group = groups.get(key) ?? { state: item.state, reason: item.reason, accountId: item.accountId, ids: [] };
      group.ids.push(item.id);
      groups.set(key, group);
    }
    for (const { state, reason, accountId, ids } of groups.values()) {
      for (const part of chunks(ids, 1, this.ctx.adapter.maxParameters - 4)) {
        await this.ctx.db.updateTable('delivery_reports')
          .set(accountId === null ? { state, reason } : { state, reason, account_id: accountId, applied_at: now })
          .where('id', 'in', part).execute();
      }
    }
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

