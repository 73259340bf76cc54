import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';
import type { TemplateEventCount } from '../../domain/link.js';

export interface TemplateDayRow {
  tplId: string;
  day: number;
  resolvingTimes: number;
  exposePv: number;
  exposeUv: number;
  clickPv: number;
  clickUv: number;
}

/** Template reports: counters per template and day, kept as the events happen. */
export class TemplateReportsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Counts events for their template and day. Exposures and clicks also count once per visitor (a
   * link's recipient, or a group link's visitor) and day for the unique counts: a visitor not yet
   * recorded for the link, day and kind is recorded and counted.
   */
  async count(events: TemplateEventCount[]): Promise<void> {
    if (events.length === 0) return;
    const sums = new Map<string, { account_id: number; tpl_id: string; day: number; resolving_times: number; expose_pv: number; expose_uv: number; click_pv: number; click_uv: number }>();
    const sum = (e: TemplateEventCount) => {
      const key = `${e.accountId}\u0000${e.tplId}\u0000${e.day}`;
      const row = sums.get(key) ?? { account_id: e.accountId, tpl_id: e.tplId, day: e.day, resolving_times: 0, expose_pv: 0, expose_uv: 0, click_pv: 0, click_uv: 0 };
      sums.set(key, row);
      return row;
    };
    // Visitors first: the ones this batch adds are the new unique counts.
    const visitors = new Map<string, { account_id: number; domain: string; aim_code: string; day: number; kind: string; visitor: string; event: TemplateEventCount }>();
    for (const e of events) {
      const row = sum(e);
      if (e.event === 'resolve') row.resolving_times += 1;
      else row[e.event === 'expose' ? 'expose_pv' : 'click_pv'] += 1;
      if (e.event !== 'resolve' && e.visitor) {
        const v = { account_id: e.accountId, domain: e.visitor.domain, aim_code: e.visitor.aimCode, day: e.day, kind: e.event, visitor: e.visitor.id, event: e };
        visitors.set([v.domain, v.aim_code, v.day, v.kind, v.visitor].join('\u0000'), v);
      }
    }
    // In one order for every writer, like the counters below.
    const candidates = [...visitors.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    for (const part of chunks(candidates, 6, this.ctx.adapter.maxParameters)) {
      const added = await this.ctx.db.insertInto('link_visitors').values(part.map(({ event: _, ...v }) => v))
        .onConflict((oc) => oc.columns(['account_id', 'domain', 'aim_code', 'day', 'kind', 'visitor']).doNothing())
        .returning(['domain', 'aim_code', 'day', 'kind', 'visitor']).execute();
      for (const a of added) {
        const v = visitors.get([a.domain, a.aim_code, Number(a.day), a.kind, a.visitor].join('\u0000'));
        if (v) sum(v.event)[v.kind === 'expose' ? 'expose_uv' : 'click_uv'] += 1;
      }
    }
    // One order for every writer, so two transactions never wait on each other's rows.
    const rows = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    for (const part of chunks(rows, 8, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('template_day_counts').values(part)
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'day']).doUpdateSet((eb) => ({
          resolving_times: eb('template_day_counts.resolving_times', '+', eb.ref('excluded.resolving_times')),
          expose_pv: eb('template_day_counts.expose_pv', '+', eb.ref('excluded.expose_pv')),
          expose_uv: eb('template_day_counts.expose_uv', '+', eb.ref('excluded.expose_uv')),
          click_pv: eb('template_day_counts.click_pv', '+', eb.ref('excluded.click_pv')),
          click_uv: eb('template_day_counts.click_uv', '+', eb.ref('excluded.click_uv')),
        })))
        .execute();
    }
  }

  /** Rows per template and day in [fromDay, toDay], tpl_id then day, with the exact total. */
  async report(accountId: number, tplIds: string[], fromDay: number, toDay: number, offset: number, limit: number): Promise<{ rows: TemplateDayRow[]; total: number }> {
    const q = this.ctx.db.selectFrom('template_day_counts').where('account_id', '=', accountId).where('tpl_id', 'in', tplIds)
      .where('day', '>=', fromDay).where('day', '<=', toDay);
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(['tpl_id', 'day', 'resolving_times', 'expose_pv', 'expose_uv', 'click_pv', 'click_uv'])
      .orderBy('tpl_id').orderBy('day').limit(limit).offset(offset).execute();
    return {
      total: Number(n),
      rows: rows.map((r) => ({
        tplId: r.tpl_id, day: Number(r.day), resolvingTimes: r.resolving_times, exposePv: r.expose_pv, exposeUv: r.expose_uv, clickPv: r.click_pv, clickUv: r.click_uv,
      })),
    };
  }
}
