import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

type Done = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * A store for @fastify/rate-limit that counts in a rate-limiter-flexible budget (memory, the
 * database or Redis), so the per-account limit is one count for every process and instance.
 * Each request adds one; the plugin compares the count with its `max` and sets the
 * X-RateLimit-* headers from what is returned.
 *
 * Requests of one account that arrive in the same turn of the event loop are counted together:
 * one upsert adds all of them, and each gets its own place in the count (the last gets the
 * total). A busy account then costs one round trip per turn instead of one per request, and the
 * count stays exact.
 */
export function limiterStore(limiter: RateLimiterAbstract): FastifyRateLimitStoreCtor {
  const pending = new Map<string, Done[]>();

  const flush = (key: string) => {
    const waiting = pending.get(key) ?? [];
    pending.delete(key);
    limiter.penalty(key, waiting.length).then(
      (res) => {
        const ttl = Math.max(0, res.msBeforeNext);
        waiting.forEach((done, i) => done(null, { current: res.consumedPoints - (waiting.length - 1 - i), ttl }));
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const done of waiting) done(failure);
      },
    );
  };

  return class LimiterStore implements FastifyRateLimitStore {
    incr(key: string, done: Done): void {
      const waiting = pending.get(key);
      if (waiting) {
        waiting.push(done);
        return;
      }
      pending.set(key, [done]);
      setImmediate(flush, key);
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
