import { randomUUID } from 'node:crypto';
import type { CallbackRecord } from '../../domain/callback.js';
import { inTransaction, type StoreContext } from '../context.js';

const CALLBACK_COLUMNS = ['id', 'url_type', 'callback_url', 'created_at', 'updated_at'] as const;

function toCallback(row: { id: string; url_type: number; callback_url: string; created_at: number; updated_at: number }): CallbackRecord {
  return { id: row.id, urlType: row.url_type, callbackUrl: row.callback_url, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** The URLs an account registered for receipts, one per url_type. */
export class CallbacksRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Registers the account's URL for a url_type, replacing the one it had. */
  async upsert(accountId: number, urlType: number, url: string, now: number): Promise<{ callback: CallbackRecord; replaced: boolean }> {
    return inTransaction(this.ctx, async ({ db }) => {
      const existing = await db.selectFrom('callbacks').select('id').where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirst();
      if (existing) {
        await db.updateTable('callbacks').set({ callback_url: url, updated_at: now })
          .where('account_id', '=', accountId).where('url_type', '=', urlType).execute();
      } else {
        await db.insertInto('callbacks').values({ account_id: accountId, url_type: urlType, id: randomUUID(), callback_url: url, created_at: now, updated_at: now }).execute();
      }
      const row = await db.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirstOrThrow();
      return { callback: toCallback(row), replaced: existing !== undefined };
    });
  }

  async list(accountId: number): Promise<CallbackRecord[]> {
    const rows = await this.ctx.db.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).orderBy('url_type').execute();
    return rows.map(toCallback);
  }

  async find(accountId: number, urlType: number): Promise<CallbackRecord | undefined> {
    const row = await this.ctx.db.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirst();
    return row && toCallback(row);
  }

  /** The account's url_types among `urlTypes` that have a URL, with the account's domain_id. */
  async targets(accountId: number, urlTypes: readonly number[]): Promise<Array<{ urlType: number; domainId: string }>> {
    const rows = await this.ctx.db.selectFrom('callbacks as c').innerJoin('accounts as a', 'a.id', 'c.account_id')
      .select(['c.url_type', 'a.domain_id'])
      .where('c.account_id', '=', accountId).where('c.url_type', 'in', [...urlTypes]).execute();
    return rows.map((r) => ({ urlType: r.url_type, domainId: r.domain_id }));
  }
}
