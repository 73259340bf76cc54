import type { Clock } from '../domain/clock.js';
import { NotFound, Unauthenticated } from '../domain/errors.js';
import { REGION, type Account, type TokenScope } from '../domain/identity.js';
import type { AuthThrottle } from '../identity/auth-throttle.js';
import { hashPassword, hashToken, newToken, verifyPassword } from '../identity/secrets.js';
import type { Store } from '../store/store.js';
import type { TokenRecord } from '../domain/identity.js';
import { DEFAULT_TOKEN_TTL_MS } from './identity-admin.js';

/** The password method of an IAM token request, already shape-checked by the route schema. */
export interface PasswordLogin {
  userName: string;
  password: string;
  domain: { id: string } | { name: string };
  /** Absent: the account's project, the scope KooMessage needs. */
  scope?: { project: { id: string } | { name: string } } | { domain: { id: string } | { name: string } };
}

export const WRONG_CREDENTIALS = 'The username or password is wrong.';

/**
 * Hashed once, on first use, so an unknown user costs the same scrypt work as a wrong password
 * and response times do not tell which part was wrong.
 */
let decoyHash: Promise<string> | undefined;

/** IAM-compatible token issue and validation (`POST` / `GET /v3/auth/tokens`). */
export class IamService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly throttle: AuthThrottle,
    private readonly tokenTtlMs: number = DEFAULT_TOKEN_TTL_MS,
  ) {}

  /** Checks the password and issues a token; 401 without saying which part was wrong, 429 when throttled. */
  async issueToken(login: PasswordLogin, address: string): Promise<{ token: string; record: TokenRecord }> {
    const account = 'id' in login.domain
      ? await this.store.accounts.findByDomainId(login.domain.id)
      : await this.store.accounts.findByName(login.domain.name);
    // One budget per user however the request names the account (domain.id or domain.name).
    const domainKey = account ? String(account.id) : 'id' in login.domain ? `unknown-id:${login.domain.id}` : `unknown-name:${login.domain.name}`;
    const attempt = { address, subject: `user:${domainKey}/${login.userName}` };
    await this.throttle.begin(attempt);

    const found = account ? await this.store.users.findCredentials(account.id, login.userName) : undefined;
    const valid = await verifyPassword(login.password, found?.passwordHash ?? await (decoyHash ??= hashPassword('aimledger decoy password')));
    if (!account || !found || found.passwordHash === null || !valid) {
      await this.throttle.failure(attempt);
      throw new Unauthenticated(WRONG_CREDENTIALS);
    }
    await this.throttle.success(attempt);

    const scope = scopeFor(account, login.scope);
    const token = newToken();
    const now = this.clock().getTime();
    const expiresAt = now + this.tokenTtlMs;
    await this.store.tokens.insert({
      tokenHash: hashToken(token), userId: found.user.id, accountId: account.id, now, expiresAt, scope, method: 'password',
    });
    return { token, record: { account, user: found.user, issuedAt: now, expiresAt, scope, method: 'password' } };
  }

  /** A token of the caller's own account that has not expired; 404 for anything else, as IAM answers. */
  async validateToken(subjectToken: string, callerAccountId: number): Promise<TokenRecord> {
    const record = subjectToken.length > 0 && subjectToken.length <= 2000
      ? await this.store.tokens.find(hashToken(subjectToken))
      : undefined;
    if (!record || record.account.id !== callerAccountId || record.expiresAt <= this.clock().getTime()) {
      throw new NotFound('The token in X-Subject-Token could not be found, has expired or belongs to another account.');
    }
    return record;
  }
}

/** The scope to issue: the account's own project or domain, by id or name; anything else is refused. */
function scopeFor(account: Account, requested: PasswordLogin['scope']): TokenScope {
  if (!requested) return 'project';
  if ('project' in requested) {
    const p = requested.project;
    if ('id' in p ? p.id === account.projectId : p.name === REGION) return 'project';
    throw new Unauthenticated(`The requested project is not available to this user: the account's project is ${REGION} (id ${account.projectId}).`);
  }
  const d = requested.domain;
  if ('id' in d ? d.id === account.domainId : d.name === account.name) return 'domain';
  throw new Unauthenticated('The requested domain is not the user\'s own domain.');
}
