import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryReports } from '../service/delivery-reports.js';
import { DISPATCH_JOB, type DispatchPayload } from '../service/send-tasks.js';
import { RECEIPT_JOB, type Store } from '../store/store.js';
import { DEFAULT_RECEIPT_OPTIONS, receiptHandler, type ReceiptOptions } from './receipts.js';
import type { ChannelAdapter } from './channel.js';
import { DEFAULT_WORKER_OPTIONS, OutboxWorker, type OutboxWorkerOptions } from './outbox-worker.js';
import { KannelChannel, PermanentChannelError, type KannelOptions } from './kannel.js';
import { SimulatorChannel, type GatewayReport, type SimulatorOptions } from './simulator.js';

/** Reports a channel scheduled for later (the simulator's), run through the ingestion path. */
export const REPORT_JOB = 'report';

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
    await store.enqueue([{ kind: REPORT_JOB, accountId: null, payload: { reports: [report] }, runAt: at }], clock().getTime());
  };
  const channel: ChannelAdapter = options.adapter
    ?? (options.channel === 'kannel' && options.kannel ? new KannelChannel(options.kannel, store) : new SimulatorChannel(options.simulator, clock, schedule));
  const worker = new OutboxWorker(store, clock, {
    [DISPATCH_JOB]: async (job) => {
      const message = job.payload as DispatchPayload;
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
    [REPORT_JOB]: async (job) => {
      await reports.ingest((job.payload as { reports: unknown[] }).reports);
    },
    [RECEIPT_JOB]: receiptHandler(store, clock, { allowPrivate: false, ...DEFAULT_RECEIPT_OPTIONS, ...options.receipts }, log, options.metrics),
  }, log, { ...DEFAULT_WORKER_OPTIONS, ...options.worker });
  return { worker, channel };
}
