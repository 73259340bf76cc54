import type { Clock } from '../domain/clock.js';
import { InvalidParameter } from '../domain/errors.js';
import type { Account, Role, User } from '../domain/identity.js';
import type { Store } from '../store/store.js';
import { hashPassword, hashToken, newDomainId, newToken } from '../identity/secrets.js';

export const DEFAULT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

function checkName(kind: string, name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidParameter(`${kind} name must be 1-64 characters of letters, digits, _ . @ - (starting with a letter or digit)`);
  }
}

/** Administrative identity operations used by the CLI and the demo. */
export class IdentityAdmin {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async createAccount(name: string): Promise<Account> {
    checkName('account', name);
    return this.store.createAccount({ name, domainId: newDomainId(), now: this.clock().getTime() });
  }

  async requireAccount(name: string): Promise<Account> {
    const account = await this.store.findAccountByName(name);
    if (!account) throw new InvalidParameter(`no account named ${name}`);
    return account;
  }

  async createUser(accountName: string, userName: string, role: Role, password: string | null): Promise<User> {
    checkName('user', userName);
    const account = await this.requireAccount(accountName);
    const passwordHash = password === null ? null : await hashPassword(password);
    return this.store.createUser({ accountId: account.id, name: userName, role, passwordHash, now: this.clock().getTime() });
  }

  /** Issues a new token for the user and returns it; only its hash is stored. */
  async createToken(accountName: string, userName: string, ttlMs: number = DEFAULT_TOKEN_TTL_MS): Promise<{ token: string; expiresAt: number }> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidParameter('token lifetime must be positive');
    const account = await this.requireAccount(accountName);
    const user = await this.store.findUser(account.id, userName);
    if (!user) throw new InvalidParameter(`no user named ${userName} in account ${accountName}`);
    const token = newToken();
    const now = this.clock().getTime();
    const expiresAt = now + ttlMs;
    await this.store.insertToken({ tokenHash: hashToken(token), userId: user.id, accountId: account.id, now, expiresAt });
    return { token, expiresAt };
  }
}
