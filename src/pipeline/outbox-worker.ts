import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import type { JobKind, OutboxJob, PayloadOf } from '../domain/jobs.js';

/** Does one job. Returning completes it; throwing retries it later with backoff. */
export type JobHandler<P = unknown> = (job: OutboxJob<P>) => Promise<void>;

/** A job of a group that failed on its own: it is retried, the rest of the group completes. */
export interface JobFailure<P = unknown> {
  job: OutboxJob<P>;
  error: unknown;
}

/**
 * Does several jobs of one kind at once (a batch receipt push, a claim's dispatches). `key` says
 * which claimed jobs travel together. Throwing retries the whole group; returning failures
 * retries only those jobs.
 */
export interface GroupHandler<P = unknown> {
  key(job: OutboxJob<P>): string;
  run(jobs: Array<OutboxJob<P>>): Promise<void | Array<JobFailure<P>>>;
}

/** A handler for every job kind, each typed by the payload its kind carries. */
export type JobHandlers = { [K in JobKind]: JobHandler<PayloadOf[K]> | GroupHandler<PayloadOf[K]> };

export interface OutboxWorkerOptions {
  /** Jobs claimed per round, at most. */
  batchSize: number;
  /** Jobs (or groups) running at once; a slow one holds one slot, not the round. */
  concurrency: number;
  /** How long a claimed job is held; a worker that died releases its jobs after this. */
  leaseMs: number;
  /** Pause between rounds when there was nothing to do (a notify() ends it early). */
  idleMs: number;
  /** First retry delay; doubles per attempt, with jitter, up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** Longest pause between rounds while rounds keep failing. */
const MAX_FAILED_ROUND_PAUSE_MS = 5000;

export const DEFAULT_WORKER_OPTIONS: OutboxWorkerOptions = {
  batchSize: 100,
  concurrency: 32,
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
 * come back) up to the free slots, and runs them without waiting for the slowest: a customer
 * endpoint that hangs holds one slot, not everyone's receipts. stop() waits for what is running,
 * so every claimed job is either done or claimable again.
 */
export class OutboxWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly inflight = new Set<Promise<void>>();
  /** Groups finished so far (drain looks again when one finished during its claim). */
  private finished = 0;
  /** Claims under way (the loop's and drain's): their jobs are not in `inflight` yet. */
  private readonly claims = new Set<Promise<unknown>>();
  /** Jobs done but not yet removed: removed together, one statement for many (see complete()). */
  private done: number[] = [];
  private completing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly handlers: JobHandlers,
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
    await Promise.all(this.inflight);
    await this.flushDone();
  }

  /** New work was enqueued, or a slot came free: start the next round now. */
  notify(): void {
    this.wake?.();
  }

  /**
   * Claims what is due (up to the free slots) and starts it; returns how many jobs it claimed.
   * While work runs it waits for a quarter of the slots to come free, so that one claim (a
   * transaction) takes many jobs rather than one each time a job ends.
   */
  async runOnce(): Promise<number> {
    const free = this.options.concurrency - this.inflight.size;
    if (free <= 0 || (this.inflight.size > 0 && free < Math.ceil(this.options.concurrency / 4))) return 0;
    const now = this.clock().getTime();
    const claim = this.store.outbox.claim(now, Math.min(this.options.batchSize, free), this.options.leaseMs);
    this.claims.add(claim);
    const jobs = await claim.finally(() => this.claims.delete(claim));
    const groups = new Map<string, OutboxJob[]>();
    for (const job of jobs) {
      const handler = this.handlerFor(job.kind);
      const key = handler && typeof handler === 'object' ? `${job.kind}\u0000${handler.key(job)}` : `job\u0000${job.id}`;
      groups.set(key, [...(groups.get(key) ?? []), job]);
    }
    for (const group of groups.values()) {
      const task = this.runGroup(group).finally(() => {
        this.finished += 1;
        this.inflight.delete(task);
        this.notify();
      });
      this.inflight.add(task);
    }
    return jobs.length;
  }

  /** Rounds until nothing is due and nothing runs (tests use it). */
  async drain(): Promise<void> {
    for (;;) {
      const finishedBefore = this.finished;
      const claimed = await this.runOnce();
      // Another claim under way (the running loop's) may hold jobs this one skipped. And a group
      // that finished while this claim ran may have queued jobs due after the claim's "now" (a
      // dispatch scheduling its report): look once more before calling it drained.
      if (claimed === 0 && this.inflight.size === 0 && this.claims.size === 0) {
        if (this.finished !== finishedBefore) continue;
        await this.flushDone();
        return;
      }
      if (claimed === 0) await Promise.race([...this.inflight, ...[...this.claims].map((c) => c.then(() => undefined, () => undefined))]);
    }
  }

  /**
   * Removes done jobs. Jobs that end while a removal runs wait for the next one, which takes all
   * of them in one statement: under load, one commit removes many jobs. A job whose removal is
   * lost (a crash first) comes back after its lease and runs again: at least once, as always.
   */
  private complete(ids: number[]): Promise<void> {
    this.done.push(...ids);
    return this.flushDone();
  }

  private async flushDone(): Promise<void> {
    while (this.completing) await this.completing;
    if (this.done.length === 0) return;
    const ids = this.done;
    this.done = [];
    this.completing = this.store.outbox.complete(ids).finally(() => {
      this.completing = undefined;
    });
    await this.completing;
  }

  /**
   * The handler of a kind, taking the payload as stored: jobs are enqueued typed by kind
   * (OutboxJobInput), so a job's kind says what its payload is. Unknown kinds have none.
   */
  private handlerFor(kind: string): JobHandler | GroupHandler | undefined {
    if (!Object.hasOwn(this.handlers, kind)) return undefined;
    return this.handlers[kind as JobKind] as JobHandler | GroupHandler;
  }

  private async runGroup(jobs: OutboxJob[]): Promise<void> {
    const first = jobs[0] as OutboxJob;
    const handler = this.handlerFor(first.kind);
    let failures: JobFailure[];
    try {
      if (!handler) throw new Error(`no handler for outbox job kind ${first.kind}`);
      if (typeof handler === 'object') failures = (await handler.run(jobs)) ?? [];
      else {
        await handler(first);
        failures = [];
      }
    } catch (error) {
      failures = jobs.map((job) => ({ job, error }));
    }
    const failed = new Set(failures.map((f) => f.job.id));
    const succeeded = jobs.filter((job) => !failed.has(job.id)).map((job) => job.id);
    for (const { job, error } of failures) {
      const message = error instanceof Error ? error.message : String(error);
      const delay = backoffMs(job.attempts, this.options);
      this.log.warn({ job: job.id, kind: job.kind, attempts: job.attempts, retryInMs: delay, err: message }, 'outbox job failed; retrying');
      // If this fails too (database gone), the lease expires and the job comes back anyway.
      await this.store.outbox.retry(job.id, this.clock().getTime() + delay, message).catch(() => {});
    }
    if (succeeded.length > 0) {
      // Not removed (database gone): the lease expires and the jobs run again, at least once.
      await this.complete(succeeded).catch((error: unknown) => {
        this.log.warn({ jobs: succeeded.length, err: error instanceof Error ? error.message : String(error) }, 'done outbox jobs not removed; they will run again');
      });
    }
  }

  private async run(): Promise<void> {
    // Rounds failing in a row (the database is gone): they back off to 5 s and are logged at the
    // first failure, then every tenth, so an outage does not flood the log.
    let failures = 0;
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
        if (failures > 0) this.log.warn({ failedRounds: failures }, 'outbox rounds resumed');
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 10 === 0) this.log.error({ err: error, failedRounds: failures }, 'outbox round failed; retrying');
      }
      if (claimed === 0 && this.running) {
        const ac = new AbortController();
        // New work (the database took a task, so it is back) or stop() ends the pause early.
        this.wake = () => ac.abort();
        const pause = failures > 0 ? Math.min(MAX_FAILED_ROUND_PAUSE_MS, this.options.idleMs * 2 ** failures) : this.options.idleMs;
        await sleep(pause, undefined, { signal: ac.signal }).catch(() => {});
        this.wake = undefined;
      }
    }
  }
}
