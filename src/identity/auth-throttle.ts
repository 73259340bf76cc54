import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TooManyRequests } from '../domain/errors.js';

/** Limits for failed sign-ins and signatures. Failures count; successes cost nothing. */
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
  /** What is being guessed at: `user:<domain>/<name>` or `ak:<access key>`. */
  subject: string;
}

/**
 * Slows, then refuses, repeated failed sign-ins and signatures. A subject is refused only from the
 * addresses that failed for it, so an attacker cannot lock a user out of their own network; an
 * address that fails for many subjects is refused as a whole. In-process memory: one server
 * process is one limit.
 */
export class AuthThrottle {
  private readonly bySubjectAndAddress: RateLimiterMemory;
  private readonly byAddress: RateLimiterMemory;

  constructor(private readonly options: AuthThrottleOptions = DEFAULT_AUTH_THROTTLE) {
    const window = { duration: options.windowSeconds, blockDuration: options.windowSeconds };
    this.bySubjectAndAddress = new RateLimiterMemory({ points: options.perSubjectAndAddress, ...window });
    this.byAddress = new RateLimiterMemory({ points: options.perAddress, ...window });
  }

  private static pairKey(attempt: Attempt): string {
    return `${attempt.subject}\u0000${attempt.address}`;
  }

  /** Throws TooManyRequests when the attempt is refused; call before checking credentials. */
  async check(attempt: Attempt): Promise<void> {
    const [pair, address] = await Promise.all([
      this.bySubjectAndAddress.get(AuthThrottle.pairKey(attempt)),
      this.byAddress.get(attempt.address),
    ]);
    const refusals = [
      pair && pair.consumedPoints >= this.options.perSubjectAndAddress ? pair.msBeforeNext : 0,
      address && address.consumedPoints >= this.options.perAddress ? address.msBeforeNext : 0,
    ];
    const waitMs = Math.max(...refusals);
    if (waitMs > 0) {
      throw new TooManyRequests('too many failed authentication attempts; retry later', Math.max(1, Math.ceil(waitMs / 1000)));
    }
  }

  /** Records a failure and waits a little longer each time past the free ones. */
  async failure(attempt: Attempt): Promise<void> {
    const [pair] = await Promise.all([
      this.bySubjectAndAddress.penalty(AuthThrottle.pairKey(attempt), 1),
      this.byAddress.penalty(attempt.address, 1),
    ]);
    const over = pair.consumedPoints - this.options.freeFailures;
    if (over > 0) await sleep(Math.min(this.options.maxDelayMs, 100 * 2 ** (over - 1)));
  }

  /** A success forgets the subject's failures from that address (not the address's own count). */
  async success(attempt: Attempt): Promise<void> {
    await this.bySubjectAndAddress.delete(AuthThrottle.pairKey(attempt));
  }
}
