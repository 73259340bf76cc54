import type { Role, User, UserStatus } from '../../domain/identity.js';
import { inTransaction, type StoreContext } from '../context.js';
import { toUser, USER_COLUMNS } from './identity-rows.js';
import { uniqueOr } from './unique.js';

/** An account's users. */
export class UsersRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Throws Conflict when the account already has a user of that name. */
  async create(input: { accountId: number; name: string; publicId: string; role: Role; passwordHash: string | null; now: number }): Promise<User> {
    const row = await uniqueOr(
      this.ctx,
      () => this.ctx.db.insertInto('users')
        .values({
          account_id: input.accountId, name: input.name, public_id: input.publicId, role: input.role,
          password_hash: input.passwordHash, created_at: input.now,
        })
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow(),
      `user ${input.name} already exists in this account`,
    );
    return toUser(row);
  }

  async find(accountId: number, name: string): Promise<User | undefined> {
    const row = await this.ctx.db.selectFrom('users').select(USER_COLUMNS)
      .where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    return row && toUser(row);
  }

  /** An enabled user and its password hash (null when it has none), for sign-in. */
  async findCredentials(accountId: number, name: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row = await this.ctx.db.selectFrom('users').select([...USER_COLUMNS, 'password_hash'])
      .where('account_id', '=', accountId).where('name', '=', name).where('status', '=', 'active').executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  /** The account's users by name (enabled or not), never their password hashes. */
  async list(accountId: number): Promise<Array<User & { hasPassword: boolean; createdAt: number }>> {
    const rows = await this.ctx.db.selectFrom('users').select([...USER_COLUMNS, 'password_hash', 'created_at'])
      .where('account_id', '=', accountId).orderBy('name').execute();
    return rows.map((r) => ({ ...toUser(r), hasPassword: r.password_hash !== null, createdAt: r.created_at }));
  }

  /** Changes a user's role, password or status; disabling also deletes its tokens. */
  async update(userId: number, change: { role?: Role; passwordHash?: string | null; status?: UserStatus }): Promise<void> {
    // Cached tokens carry the user's role and status: forgotten before and after the change.
    this.ctx.tokenCache.forgetUser(userId);
    await inTransaction(this.ctx, async ({ db }) => {
      await db.updateTable('users').set({
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.passwordHash !== undefined ? { password_hash: change.passwordHash } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
      }).where('id', '=', userId).execute();
      // Disabling takes the user's tokens back for good; enabling again does not revive them.
      if (change.status === 'disabled') await db.deleteFrom('tokens').where('user_id', '=', userId).execute();
    });
    this.ctx.tokenCache.forgetUser(userId);
  }

  /** Deletes the user with its tokens and access keys, in one transaction. */
  async delete(userId: number): Promise<void> {
    this.ctx.tokenCache.forgetUser(userId);
    await inTransaction(this.ctx, async ({ db }) => {
      await db.deleteFrom('tokens').where('user_id', '=', userId).execute();
      await db.deleteFrom('access_keys').where('user_id', '=', userId).execute();
      await db.deleteFrom('users').where('id', '=', userId).execute();
    });
    this.ctx.tokenCache.forgetUser(userId);
  }
}
