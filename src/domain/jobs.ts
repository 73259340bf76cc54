import type { TemplateStatusReceipt } from './aim-template.js';
import type { ReceiptPayload } from './receipt.js';

/** The kinds of outbox job, each with the payload it carries. */
export const JOB_KINDS = {
  /** Hand one message to the SMS channel (`DispatchPayload`). */
  dispatch: 'dispatch',
  /** Ingest delivery reports a channel scheduled for later (`ReportJobPayload`). */
  report: 'report',
  /** Push one receipt to the account's URL (`ReceiptPayload`). */
  receipt: 'receipt',
  /** Push a template's status to the account's url_type 1 URL (`TemplateStatusPayload`). */
  templateStatus: 'template-status',
} as const;

export type JobKind = (typeof JOB_KINDS)[keyof typeof JOB_KINDS];

/** One message as a channel sends it. */
export interface OutboundMessage {
  msgId: string;
  /** The sending account (its SMS templates give the text). */
  accountId: number;
  /** The recipient's phone number. */
  phone: string;
  smsSign: string;
  channelNumber: string;
  smsTplId: string;
  smsAppName: string;
  /** The AIM template the message links to. */
  tplId: string;
  smsParams: string[] | null;
  /** The recipient's link (`<domain>/<aim_code>`), where the SMS template marks it; absent in jobs queued before links. */
  aimUrl?: string | null;
}

/** A dispatch job's payload: everything the channel needs, so dispatch reads nothing else. */
export type DispatchPayload = OutboundMessage;

/** Reports in the delivery-report wire shape, ingested when the job runs. */
export interface ReportJobPayload {
  reports: unknown[];
}

/** A template-status receipt, as it was when the state changed. */
export interface TemplateStatusPayload {
  receipt: TemplateStatusReceipt;
}

export interface PayloadOf {
  dispatch: DispatchPayload;
  report: ReportJobPayload;
  receipt: ReceiptPayload;
  'template-status': TemplateStatusPayload;
}

/** A job to store: its kind decides its payload. */
export type OutboxJobInput = {
  [K in JobKind]: { kind: K; accountId: number | null; payload: PayloadOf[K]; runAt: number };
}[JobKind];

/** A claimed job. Its payload is the one its kind carries (`PayloadOf`). */
export interface OutboxJob<P = unknown> {
  id: number;
  kind: string;
  accountId: number | null;
  payload: P;
  /** Including this claim. */
  attempts: number;
  createdAt: number;
}
