import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** One budget: `points` takes per `durationSeconds`, refused for `blockSeconds` once spent. */
export interface LimiterSpec {
  /** Names the budget; keys of different budgets never meet. Letters, digits and `-` only. */
  name: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

/**
 * Where request limits and the brute-force throttle keep their counts. `memory` is one process's
 * own; `sqlite`, `postgres` and `redis` are shared by every process and instance using the same
 * database (or Redis server), so a limit is the account's or the address's, not per process.
 */
export interface Limiters {
  readonly kind: 'memory' | 'sqlite' | 'postgres' | 'redis';
  limiter(spec: LimiterSpec): RateLimiterAbstract;
  close(): Promise<void>;
}

const LIMITER_NAME = /^[a-z0-9-]+$/;

/** Checks a budget's name (it becomes part of every key the store keeps). */
export function checkLimiterSpec(spec: LimiterSpec): void {
  if (!LIMITER_NAME.test(spec.name)) throw new Error(`invalid limiter name: ${JSON.stringify(spec.name)}`);
  if (!(Number.isInteger(spec.points) && spec.points > 0)) throw new Error(`limiter ${spec.name}: points must be a positive whole number`);
}

/** A budget in rate-limiter-flexible's terms (every store takes these). */
export function budget(spec: LimiterSpec): { keyPrefix: string; points: number; duration: number; blockDuration: number } {
  return { keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds, blockDuration: spec.blockSeconds ?? 0 };
}

/** Limits kept in this process's memory: exact for one process, per process for several. */
export function memoryLimiters(): Limiters {
  return {
    kind: 'memory',
    limiter: (spec) => {
      checkLimiterSpec(spec);
      return new RateLimiterMemory(budget(spec));
    },
    close: async () => {},
  };
}
