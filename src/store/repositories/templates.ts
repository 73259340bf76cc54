import type { TemplateFilter, TemplateInfo, TemplateRecord } from '../../domain/reference-data.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';

const TEMPLATE_COLUMNS = ['tpl_id', 'tpl_name', 'tpl_state', 'description', 'created_at'] as const;

function toTemplate(row: { tpl_id: string; tpl_name: string; tpl_state: number; description: string | null; created_at: number }): TemplateInfo {
  return { tplId: row.tpl_id, tplName: row.tpl_name, tplState: row.tpl_state, description: row.description, createdAt: row.created_at };
}

/** An account's AIM templates. */
export class TemplatesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Adds the templates, renaming those the account has already. */
  async upsert(accountId: number, templates: TemplateRecord[], now: number): Promise<void> {
    for (const part of chunks(templates, 4, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('templates')
        .values(part.map((t) => ({ account_id: accountId, tpl_id: t.tplId, tpl_name: t.tplName, created_at: now })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id']).doUpdateSet({ tpl_name: (eb) => eb.ref('excluded.tpl_name') }))
        .execute();
    }
  }

  async find(accountId: number, tplId: string): Promise<TemplateInfo | undefined> {
    const row = await this.ctx.db.selectFrom('templates').select(TEMPLATE_COLUMNS)
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).executeTakeFirst();
    return row && toTemplate(row);
  }

  /** Newest first (created_at desc, tpl_id asc). */
  async list(accountId: number, filter: TemplateFilter, offset: number, limit: number): Promise<{ rows: TemplateInfo[]; total: number }> {
    let q = this.ctx.db.selectFrom('templates').where('account_id', '=', accountId);
    if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
    if (filter.tplName !== undefined) q = q.where('tpl_name', '=', filter.tplName);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(TEMPLATE_COLUMNS)
      .orderBy('created_at', 'desc').orderBy('tpl_id', 'asc').limit(limit).offset(offset).execute();
    return { rows: rows.map(toTemplate), total: Number(n) };
  }
}
