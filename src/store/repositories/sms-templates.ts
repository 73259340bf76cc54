import type { StoreContext } from '../context.js';

/** An account's SMS template texts by id, with `${1}`-style variables filled from sms_params. */
export class SmsTemplatesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async upsert(accountId: number, smsTplId: string, content: string, now: number): Promise<void> {
    await this.ctx.db.insertInto('sms_templates').values({ account_id: accountId, sms_tpl_id: smsTplId, content, created_at: now })
      .onConflict((oc) => oc.columns(['account_id', 'sms_tpl_id']).doUpdateSet({ content: (eb) => eb.ref('excluded.content') }))
      .execute();
  }

  async find(accountId: number, smsTplId: string): Promise<string | undefined> {
    return (await this.ctx.db.selectFrom('sms_templates').select('content')
      .where('account_id', '=', accountId).where('sms_tpl_id', '=', smsTplId).executeTakeFirst())?.content;
  }

  async list(accountId: number): Promise<Array<{ smsTplId: string; content: string }>> {
    const rows = await this.ctx.db.selectFrom('sms_templates').select(['sms_tpl_id', 'content'])
      .where('account_id', '=', accountId).orderBy('sms_tpl_id').execute();
    return rows.map((r) => ({ smsTplId: r.sms_tpl_id, content: r.content }));
  }
}
