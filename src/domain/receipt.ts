import type { DeliveryReport } from './delivery-report.js';
import type { StoredMessage } from './send-detail.js';
import type { ShortChainReceipt } from './link.js';
import { formatContractTime } from './time.js';

/** KooMessage's SmsCallback: the receipt of one message that reached a final status. */
export interface SmsReceipt {
  task_id: string | null;
  cust_flag: string | null;
  msg_id: string;
  tpl_id: string | null;
  sms_sign: string | null;
  aim_code: string | null;
  aim_url: string | null;
  send_time: string;
  receive_time: string;
  /** The carrier's status word. */
  send_status: string;
  send_status_desc: string;
  total: number;
  sequence: number;
}

/** What a receipt job carries, from the moment the status became final (or the link resolved) to the push. */
export interface ReceiptPayload {
  urlType: number;
  domainId: string;
  /** `sms` (a message's final status) or `shortchain` (a link resolved); sms when absent. */
  callbackType?: CallbackType;
  receipt: SmsReceipt | ShortChainReceipt;
}

export type CallbackType = 'sms' | 'shortchain';

/** The url_types whose URLs get message receipts: 0 one push per message, 2 pushes in batches. */
export const RECEIPT_URL_TYPES = [0, 2] as const;

/** Batch receipts (url_type 2) wait this long, so one push carries what is ready within a second. */
export const BATCH_GATHER_MS = 1000;

/** Most receipts one batch push carries (a claim's worth). */
export const MAX_RECEIPTS_PER_PUSH = 100;

/** The receipt of a message that just reached `status` through `report`, with the link it carries. */
export function smsReceipt(message: StoredMessage, report: DeliveryReport, status: 'success' | 'fail', link: { aimCode: string; aimUrl: string } | null = null): SmsReceipt {
  return {
    task_id: message.taskId, cust_flag: message.custFlag, msg_id: message.msgId, tpl_id: message.tplId,
    sms_sign: message.smsSign, aim_code: link?.aimCode ?? null, aim_url: link?.aimUrl ?? null,
    send_time: formatContractTime(message.sendTime), receive_time: formatContractTime(report.receiveTime),
    send_status: report.status,
    send_status_desc: status === 'success' ? '发送成功' : `发送失败: ${report.resultCode ?? report.status}`,
    total: 1, sequence: 1,
  };
}

/** When a receipt for this url_type is pushed: at once, or after the batch gathers. */
export function receiptRunAt(urlType: number, now: number): number {
  return urlType === 2 ? now + BATCH_GATHER_MS : now;
}

/** The envelope KooMessage posts to a receipt URL: `body` is one SmsCallback or an array of them, as JSON text. */
export interface ReceiptEnvelope {
  request_id: string;
  domain_id: string;
  callback_type: CallbackType;
  body: string;
  retry: boolean;
}

export function receiptEnvelope(
  requestId: string, urlType: number, domainId: string, receipts: Array<SmsReceipt | ShortChainReceipt>, retry: boolean, callbackType: CallbackType = 'sms',
): ReceiptEnvelope {
  return {
    request_id: requestId,
    domain_id: domainId,
    callback_type: callbackType,
    body: JSON.stringify(urlType === 2 ? receipts : receipts[0]),
    retry,
  };
}
