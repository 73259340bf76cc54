import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { OutboxJob, Store } from '../store/store.js';

/** Does one job. Returning completes it; throwing retries it later with backoff. */
export type JobHandler = (job: OutboxJob) => Promise<void>;

export interface OutboxWorkerOptions {
  /** Jobs claimed per round. */
  batchSize: number;
  /** How long a claimed job is held; a worker that died releases its jobs after this. */
  leaseMs: number;
  /** Pause between rounds when there was nothing to do (a notify() ends it early). */
  idleMs: number;
  /** First retry delay; doubles per attempt, with jitter, up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_WORKER_OPTIONS: OutboxWorkerOptions = {
  batchSize: 100,
  leaseMs: 10_000,
  idleMs: 200,
  baseBackoffMs: 1000,
  maxBackoffMs: 10 * 60_000,
};

/** Exponential backoff with "equal jitter": half fixed, half random. */
export function backoffMs(attempts: number, options: Pick<OutboxWorkerOptions, 'baseBackoffMs' | 'maxBackoffMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxBackoffMs, options.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs outbox jobs at least once. Each round claims due jobs (a lease, so a crashed worker's jobs
 * come back), runs them concurrently, and completes or reschedules each. stop() lets the current
 * round finish, so every claimed job is either done or claimable again.
 */
export class OutboxWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly handlers: Record<string, JobHandler>,
    private readonly log: Pick<FastifyBaseLogger, 'warn' | 'error'>,
    private readonly options: OutboxWorkerOptions = DEFAULT_WORKER_OPTIONS,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** New work was enqueued: start the next round now. */
  notify(): void {
    this.wake?.();
  }

  /** One round; returns how many jobs it claimed. */
  async runOnce(): Promise<number> {
    const now = this.clock().getTime();
    const jobs = await this.store.claimJobs(now, this.options.batchSize, this.options.leaseMs);
    await Promise.all(jobs.map((job) => this.runJob(job)));
    return jobs.length;
  }

  /** Rounds until nothing is due (tests and shutdown use it). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0) { /* keep going */ }
  }

  private async runJob(job: OutboxJob): Promise<void> {
    const handler = this.handlers[job.kind];
    try {
      if (!handler) throw new Error(`no handler for outbox job kind ${job.kind}`);
      await handler(job);
      await this.store.completeJob(job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const delay = backoffMs(job.attempts, this.options);
      this.log.warn({ job: job.id, kind: job.kind, attempts: job.attempts, retryInMs: delay, err: message }, 'outbox job failed; retrying');
      // If this fails too (database gone), the lease expires and the job comes back anyway.
      await this.store.retryJob(job.id, this.clock().getTime() + delay, message).catch(() => {});
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.log.error({ err: error }, 'outbox round failed; retrying');
      }
      if (claimed === 0 && this.running) {
        const ac = new AbortController();
        this.wake = () => ac.abort();
        await sleep(this.options.idleMs, undefined, { signal: ac.signal }).catch(() => {});
        this.wake = undefined;
      }
    }
  }
}
