import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryReports } from '../service/delivery-reports.js';
import { JOB_KINDS, type OutboxJob, type ReportJobPayload } from '../domain/jobs.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RECEIPT_OPTIONS, receiptHandler, templateStatusHandler, type ReceiptOptions } from './receipts.js';
import type { ChannelAdapter, OutboundMessage } from './channel.js';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker, type JobFailure, type OutboxWorkerOptions } from './outbox-worker.js';
import { KannelChannel, PermanentChannelError, type KannelOptions } from './kannel.js';
import { SimulatorChannel, type GatewayReport, type SimulatorOptions } from './simulator.js';

/** Attempts before a message that no channel accepts is failed with DISPATCH_FAILED (~1 hour of backoff). */
export const MAX_DISPATCH_ATTEMPTS = 10;
/** Messages of a claim handed to a channel without `sendMany` at once (each its own request). */
const DISPATCHES_AT_ONCE = 32;

export interface PipelineOptions {
  channel: 'simulator' | 'kannel';
  kannel?: KannelOptions;
  simulator: SimulatorOptions;
  /** Receipt pushes (callbacks); allowPrivate false unless the deployment says so. */
  receipts?: Partial<ReceiptOptions>;
  worker?: Partial<OutboxWorkerOptions>;
  metrics?: Metrics;
  /** A channel built elsewhere, instead of the one `channel` names. */
  adapter?: ChannelAdapter;
}

export interface Pipeline {
  worker: OutboxWorker;
  channel: ChannelAdapter;
}

/** The outbox worker with its handlers: dispatch through the channel, scheduled reports. */
export function createPipeline(
  store: Store, clock: Clock, reports: DeliveryReports, log: Pick<FastifyBaseLogger, 'warn' | 'error'>, options: PipelineOptions,
): Pipeline {
  const schedule = async (reports: GatewayReport[], at: number) => {
    await store.outbox.enqueue([{ kind: JOB_KINDS.report, accountId: null, payload: { reports }, runAt: at }], clock().getTime());
  };
  const channel: ChannelAdapter = options.adapter
    ?? (options.channel === 'kannel' && options.kannel ? new KannelChannel(options.kannel, store) : new SimulatorChannel(options.simulator, clock, schedule));
  const dispatch = async (job: OutboxJob<OutboundMessage>) => {
    const message = job.payload;
    try {
      await channel.send(message);
    } catch (error) {
      if (error instanceof PermanentChannelError) {
        log.warn({ msgId: message.msgId, err: error.message }, 'message cannot be sent; it fails');
        await reports.dispatchFailed(message.msgId, error.resultCode);
        return;
      }
      if (job.attempts < MAX_DISPATCH_ATTEMPTS) throw error;
      log.error({ msgId: message.msgId, attempts: job.attempts, err: error }, 'dispatch gave up; the message fails');
      await reports.dispatchFailed(message.msgId);
    }
  };
  const receiptOptions: ReceiptOptions = { allowPrivate: false, ...DEFAULT_RECEIPT_OPTIONS, ...options.receipts };
  const worker = new OutboxWorker(store, clock, {
    // A claim's dispatches go together: handed over at once where the channel can (the simulator
    // schedules their reports in one write), otherwise each on its own, at once, and only the
    // messages that failed are retried.
    [JOB_KINDS.dispatch]: {
      key: () => 'due',
      run: async (jobs: Array<OutboxJob<OutboundMessage>>) => {
        if (channel.sendMany && jobs.length > 1) {
          try {
            await channel.sendMany(jobs.map((job) => job.payload));
            return [];
          } catch {
            // Each on its own below: a message the channel refuses for good fails alone.
          }
        }
        const failures: Array<JobFailure<OutboundMessage>> = [];
        for (let i = 0; i < jobs.length; i += DISPATCHES_AT_ONCE) {
          await Promise.all(jobs.slice(i, i + DISPATCHES_AT_ONCE).map(async (job) => {
            try {
              await dispatch(job);
            } catch (error) {
              failures.push({ job, error });
            }
          }));
        }
        return failures;
      },
    },
    // Scheduled reports due together are ingested together: one transaction (one commit) for a
    // claim's worth instead of one each. Ingesting is idempotent, so a retried group changes
    // nothing that was applied.
    [JOB_KINDS.report]: {
      key: () => 'due',
      run: async (jobs: Array<OutboxJob<ReportJobPayload>>) => {
        await reports.ingest(jobs.flatMap((job) => job.payload.reports));
      },
    },
    [JOB_KINDS.receipt]: receiptHandler(store, clock, receiptOptions, log, options.metrics),
    [JOB_KINDS.templateStatus]: templateStatusHandler(store, clock, receiptOptions, log, options.metrics),
  }, log, { ...DEFAULT_WORKER_OPTIONS, ...options.worker });
  return { worker, channel };
}
