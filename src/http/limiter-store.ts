import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * A store for @fastify/rate-limit that counts in a rate-limiter-flexible budget (memory, the
 * database or Redis), so the per-account limit is one count for every process and instance.
 * Each request adds one; the plugin compares the count with its `max` and sets the
 * X-RateLimit-* headers from what is returned.
 */
export function limiterStore(limiter: RateLimiterAbstract): FastifyRateLimitStoreCtor {
  return class LimiterStore implements FastifyRateLimitStore {
    incr(key: string, done: Parameters<FastifyRateLimitStore['incr']>[1]): void {
      limiter.penalty(key, 1).then(
        (res) => done(null, { current: res.consumedPoints, ttl: Math.max(0, res.msBeforeNext) }),
        (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
