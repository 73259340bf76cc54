import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';

/** An account's template materials. */
export class MaterialsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** The object keys (their URLs' last part) of these aim_resource_ids of the account. */
  async objectKeys(accountId: number, aimResourceIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(aimResourceIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('materials').select(['aim_resource_id', 'object_key'])
        .where('account_id', '=', accountId).where('aim_resource_id', 'in', part).execute();
      for (const r of rows) out.set(r.aim_resource_id, r.object_key);
    }
    return out;
  }

  /** Of these aim_resource_ids, those that are not materials of the account. */
  async missing(accountId: number, aimResourceIds: string[]): Promise<string[]> {
    const found = new Set<string>();
    for (const part of chunks(aimResourceIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('materials').select('aim_resource_id')
        .where('account_id', '=', accountId).where('aim_resource_id', 'in', part).execute();
      for (const r of rows) found.add(r.aim_resource_id);
    }
    return aimResourceIds.filter((id) => !found.has(id));
  }
}
