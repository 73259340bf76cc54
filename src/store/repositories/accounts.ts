import type { Account } from '../../domain/identity.js';
import type { StoreContext } from '../context.js';
import { ACCOUNT_COLUMNS, toAccount } from './identity-rows.js';
import { uniqueOr } from './unique.js';

/** Tenants. */
export class AccountsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Throws Conflict when the name is taken. */
  async create(input: { name: string; domainId: string; projectId: string; now: number }): Promise<Account> {
    const row = await uniqueOr(
      this.ctx,
      () => this.ctx.db.insertInto('accounts')
        .values({ name: input.name, domain_id: input.domainId, project_id: input.projectId, created_at: input.now })
        .returning(ACCOUNT_COLUMNS)
        .executeTakeFirstOrThrow(),
      `account ${input.name} already exists`,
    );
    return toAccount(row);
  }

  async findByName(name: string): Promise<Account | undefined> {
    const row = await this.ctx.db.selectFrom('accounts').select(ACCOUNT_COLUMNS)
      .where('name', '=', name).executeTakeFirst();
    return row && toAccount(row);
  }

  async findByDomainId(domainId: string): Promise<Account | undefined> {
    const row = await this.ctx.db.selectFrom('accounts').select(ACCOUNT_COLUMNS)
      .where('domain_id', '=', domainId).executeTakeFirst();
    return row && toAccount(row);
  }

  /** Every account, by name, with its number of users. */
  async list(): Promise<Array<Account & { createdAt: number; users: number }>> {
    const rows = await this.ctx.db.selectFrom('accounts as a')
      .select([...ACCOUNT_COLUMNS.map((c) => `a.${c}` as const), 'a.created_at',
        (eb) => eb.selectFrom('users as u').select((e) => e.fn.countAll<number>().as('n')).whereRef('u.account_id', '=', 'a.id').as('users')])
      .orderBy('a.name').execute();
    return rows.map((r) => ({ ...toAccount(r), createdAt: r.created_at, users: Number(r.users ?? 0) }));
  }

  /** The account's domain_id, for receipts. */
  async domainIdOf(accountId: number): Promise<string | undefined> {
    return (await this.ctx.db.selectFrom('accounts').select('domain_id').where('id', '=', accountId).executeTakeFirst())?.domain_id;
  }
}
