/** Delivery state of one message. `sending` → `success` | `fail` is the only direction. */
export const SEND_STATUSES = ['sending', 'success', 'fail'] as const;
export type SendStatus = (typeof SEND_STATUSES)[number];

export function isSendStatus(value: unknown): value is SendStatus {
  return typeof value === 'string' && (SEND_STATUSES as readonly string[]).includes(value);
}

/** Field length limits shared by the query contract and the write paths. */
export const LIMITS = {
  msgId: 64,
  taskId: 36,
  tplId: 9,
  smsSign: 18,
  custFlag: 64,
  sendAccount: 64,
  taskName: 255,
  tplName: 255,
  resultCode: 64,
} as const;

/** One message as stored: the eleven response fields plus sms_sign; times in epoch ms. */
export interface SendDetail {
  msgId: string;
  taskId: string | null;
  taskName: string | null;
  tplId: string | null;
  tplName: string | null;
  smsSign: string | null;
  custFlag: string | null;
  sendAccount: string | null;
  sendStatus: SendStatus;
  sendTime: number;
  receiveTime: number | null;
  resultCode: string | null;
}

/** Filters of a send-details query; absent means "no filter". All combine with AND. */
export interface SendDetailsFilter {
  taskId?: string;
  tplId?: string;
  smsSign?: string;
  custFlag?: string;
  /** Inclusive bounds in epoch ms; both set or both absent. */
  sendTimeFrom?: number;
  sendTimeTo?: number;
  /** Extension: only messages in this state. */
  sendStatus?: SendStatus;
  /** Extension: the one message with this msg_id. */
  msgId?: string;
}

/** A validated `GET /v1/aim/send-details` request. */
export interface SendDetailsQuery {
  filter: SendDetailsFilter;
  offset: number;
  limit: number;
}

/** offset + limit beyond this answers an empty page with the true total (contract). */
export const RESULT_WINDOW = 10_000;

/** A page of send details and the exact number of rows matching the filter, from one snapshot. */
export interface SendDetailsPage {
  rows: SendDetail[];
  total: number;
}

/** A stored message as report application and its receipt need it. */
export interface StoredMessage {
  accountId: number;
  msgId: string;
  sendTime: number;
  tplId: string | null;
  status: SendStatus;
  taskId: string | null;
  custFlag: string | null;
  smsSign: string | null;
}
