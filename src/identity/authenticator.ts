import { Unauthenticated } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Principal } from '../domain/identity.js';
import type { Store } from '../store/store.js';
import { hashToken } from './secrets.js';

/** The request parts an authenticator may look at; the HTTP layer fills it in. */
export interface Credentials {
  /** Header names lower-cased, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Establishes who is calling. Returns undefined when the request carries none of the credentials
 * this authenticator understands (so the next one in a chain may try); throws Unauthenticated when
 * it carries them but they are wrong.
 */
export interface Authenticator {
  authenticate(credentials: Credentials): Promise<Principal | undefined>;
}

/** Same bound as the contract's X-Auth-Token length. */
export const MAX_TOKEN_LENGTH = 2000;

/** Opaque bearer tokens in `X-Auth-Token`, looked up by their SHA-256. */
export class TokenAuthenticator implements Authenticator {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async authenticate({ headers }: Credentials): Promise<Principal | undefined> {
    const header = headers['x-auth-token'];
    if (header === undefined) return undefined;
    if (Array.isArray(header)) throw new Unauthenticated('Incorrect IAM authentication information: X-Auth-Token given more than once');
    if (header.length === 0 || header.length > MAX_TOKEN_LENGTH) {
      throw new Unauthenticated(`Incorrect IAM authentication information: X-Auth-Token must be 1 to ${MAX_TOKEN_LENGTH} characters`);
    }
    const record = await this.store.findToken(hashToken(header));
    if (!record) throw new Unauthenticated('Incorrect IAM authentication information: unknown token');
    if (record.expiresAt <= this.clock().getTime()) {
      throw new Unauthenticated('Incorrect IAM authentication information: token expired');
    }
    return { account: record.account, user: record.user, method: 'token' };
  }
}

/** Tries each authenticator in turn; the first that recognises the credentials decides. */
export class AuthenticatorChain implements Authenticator {
  constructor(private readonly chain: Authenticator[]) {}

  async authenticate(credentials: Credentials): Promise<Principal | undefined> {
    for (const authenticator of this.chain) {
      const principal = await authenticator.authenticate(credentials);
      if (principal) return principal;
    }
    return undefined;
  }
}
