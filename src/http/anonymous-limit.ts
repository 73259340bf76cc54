import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyRequests, Unauthenticated } from '../domain/errors.js';
import type { Authenticator, Credentials } from '../identity/authenticator.js';
import type { Principal } from '../domain/identity.js';
import { memoryLimiters, type Limiters } from '../domain/limits.js';

/**
 * Paths that never count: load-balancer probes, and Kannel's delivery reports (a gateway posts
 * them from one address at the message rate; they carry a secret of their own).
 */
const EXEMPT = new Set(['/healthz', '/readyz', '/v1/kannel/dlr']);

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A request carries credentials when it has a token or a signature header. */
function hasCredentials(request: FastifyRequest): boolean {
  return request.headers['x-auth-token'] !== undefined || request.headers.authorization !== undefined;
}

/**
 * A per-address budget for requests that carry no credentials or fail authentication. Per-account
 * limits only start once a caller is known, so without this an anonymous client could send
 * requests (each one an authentication attempt, a body parse, a log line) as fast as it liked.
 * Counted where `limiters` keeps counts (the server's are shared by every process and instance).
 */
export class AnonymousLimit {
  private readonly limiter: RateLimiterAbstract;

  constructor(readonly perMinute: number, limiters: Limiters = memoryLimiters()) {
    this.limiter = limiters.limiter({ name: 'anonymous', points: perMinute, durationSeconds: 60 });
  }

  /** Takes one request from the address's budget; throws 429 (with Retry-After) once it is spent. */
  async take(address: string): Promise<void> {
    try {
      await this.limiter.consume(address, 1);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new TooManyRequests(`too many unauthenticated requests from this address (limit ${this.perMinute} a minute); retry in ${seconds} s`, seconds);
    }
  }

  /** Counts every request without credentials before any work is done on it. */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      if (hasCredentials(request) || EXEMPT.has(pathOf(request.url))) return;
      await this.take(request.ip);
    });
  }

  /**
   * Wraps an authenticator so that credentials that fail count against the address too; past
   * the budget a failure answers 429 instead of 401. Valid credentials never count.
   */
  guard(inner: Authenticator): Authenticator {
    return {
      authenticate: async (credentials: Credentials): Promise<Principal | undefined> => {
        try {
          return await inner.authenticate(credentials);
        } catch (error) {
          if (error instanceof Unauthenticated) await this.take(credentials.address);
          throw error;
        }
      },
    };
  }
}
