import type { AccessKeyRecord, AccessKeyStatus, AccessKeySummary } from '../../domain/identity.js';
import type { StoreContext } from '../context.js';
import { JOINED_IDENTITY, joinedIdentity } from './identity-rows.js';
import { uniqueOr } from './unique.js';

/** AK/SK pairs; the secret is stored encrypted under the master key. */
export class AccessKeysRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Throws Conflict when the access key exists already. */
  async insert(input: { accessKey: string; accountId: number; userId: number; secretEnc: string; now: number }): Promise<void> {
    await uniqueOr(
      this.ctx,
      () => this.ctx.db.insertInto('access_keys').values({
        access_key: input.accessKey, account_id: input.accountId, user_id: input.userId,
        secret_enc: input.secretEnc, status: 'active', created_at: input.now,
      }).execute(),
      'access key exists already',
    );
  }

  async find(accessKey: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.ctx.db.selectFrom('access_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .innerJoin('accounts as a', 'a.id', 'k.account_id')
      .select(['k.access_key', 'k.secret_enc', 'k.status', 'k.created_at', ...JOINED_IDENTITY])
      .where('k.access_key', '=', accessKey)
      // A disabled user's keys stop working at once (and work again when it is enabled).
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...joinedIdentity(row),
      accessKey: row.access_key,
      secretEnc: row.secret_enc,
      status: row.status,
      createdAt: row.created_at,
    };
  }

  async list(accountId: number): Promise<AccessKeySummary[]> {
    const rows = await this.ctx.db.selectFrom('access_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .select(['k.access_key', 'u.name', 'k.status', 'k.created_at'])
      .where('k.account_id', '=', accountId)
      .orderBy('k.created_at').orderBy('k.access_key')
      .execute();
    return rows.map((r) => ({ accessKey: r.access_key, userName: r.name, status: r.status, createdAt: r.created_at }));
  }

  /** False when the account has no such key. */
  async setStatus(accountId: number, accessKey: string, status: AccessKeyStatus): Promise<boolean> {
    const result = await this.ctx.db.updateTable('access_keys').set({ status })
      .where('account_id', '=', accountId).where('access_key', '=', accessKey).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** False when the account has no such key. */
  async delete(accountId: number, accessKey: string): Promise<boolean> {
    const result = await this.ctx.db.deleteFrom('access_keys')
      .where('account_id', '=', accountId).where('access_key', '=', accessKey).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
