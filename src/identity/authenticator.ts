import { createHash } from 'node:crypto';
import { Unauthenticated } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { Principal } from '../domain/identity.js';
import type { Store } from '../store/store.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { Keyring } from './keyring.js';
import { hashToken } from './secrets.js';
import {
  EMPTY_BODY_SHA256, SIGNING_ALGORITHM, canonicalRequest, parseSdkDate, parseSignatureHeader, sign,
  signaturesEqual, stringToSign,
} from './signature.js';

/** The request parts an authenticator may look at; the HTTP layer fills it in. */
export interface Credentials {
  method: string;
  /** The request target as received (path and query, still encoded). */
  url: string;
  /** Header names lower-cased, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, when the request had one. */
  body?: string | Buffer | undefined;
  /** The client address (after trusted proxies). */
  address: string;
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

const PREFIX = 'Incorrect IAM authentication information';
const SIGNATURE_MISMATCH = 'the access key or the signature is wrong';

function single(headers: Credentials['headers'], name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new Unauthenticated(`${PREFIX}: ${name} given more than once`);
  return value;
}

/** Opaque bearer tokens in `X-Auth-Token`, looked up by their SHA-256. */
export class TokenAuthenticator implements Authenticator {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async authenticate({ headers }: Pick<Credentials, 'headers'>): Promise<Principal | undefined> {
    const header = single(headers, 'x-auth-token');
    if (header === undefined) return undefined;
    if (header.length === 0 || header.length > MAX_TOKEN_LENGTH) {
      throw new Unauthenticated(`${PREFIX}: X-Auth-Token must be 1 to ${MAX_TOKEN_LENGTH} characters`);
    }
    const record = await this.store.tokens.find(hashToken(header));
    if (!record) throw new Unauthenticated(`${PREFIX}: unknown token`);
    if (record.expiresAt <= this.clock().getTime()) throw new Unauthenticated(`${PREFIX}: token expired`);
    return { account: record.account, user: record.user, method: 'token', scope: record.scope };
  }
}

/** How far `X-Sdk-Date` may be from the server's clock, either way. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/**
 * Huawei Cloud AK/SK request signatures (`Authorization: SDK-HMAC-SHA256 …`), verified byte for byte
 * as the official SDK cores compute them. The date and the host must be signed; a body must match
 * its hash; the secret key is decrypted from the store only after the cheap checks pass.
 */
export class AkSkAuthenticator implements Authenticator {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly keyring: Keyring,
    private readonly throttle: AuthThrottle,
  ) {}

  async authenticate(credentials: Credentials): Promise<Principal | undefined> {
    const { headers } = credentials;
    const authorization = single(headers, 'authorization');
    if (authorization === undefined || !authorization.trimStart().startsWith(SIGNING_ALGORITHM)) return undefined;
    const parsed = parseSignatureHeader(authorization);
    if (typeof parsed === 'string') throw new Unauthenticated(`${PREFIX}: ${parsed}`);
    if (single(headers, 'x-security-token') !== undefined) {
      throw new Unauthenticated(`${PREFIX}: temporary security credentials (X-Security-Token) are not issued here; sign with a permanent access key`);
    }
    const date = single(headers, 'x-sdk-date');
    if (date === undefined) throw new Unauthenticated(`${PREFIX}: a signed request needs an X-Sdk-Date header`);
    const signedAt = parseSdkDate(date);
    if (signedAt === undefined) throw new Unauthenticated(`${PREFIX}: X-Sdk-Date must look like 20260615T120000Z`);
    if (Math.abs(this.clock().getTime() - signedAt) > MAX_CLOCK_SKEW_MS) {
      throw new Unauthenticated(`${PREFIX}: X-Sdk-Date is more than 15 minutes away from the server's time`);
    }
    for (const required of ['host', 'x-sdk-date']) {
      if (!parsed.signedHeaders.includes(required)) throw new Unauthenticated(`${PREFIX}: SignedHeaders must include ${required}`);
    }

    const attempt = { address: credentials.address, subject: `ak:${parsed.accessKey}` };
    await this.throttle.begin(attempt);
    const fail = async (reason: string): Promise<never> => {
      await this.throttle.failure(attempt);
      throw new Unauthenticated(`${PREFIX}: ${reason}`);
    };

    const key = await this.store.accessKeys.find(parsed.accessKey);
    // One answer for an unknown key, a disabled one and a wrong signature: a caller must not
    // learn which access keys exist.
    if (!key || key.status !== 'active') return fail(SIGNATURE_MISMATCH);
    const secret = this.keyring.decrypt(key.secretEnc, key.accessKey);
    // A secret the master key cannot open is a deployment fault, not the caller's: a 500.
    if (secret === undefined) throw new Error(`the secret of access key ${key.accessKey} cannot be decrypted with the configured master key`);

    const body = credentials.body ?? '';
    const bodyHash = body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(body).digest('hex');
    const declared = single(headers, 'x-sdk-content-sha256');
    // UNSIGNED-PAYLOAD (the SDKs' marker for non-JSON bodies) is accepted only without a body:
    // every body this API reads is covered by the signature.
    if (declared !== undefined && body.length > 0 && declared.toLowerCase() !== bodyHash) {
      return fail('the body does not match X-Sdk-Content-Sha256');
    }
    let canonical: ReturnType<typeof canonicalRequest>;
    try {
      canonical = canonicalRequest({
        method: credentials.method, url: credentials.url, headers, signedHeaders: parsed.signedHeaders,
        payloadHash: declared ?? bodyHash,
      });
    } catch {
      return fail('the query string has malformed percent-encoding');
    }
    if ('missingHeader' in canonical) return fail(`signed header ${canonical.missingHeader} is not in the request`);
    const expected = sign(secret, stringToSign(date, canonical.request));
    if (!signaturesEqual(expected, parsed.signature)) return fail(SIGNATURE_MISMATCH);
    await this.throttle.success(attempt);
    return { account: key.account, user: key.user, method: 'aksk', scope: 'project' };
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
