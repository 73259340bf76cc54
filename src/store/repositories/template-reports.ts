import type { StoreContext } from '../context.js';

export type TemplateEvent = 'resolve' | 'expose' | 'click';

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
   * Counts one event for the template and day. Exposures and clicks also count once per visitor
   * (a link's recipient, or a group link's visitor) and day for the unique counts.
   */
  async count(accountId: number, tplId: string, day: number, event: TemplateEvent, visitor: { domain: string; aimCode: string; id: string } | null): Promise<void> {
    let unique = 0;
    if (event !== 'resolve' && visitor) {
      const added = await this.ctx.db.insertInto('link_visitors')
        .values({ account_id: accountId, domain: visitor.domain, aim_code: visitor.aimCode, day, kind: event, visitor: visitor.id })
        .onConflict((oc) => oc.columns(['domain', 'aim_code', 'day', 'kind', 'visitor']).doNothing()).returning('day').execute();
      unique = added.length;
    }
    const pv = event === 'resolve' ? 'resolving_times' : event === 'expose' ? 'expose_pv' : 'click_pv';
    const uv = event === 'expose' ? 'expose_uv' : 'click_uv';
    await this.ctx.db.insertInto('template_day_counts')
      .values({ account_id: accountId, tpl_id: tplId, day, [pv]: 1, ...(event !== 'resolve' ? { [uv]: unique } : {}) })
      .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'day']).doUpdateSet((eb) => ({
        [pv]: eb(`template_day_counts.${pv}`, '+', 1),
        ...(event !== 'resolve' && unique > 0 ? { [uv]: eb(`template_day_counts.${uv}`, '+', unique) } : {}),
      })))
      .execute();
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
