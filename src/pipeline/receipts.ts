import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../domain/clock.js';
import { outboundFailure, outboundPost, type OutboundPost, type Resolver } from '../service/outbound.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import type { OutboxJob, TemplateStatusPayload } from '../domain/jobs.js';
import { receiptEnvelope, type ReceiptPayload } from '../domain/receipt.js';
import type { GroupHandler } from './outbox-worker.js';

export interface ReceiptOptions {
  allowPrivate: boolean;
  /** A push that takes longer counts as failed (and is retried). */
  timeoutMs: number;
  /** Retried with backoff at least this long, then dropped with an error in the log. */
  giveUpAfterMs: number;
  /** How receipt hosts are resolved (tests stub it); the system resolver by default. */
  resolve?: Resolver;
  /** How pushes are sent; outboundPost (guarded unless allowPrivate) by default. */
  post?: OutboundPost;
}

export const DEFAULT_RECEIPT_OPTIONS: Omit<ReceiptOptions, 'allowPrivate'> = {
  timeoutMs: 5000,
  giveUpAfterMs: 72 * 3600_000,
};

/** POSTs `body` as JSON; anything but a 2xx answer in time throws (the outbox retries it). */
async function push(post: OutboundPost, url: string, body: unknown, timeoutMs: number, what: string, metrics?: Pick<Metrics, 'receipts'>): Promise<void> {
  let status: number;
  try {
    status = await post(url, JSON.stringify(body), { headers: { 'content-type': 'application/json', 'user-agent': 'aimledger-receipts' }, timeoutMs });
  } catch (error) {
    metrics?.receipts.inc({ outcome: 'failure' });
    throw new Error(`${what} not pushed: ${outboundFailure(error)}`);
  }
  if (status < 200 || status >= 300) {
    metrics?.receipts.inc({ outcome: 'failure' });
    throw new Error(`${what} URL answered ${status}`);
  }
  metrics?.receipts.inc({ outcome: 'success' });
}

/**
 * Pushes `sms` receipts to the account's registered URL as KooMessage does: the envelope
 * `{request_id, domain_id, callback_type: "sms", body, retry}` where `body` is a JSON string — one
 * SmsCallback for url_type 0, an array of them (up to a claim's worth, 100) for url_type 2.
 * At least once: a timeout or a non-2xx answer is retried with backoff, `retry: true` on re-sends.
 */
export function receiptHandler(
  store: Store, clock: Clock, options: ReceiptOptions, log: Pick<FastifyBaseLogger, 'warn' | 'error'>, metrics?: Pick<Metrics, 'receipts' | 'receiptLag'>,
): GroupHandler<ReceiptPayload> {
  // Unless private addresses are allowed, every connection goes only to a public address checked
  // at connection time (see outbound.ts): no separate check that a re-pointed name could pass.
  const post = options.post ?? outboundPost({ allowPrivate: options.allowPrivate, ...(options.resolve ? { resolve: options.resolve } : {}) });
  return {
    key: (job) => {
      const payload = job.payload;
      return payload.urlType === 2 ? `batch:${job.accountId}:${payload.callbackType ?? 'sms'}` : `single:${job.id}`;
    },
    async run(jobs: Array<OutboxJob<ReceiptPayload>>) {
      const first = jobs[0] as OutboxJob<ReceiptPayload>;
      const payload = first.payload;
      const receipts = jobs.map((j) => j.payload.receipt);
      const msgIds = receipts.map((r) => ('msg_id' in r ? r.msg_id : r.aim_code));
      const oldest = Math.min(...jobs.map((j) => j.createdAt));
      if (clock().getTime() - oldest > options.giveUpAfterMs) {
        log.error({ accountId: first.accountId, msgIds }, 'receipts undeliverable for the whole retry period; dropped');
        return;
      }
      const callback = await store.callbacks.find(first.accountId as number, payload.urlType);
      if (!callback) {
        log.warn({ accountId: first.accountId, msgIds }, 'receipt URL was removed; receipts dropped');
        return;
      }
      const envelope = receiptEnvelope(randomUUID(), payload.urlType, payload.domainId, receipts, jobs.some((j) => j.attempts > 1), payload.callbackType ?? 'sms');
      await push(post, callback.callbackUrl, envelope, options.timeoutMs, 'receipt', metrics);
      for (const job of jobs) metrics?.receiptLag.observe(Math.max(0, clock().getTime() - job.createdAt) / 1000);
    },
  };
}

/**
 * Pushes template-status receipts (url_type 1) as KooMessage does: the status itself as plain
 * JSON `{tpl_id, tpl_state, audit_state, audit_desc, factory_info}`, one push per change, at least
 * once (retried with backoff like the sms receipts).
 */
export function templateStatusHandler(
  store: Store, clock: Clock, options: ReceiptOptions, log: Pick<FastifyBaseLogger, 'warn' | 'error'>, metrics?: Pick<Metrics, 'receipts'>,
): GroupHandler<TemplateStatusPayload> {
  const post = options.post ?? outboundPost({ allowPrivate: options.allowPrivate, ...(options.resolve ? { resolve: options.resolve } : {}) });
  return {
    key: (job) => `template:${job.id}`,
    async run(jobs: Array<OutboxJob<TemplateStatusPayload>>) {
      const job = jobs[0] as OutboxJob<TemplateStatusPayload>;
      const { receipt } = job.payload;
      if (clock().getTime() - job.createdAt > options.giveUpAfterMs) {
        log.error({ accountId: job.accountId, tplId: receipt.tpl_id }, 'template-status receipt undeliverable for the whole retry period; dropped');
        return;
      }
      const callback = await store.callbacks.find(job.accountId as number, 1);
      if (!callback) {
        log.warn({ accountId: job.accountId, tplId: receipt.tpl_id }, 'template-status URL was removed; receipt dropped');
        return;
      }
      await push(post, callback.callbackUrl, receipt, options.timeoutMs, 'template-status receipt', metrics);
    },
  };
}
