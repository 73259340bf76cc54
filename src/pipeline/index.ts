import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryReports } from '../service/delivery-reports.js';
import { JOB_KINDS, type OutboxJob, type ReportJobPayload } from '../domain/jobs.js';
import type { Store } from '../store/store.js';
import { DEFAULT_RECEIPT_OPTIONS, receiptHandler, type ReceiptOptions } from './receipts.js';
import type { ChannelAdapter } from './channel.js';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker, type OutboxWorkerOptions } from './outbox-worker.js';
import { KannelChannel, PermanentChannelError, type KannelOptions } from './kannel.js';
import { SimulatorChannel, type GatewayReport, type SimulatorOptions } from './simulator.js';

/** Attempts before a message that no channel accepts is failed with DISPATCH_FAILED (~1 hour of backoff). */
export const MAX_DISPATCH_ATTEMPTS = 10;

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
  const schedule = async (report: GatewayReport, at: number) => {
    await store.outbox.enqueue([{ kind: JOB_KINDS.report, accountId: null, payload: { reports: [report] }, runAt: at }], clock().getTime());
  };
  const channel: ChannelAdapter = options.adapter
    ?? (options.channel === 'kannel' && options.kannel ? new KannelChannel(options.kannel, store) : new SimulatorChannel(options.simulator, clock, schedule));
  const worker = new OutboxWorker(store, clock, {
    [JOB_KINDS.dispatch]: async (job) => {
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
    [JOB_KINDS.receipt]: receiptHandler(store, clock, { allowPrivate: false, ...DEFAULT_RECEIPT_OPTIONS, ...options.receipts }, log, options.metrics),
  }, log, { ...DEFAULT_WORKER_OPTIONS, ...options.worker });
  return { worker, channel };
}
