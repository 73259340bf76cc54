import type { SendReportFilter, SendReportRow } from '../../domain/send-report.js';
import { compareText } from '../compare.js';
import { inSnapshot, type StoreContext } from '../context.js';
import { STATUS_CODES } from '../schema.js';

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Messages per template and day or month, by status, from the status counters. */
export class SendReportsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Per template and day (or month), newest first then tpl_id; only periods with messages. */
  async report(accountId: number, filter: SendReportFilter, offset: number, limit: number): Promise<{ rows: SendReportRow[]; total: number }> {
    return inSnapshot(this.ctx, async ({ db }) => {
      let q = db.selectFrom('send_status_counts')
        .select(['tpl_id', 'day', 'send_status', (eb) => eb.fn.sum<number>('n').as('n')])
        .where('account_id', '=', accountId).where('tpl_id', '<>', '').where('sms_sign', '=', '')
        .where('day', '>=', filter.fromDay).where('day', '<=', filter.toDay);
      if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
      if (filter.tplName !== undefined) {
        const name = filter.tplName;
        q = q.where('tpl_id', 'in', (eb) => eb.selectFrom('templates').select('tpl_id')
          .where('account_id', '=', accountId).where('tpl_name', '=', name));
      }
      const sums = await q.groupBy(['tpl_id', 'day', 'send_status']).execute();
      const rows = new Map<string, SendReportRow>();
      for (const s of sums) {
        const n = Number(s.n);
        if (n === 0) continue;
        const period = filter.monthly ? monthStart(s.day) : s.day;
        const key = `${period}\u0000${s.tpl_id}`;
        const row = rows.get(key) ?? { period, tplId: s.tpl_id, tplName: null, total: 0, success: 0, fail: 0, resolved: 0 };
        row.total += n;
        if (s.send_status === STATUS_CODES.success) row.success += n;
        if (s.send_status === STATUS_CODES.fail) row.fail += n;
        rows.set(key, row);
      }
      const ordered = [...rows.values()].sort((a, b) => b.period - a.period || compareText(a.tplId, b.tplId));
      const page = limit === 0 ? [] : ordered.slice(offset, offset + limit);
      const ids = [...new Set(page.map((r) => r.tplId))];
      const names = ids.length === 0 ? [] : await db.selectFrom('templates').select(['tpl_id', 'tpl_name'])
        .where('account_id', '=', accountId).where('tpl_id', 'in', ids).execute();
      const nameOf = new Map(names.map((t) => [t.tpl_id, t.tpl_name]));
      // Resolves counted when they happened, by the day their links were sent.
      const resolves = ids.length === 0 ? [] : await db.selectFrom('link_resolve_counts').select(['tpl_id', 'day', 'n'])
        .where('account_id', '=', accountId).where('tpl_id', 'in', ids).where('day', '>=', filter.fromDay).where('day', '<=', filter.toDay).execute();
      for (const r of resolves) {
        const row = rows.get(`${filter.monthly ? monthStart(Number(r.day)) : Number(r.day)}\u0000${r.tpl_id}`);
        if (row) row.resolved += Number(r.n);
      }
      return { rows: page.map((r) => ({ ...r, tplName: nameOf.get(r.tplId) ?? null })), total: ordered.length };
    });
  }
}
