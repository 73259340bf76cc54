import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { TooManyRequests } from '../domain/errors.js';
import { memoryLimiters, type Limiters } from '../domain/limits.js';

/** Limits for sign-ins and signatures. Every attempt takes from the budget; a success gives it back. */
export interface AuthThrottleOptions {
  /** Failures of one subject (user or access key) from one address before it is refused (429). */
  perSubjectAndAddress: number;
  /** Failures from one address, whatever the subject, before the address is refused. */
  perAddress: number;
  /** How long failures are remembered, and how long a refusal lasts, in seconds. */
  windowSeconds: number;
  /** Failures of one subject+address answered at normal speed; later ones are slowed. */
  freeFailures: number;
  /** The longest a failed attempt is delayed, in milliseconds. */
  maxDelayMs: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = {
  perSubjectAndAddress: 10,
  perAddress: 100,
  windowSeconds: 15 * 60,
  freeFailures: 3,
  maxDelayMs: 2000,
};

export interface Attempt {
  /** The client address. */
  address: string;
  /**
   * What is being guessed at: `user:<account id>/<name>` (the account resolved, however the
   * request named it) or `ak:<access key>`.
   */
  subject: string;
}

/**
 * Slows, then refuses, repeated failed sign-ins and signatures. A subject is refused only from the
 * addresses that failed for it, so an attacker cannot lock a user out of their own network; an
 * address that fails for many subjects is refused as a whole. The counts live where `limiters`
 * keeps them: with the shared ones (the server's), every process and instance takes from the
 * same budgets.
 */
export class AuthThrottle {
  private readonly bySubjectAndAddress: RateLimiterAbstract;
  private readonly byAddress: RateLimiterAbstract;

  constructor(private readonly options: AuthThrottleOptions = DEFAULT_AUTH_THROTTLE, limiters: Limiters = memoryLimiters()) {
    const window = { durationSeconds: options.windowSeconds, blockSeconds: options.windowSeconds };
    this.bySubjectAndAddress = limiters.limiter({ name: 'auth-subject', points: options.perSubjectAndAddress, ...window });
    this.byAddress = limiters.limiter({ name: 'auth-address', points: options.perAddress, ...window });
  }

  /**
   * The subject and the address in one key the shared stores can hold (PostgreSQL text refuses
   * NUL; keys are at most 255 characters): readable when short, a digest of both when long.
   */
  private static pairKey(attempt: Attempt): string {
    const key = `${attempt.subject}|${attempt.address}`;
    return key.length <= 200 ? key : `sha256:${createHash('sha256').update(attempt.subject).update('\u0000').update(attempt.address).digest('hex')}`;
  }

  /**
   * Takes one attempt from the subject's and the address's budgets before the credentials are
   * checked, or throws TooManyRequests when either is spent. Taking before checking is what makes
   * the limit hold against parallel guesses: counting only after a failed check let 40 concurrent
   * wrong passwords all be verified against a limit of 10.
   */
  async begin(attempt: Attempt): Promise<void> {
    const pairKey = AuthThrottle.pairKey(attempt);
    const results = await Promise.allSettled([
      this.bySubjectAndAddress.consume(pairKey, 1),
      this.byAddress.consume(attempt.address, 1),
    ]);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused.length === 0) return;
    // Give back what was taken from the budget that still had room: a refusal is not a guess.
    if (results[0].status === 'fulfilled') await this.bySubjectAndAddress.reward(pairKey, 1);
    if (results[1].status === 'fulfilled') await this.byAddress.reward(attempt.address, 1);
    const waitMs = Math.max(...refused.map((r) => (r.reason instanceof RateLimiterRes ? r.reason.msBeforeNext : 1000)));
    if (refused.some((r) => !(r.reason instanceof RateLimiterRes))) throw refused[0]?.reason;
    throw new TooManyRequests('too many failed authentication attempts; retry later', Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** After a failed check: waits a little longer each time past the free failures. */
  async failure(attempt: Attempt): Promise<void> {
    const pair = await this.bySubjectAndAddress.get(AuthThrottle.pairKey(attempt));
    const over = (pair?.consumedPoints ?? 0) - this.options.freeFailures;
    if (over > 0) await sleep(Math.min(this.options.maxDelayMs, 100 * 2 ** (over - 1)));
  }

  /**
   * After a successful check: the attempt is refunded to the address, and the subject's failures
   * from that address are forgotten.
   */
  async success(attempt: Attempt): Promise<void> {
    await Promise.all([
      this.bySubjectAndAddress.delete(AuthThrottle.pairKey(attempt)),
      this.byAddress.reward(attempt.address, 1),
    ]);
  }
}
