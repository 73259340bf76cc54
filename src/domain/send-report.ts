import { dayStart } from './time.js';
import { optionalTime, pairedRange } from './query-params.js';

/** A validated ListAimSendReports body. */
export interface SendReportsQuery {
  monthly: boolean;
  tplId?: string;
  tplName?: string;
  /** UTC day starts, inclusive. */
  fromDay: number;
  toDay: number;
  offset: number;
  limit: number;
}

const DAY_MS = 86_400_000;

/** A ListAimSendReports body whose fields the HTTP layer validated (types, lengths, forms). */
export interface SendReportsInput {
  reportType?: string | number;
  tplId?: string;
  tplName?: string;
  beginTime?: string;
  endTime?: string;
  offset?: number;
  limit?: number;
}

/** One official example omits the Z; such a time is taken as UTC too. */
function reportTime(text: string | undefined, name: string): number | undefined {
  return optionalTime(text === undefined || /[zZ]$/.test(text) ? text : `${text}Z`, name);
}

/**
 * ListAimSendReports: report_type "1" daily (default) or "2" monthly; begin_time/end_time both or
 * neither (default: the last 30 days, or the last 12 months for a monthly report; at most a year
 * back), counted in whole UTC days; offset (default 0), limit (default 20).
 */
export function sendReportsQuery(input: SendReportsInput, now: Date): SendReportsQuery {
  const monthly = String(input.reportType ?? '1') === '2';
  const query: SendReportsQuery = { monthly, fromDay: 0, toDay: 0, offset: input.offset ?? 0, limit: input.limit ?? 20 };
  if (input.tplId !== undefined) query.tplId = input.tplId;
  if (input.tplName !== undefined) query.tplName = input.tplName;
  const range = pairedRange(reportTime(input.beginTime, 'begin_time'), reportTime(input.endTime, 'end_time'), now, 'send reports');
  const today = dayStart(now.getTime());
  if (range) {
    query.fromDay = dayStart(range.from);
    query.toDay = dayStart(range.to);
  } else if (monthly) {
    const d = new Date(today);
    query.fromDay = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1);
    query.toDay = today;
  } else {
    query.fromDay = today - 29 * DAY_MS;
    query.toDay = today;
  }
  return query;
}

export interface SendReportFilter {
  /** Months instead of days. */
  monthly: boolean;
  tplId?: string;
  tplName?: string;
  /** UTC days (epoch ms of midnight), inclusive. */
  fromDay: number;
  toDay: number;
}

/** Messages of one template in one day or month, by status. */
export interface SendReportRow {
  /** Epoch ms of the day's or month's start (UTC). */
  period: number;
  tplId: string;
  tplName: string | null;
  total: number;
  success: number;
  fail: number;
  /** Links of these messages that were resolved. */
  resolved: number;
}
