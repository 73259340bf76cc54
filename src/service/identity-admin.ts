import type { Clock } from '../domain/clock.js';
import { InvalidParameter } from '../domain/errors.js';
import { OPERATOR_ROLE, PLATFORM_ACCOUNT, type Account, type Role, type User, type UserStatus } from '../domain/identity.js';
import type { Store } from '../store/store.js';
import type { AccessKeyStatus, AccessKeySummary } from '../domain/identity.js';
import type { Keyring } from '../identity/keyring.js';
import { hashPassword, hashToken, newAccessKeyId, newDomainId, newSecretKey, newToken } from '../identity/secrets.js';

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
    return this.store.accounts.create({ name, domainId: newDomainId(), projectId: newDomainId(), now: this.clock().getTime() });
  }

  async requireAccount(name: string): Promise<Account> {
    const account = await this.store.accounts.findByName(name);
    if (!account) throw new InvalidParameter(`no account named ${name}`);
    return account;
  }

  async createUser(accountName: string, userName: string, role: Role, password: string | null): Promise<User> {
    checkName('user', userName);
    const account = await this.requireAccount(accountName);
    const passwordHash = password === null ? null : await hashPassword(password);
    return this.store.users.create({
      accountId: account.id, name: userName, publicId: newDomainId(), role, passwordHash, now: this.clock().getTime(),
    });
  }

  /** Issues a new token for the user and returns it; only its hash is stored. */
  async createToken(accountName: string, userName: string, ttlMs: number = DEFAULT_TOKEN_TTL_MS): Promise<{ token: string; expiresAt: number }> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new InvalidParameter('token lifetime must be positive');
    const { account, user } = await this.requireUser(accountName, userName);
    const token = newToken();
    const now = this.clock().getTime();
    const expiresAt = now + ttlMs;
    await this.store.tokens.insert({
      tokenHash: hashToken(token), userId: user.id, accountId: account.id, now, expiresAt, scope: 'project', method: 'token',
    });
    return { token, expiresAt };
  }

  /**
   * A token for the platform's operator (delivery-report ingestion). The platform account and its
   * operator user are created on first use; neither can sign in with a password.
   */
  async createOperatorToken(ttlMs: number = DEFAULT_TOKEN_TTL_MS): Promise<{ token: string; expiresAt: number }> {
    const now = this.clock().getTime();
    const account = (await this.store.accounts.findByName(PLATFORM_ACCOUNT))
      ?? (await this.store.accounts.create({ name: PLATFORM_ACCOUNT, domainId: newDomainId(), projectId: newDomainId(), now }));
    const operator = (await this.store.users.find(account.id, OPERATOR_ROLE))
      ?? (await this.store.users.create({ accountId: account.id, name: OPERATOR_ROLE, publicId: newDomainId(), role: OPERATOR_ROLE, passwordHash: null, now }));
    return this.createToken(account.name, operator.name, ttlMs);
  }

  private async requireUser(accountName: string, userName: string): Promise<{ account: Account; user: User }> {
    const account = await this.requireAccount(accountName);
    const user = await this.store.users.find(account.id, userName);
    if (!user) throw new InvalidParameter(`no user named ${userName} in account ${accountName}`);
    return { account, user };
  }

  /**
   * Creates an access key for the user and returns it with its secret; the secret is stored only
   * encrypted under the master key and can never be shown again.
   */
  async createAccessKey(accountName: string, userName: string, keyring: Keyring): Promise<{ accessKey: string; secretKey: string }> {
    const { account, user } = await this.requireUser(accountName, userName);
    const accessKey = newAccessKeyId();
    const secretKey = newSecretKey();
    await this.store.accessKeys.insert({
      accessKey, accountId: account.id, userId: user.id, secretEnc: keyring.encrypt(secretKey, accessKey), now: this.clock().getTime(),
    });
    return { accessKey, secretKey };
  }

  async listAccounts(): Promise<Awaited<ReturnType<Store['accounts']['list']>>> {
    return this.store.accounts.list();
  }

  async listUsers(accountName: string): Promise<Awaited<ReturnType<Store['users']['list']>>> {
    const account = await this.requireAccount(accountName);
    return this.store.users.list(account.id);
  }

  /** Disabled: sign-in, tokens and access keys are refused at once; its tokens are deleted. */
  async setUserStatus(accountName: string, userName: string, status: UserStatus): Promise<void> {
    const { user } = await this.requireUser(accountName, userName);
    await this.store.users.update(user.id, { status });
  }

  /** Deletes the user, its tokens and its access keys. */
  async deleteUser(accountName: string, userName: string): Promise<void> {
    const { user } = await this.requireUser(accountName, userName);
    await this.store.users.delete(user.id);
  }

  /** Sets (or, with null, removes) the user's password. Tokens already issued stay valid. */
  async setPassword(accountName: string, userName: string, password: string | null): Promise<void> {
    const { user } = await this.requireUser(accountName, userName);
    await this.store.users.update(user.id, { passwordHash: password === null ? null : await hashPassword(password) });
  }

  async setRole(accountName: string, userName: string, role: Role): Promise<void> {
    const { user } = await this.requireUser(accountName, userName);
    await this.store.users.update(user.id, { role });
  }

  /** Revokes one token (as issued, not its hash); false when no such token exists. */
  async revokeToken(token: string): Promise<boolean> {
    return (await this.store.tokens.revoke(hashToken(token))) !== undefined;
  }

  /** Revokes every token of the user; returns how many there were. */
  async revokeUserTokens(accountName: string, userName: string): Promise<number> {
    const { user } = await this.requireUser(accountName, userName);
    return this.store.tokens.revokeAllOf(user.id);
  }

  async listAccessKeys(accountName: string): Promise<AccessKeySummary[]> {
    const account = await this.requireAccount(accountName);
    return this.store.accessKeys.list(account.id);
  }

  async setAccessKeyStatus(accountName: string, accessKey: string, status: AccessKeyStatus): Promise<void> {
    const account = await this.requireAccount(accountName);
    if (!(await this.store.accessKeys.setStatus(account.id, accessKey, status))) {
      throw new InvalidParameter(`account ${accountName} has no access key ${accessKey}`);
    }
  }

  async deleteAccessKey(accountName: string, accessKey: string): Promise<void> {
    const account = await this.requireAccount(accountName);
    if (!(await this.store.accessKeys.delete(account.id, accessKey))) {
      throw new InvalidParameter(`account ${accountName} has no access key ${accessKey}`);
    }
  }
}
