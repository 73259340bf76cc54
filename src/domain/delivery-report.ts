import { createHash } from 'node:crypto';
import { LIMITS, type SendStatus } from './send-detail.js';
import { formatContractTime, parseContractTime, toWholeSeconds } from './time.js';

/** Most reports one `POST /v1/aim/delivery-reports` may carry. */
export const MAX_REPORTS_PER_REQUEST = 1000;

/** What a carrier's status word means for a message. */
export type CarrierVerdict = 'success' | 'fail' | 'pending';

const SUCCESS_WORDS = new Set(['DELIVRD', 'DELIVERED']);
const PENDING_WORDS = new Set(['ACCEPTD', 'ENROUTE']);
const FAIL_WORDS = new Set(['UNDELIV', 'EXPIRED', 'REJECTD', 'DELETED', 'UNKNOWN', 'FAILED']);
/** Carrier error codes used as status words, e.g. `MK:0001`, `M2:0045`, `ID:0076`. */
const CARRIER_CODE = /^[A-Z0-9]{2}:[A-Z0-9]{4}$/;

/**
 * Classifies a carrier status word (SMPP/CMPP delivery-receipt `stat`), case-insensitively:
 * `DELIVRD` is delivered; `ACCEPTD`/`ENROUTE` are still under way; `UNDELIV`, `EXPIRED`,
 * `REJECTD`, `DELETED`, `UNKNOWN`, `FAILED` (the platform's own) and carrier codes such as
 * `MK:0001` are failures. Anything else is not a status this platform knows.
 */
export function classifyCarrierStatus(word: string): CarrierVerdict | undefined {
  const upper = word.toUpperCase();
  if (SUCCESS_WORDS.has(upper)) return 'success';
  if (PENDING_WORDS.has(upper)) return 'pending';
  if (FAIL_WORDS.has(upper) || CARRIER_CODE.test(upper)) return 'fail';
  return undefined;
}

/** A report that passed validation. */
export interface DeliveryReport {
  msgId: string;
  /** The carrier's word, as sent. */
  status: string;
  verdict: CarrierVerdict;
  resultCode: string | null;
  /** Whole seconds, epoch ms. */
  receiveTime: number;
  reportId: string | null;
}

/** One report as received: parsed, or rejected with the reason. `raw` is stored either way. */
export type ReceivedReport =
  | { ok: true; report: DeliveryReport; raw: string }
  | { ok: false; reason: string; msgId: string | null; raw: string };

export type ReportOutcome = 'applied' | 'duplicate' | 'parked' | 'rejected';

function text(value: unknown, name: string, max: number, required: boolean): string | null | { error: string } {
  if (value === undefined || value === null || value === '') {
    return required ? { error: `${name} is required` } : null;
  }
  if (typeof value !== 'string') return { error: `${name} must be a string` };
  if (value.length > max) return { error: `${name} must be at most ${max} characters` };
  // A NUL cannot be stored by every backend; nothing legitimate carries one.
  if (value.includes('\u0000')) return { error: `${name} must not contain NUL characters` };
  return value;
}

/** Validates one element of `reports`; never throws. */
export function parseDeliveryReport(item: unknown): ReceivedReport {
  const raw = JSON.stringify(item) ?? 'null';
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, reason: 'a report must be an object', msgId: null, raw };
  }
  const r = item as Record<string, unknown>;
  return validated(raw, r.msg_id, r.status, r.result_code, r.report_id, (reject) => {
    if (typeof r.receive_time !== 'string') return reject('receive_time is required, e.g. 2026-06-15T12:00:00Z');
    const receiveTime = parseContractTime(r.receive_time);
    if (receiveTime === null) return reject('receive_time must be UTC in the form 2026-06-15T12:00:00Z');
    return receiveTime;
  });
}

/** A report the platform makes itself (a gateway callback, a dispatch failure), under the same rules. */
export function receivedReport(input: { msgId: string; status: string; resultCode: string | null; receiveTime: number; reportId: string }): ReceivedReport {
  const receiveTime = toWholeSeconds(input.receiveTime);
  const raw = JSON.stringify({
    msg_id: input.msgId, status: input.status, result_code: input.resultCode,
    receive_time: formatContractTime(receiveTime), report_id: input.reportId,
  });
  return validated(raw, input.msgId, input.status, input.resultCode, input.reportId, () => receiveTime);
}

function validated(
  raw: string, msgIdIn: unknown, statusIn: unknown, resultCodeIn: unknown, reportIdIn: unknown,
  receiveTimeOf: (reject: (reason: string) => ReceivedReport) => number | ReceivedReport,
): ReceivedReport {
  const msgId = text(msgIdIn, 'msg_id', LIMITS.msgId, true);
  const msgIdOrNull = typeof msgId === 'string' ? msgId : null;
  const reject = (reason: string): ReceivedReport => ({ ok: false, reason, msgId: msgIdOrNull, raw });
  if (msgId !== null && typeof msgId === 'object') return reject(msgId.error);
  const status = text(statusIn, 'status', 32, true);
  if (status !== null && typeof status === 'object') return reject(status.error);
  const verdict = classifyCarrierStatus(status as string);
  if (!verdict) return reject(`status ${JSON.stringify(status)} is not a known carrier status (DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ACCEPTD, ENROUTE, or a code such as MK:0001)`);
  const resultCode = text(resultCodeIn, 'result_code', LIMITS.resultCode, false);
  if (resultCode !== null && typeof resultCode === 'object') return reject(resultCode.error);
  const reportId = text(reportIdIn, 'report_id', 64, false);
  if (reportId !== null && typeof reportId === 'object') return reject(reportId.error);
  const receiveTime = receiveTimeOf(reject);
  if (typeof receiveTime !== 'number') return receiveTime;
  return {
    ok: true,
    raw,
    report: {
      msgId: msgId as string, status: status as string, verdict, resultCode,
      receiveTime: toWholeSeconds(receiveTime), reportId,
    },
  };
}

/**
 * The identity of a report, for idempotency: the sender's `report_id` when it gave one, otherwise
 * the report's content (the same message, status, code and time is the same report).
 */
export function reportKey(report: DeliveryReport): string {
  if (report.reportId !== null) return `id:${report.reportId}`;
  const content = [report.msgId, report.status, report.resultCode ?? '', String(report.receiveTime)].join('\n');
  return `h:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
}

export interface ReportResult {
  outcome: ReportOutcome;
  reason?: string;
}

/** What became of a stored report (`delivery_reports.state`). */
export type ReportState = ReportOutcome;

/** Why a second copy of a report changed nothing. */
export const DUPLICATE_REPORT = 'this report was received before';

/** Why a report waits: its message is not stored yet. */
export const PARKED_REPORT = 'no message with this msg_id yet; applied when it arrives';

/** Why a report is refused when its msg_id names messages in several accounts. */
export const AMBIGUOUS_REPORT = 'msg_id belongs to more than one account';

/** What a report does to its message: nothing (and why), or its final status. */
export type ReportDecision =
  | { outcome: 'duplicate' | 'applied'; reason: string; change?: undefined }
  | { outcome: 'applied'; reason?: undefined; change: { status: 'success' | 'fail'; receiveTime: number; resultCode: string | null } };

/**
 * The delivery-report rules. A final status is set once and never changes: the first final report
 * for a message wins and any later one is a duplicate. A pending word ("still under way") is
 * recorded only. A failure keeps the carrier's result code, or its status word when it gave none.
 */
export function decideReport(current: SendStatus, report: DeliveryReport): ReportDecision {
  if (current !== 'sending') {
    return { outcome: 'duplicate', reason: `message is already ${current}; a final status never changes` };
  }
  if (report.verdict === 'pending') {
    return { outcome: 'applied', reason: `${report.status} is not final; the message is still sending` };
  }
  const status = report.verdict;
  return {
    outcome: 'applied',
    change: { status, receiveTime: report.receiveTime, resultCode: status === 'fail' ? (report.resultCode ?? report.status) : null },
  };
}
