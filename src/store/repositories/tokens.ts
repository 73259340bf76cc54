import type { TokenRecord, TokenScope } from '../../domain/identity.js';
import type { StoreContext } from '../context.js';
import { JOINED_IDENTITY, joinedIdentity, toScope } from './identity-rows.js';

/** Issued tokens, by the hash of the token (the token itself is never stored). */
export class TokensRepository {
  constructor(private readonly ctx: StoreContext) {}

  async insert(input: {
    tokenHash: string; userId: number; accountId: number; now: number; expiresAt: number;
    scope: TokenScope; method: 'password' | 'token';
  }): Promise<void> {
    await this.ctx.db.insertInto('tokens').values({
      token_hash: input.tokenHash, user_id: input.userId, account_id: input.accountId,
      created_at: input.now, expires_at: input.expiresAt, scope: input.scope, method: input.method,
    }).execute();
  }

  /**
   * The token's owner, or undefined for an unknown hash or a disabled user. Expiry is the caller's
   * to judge. Found tokens are believed for a moment (see TokenCache).
   */
  async find(tokenHash: string): Promise<TokenRecord | undefined> {
    const cached = this.ctx.tokenCache.get(tokenHash);
    if (cached) return cached;
    const row = await this.ctx.db.selectFrom('tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('accounts as a', 'a.id', 't.account_id')
      .select(['t.created_at', 't.expires_at', 't.scope', 't.method', ...JOINED_IDENTITY])
      .where('t.token_hash', '=', tokenHash)
      // A disabled user's tokens stop working at once.
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return undefined;
    const record: TokenRecord = {
      ...joinedIdentity(row),
      issuedAt: row.created_at,
      expiresAt: row.expires_at,
      scope: toScope(row.scope),
      method: row.method === 'password' ? 'password' : 'token',
    };
    this.ctx.tokenCache.set(tokenHash, record);
    return record;
  }

  /** Deletes one token; its owner, or undefined when there was no such token. */
  async revoke(tokenHash: string): Promise<{ accountId: number; userId: number } | undefined> {
    this.ctx.tokenCache.forget(tokenHash);
    const row = await this.ctx.db.deleteFrom('tokens').where('token_hash', '=', tokenHash)
      .returning(['account_id', 'user_id']).executeTakeFirst();
    return row && { accountId: row.account_id, userId: row.user_id };
  }

  /** Deletes every token of the user; returns how many. */
  async revokeAllOf(userId: number): Promise<number> {
    this.ctx.tokenCache.forgetUser(userId);
    const result = await this.ctx.db.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst();
    // Again after the delete: a request may have cached one of them in between.
    this.ctx.tokenCache.forgetUser(userId);
    return Number(result.numDeletedRows);
  }

  /** Removes tokens that expired before `now`; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.ctx.db.deleteFrom('tokens').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
