import { dayStart } from './time.js';
import { ErrorCodes, InvalidParameter } from './errors.js';
import { checkRange, parseTimeValue } from './query-params.js';
import { LIMITS } from './send-detail.js';

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

function text(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidParameter(`${name} must be a string`);
  if (value.length > max) throw new InvalidParameter(`${name} must be at most ${max} characters`);
  if (value.includes('\0')) throw new InvalidParameter(`${name} must not contain the NUL character`);
  return value;
}

function int(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameter(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function time(value: unknown, name: string): number | undefined {
  const t = text(value, name, 30);
  if (t === undefined) return undefined;
  // One official example omits the Z; such a time is taken as UTC too.
  return parseTimeValue(/[zZ]$/.test(t) ? t : `${t}Z`, name);
}

/**
 * ListAimSendReports' body: report_type "1" daily (default) or "2" monthly; tpl_id, tpl_name
 * exact; begin_time/end_time both or neither (default: the last 30 days, or the last 12 months for
 * a monthly report; at most a year back), counted in whole UTC days; offset (default 0), limit
 * 1–100 (default 20).
 */
export function parseSendReportsBody(body: unknown, now: Date): SendReportsQuery {
  const b = body === undefined || body === null ? {} : body;
  if (typeof b !== 'object' || Array.isArray(b)) throw new InvalidParameter('the request body must be a JSON object');
  const r = b as Record<string, unknown>;
  const type = r.report_type === undefined || r.report_type === null || r.report_type === '' ? '1' : String(r.report_type);
  if (type !== '1' && type !== '2') throw new InvalidParameter('report_type must be "1" (daily) or "2" (monthly)');
  const monthly = type === '2';
  const query: SendReportsQuery = { monthly, fromDay: 0, toDay: 0, offset: 0, limit: 20 };
  const tplId = text(r.tpl_id, 'tpl_id', LIMITS.tplId);
  if (tplId !== undefined) query.tplId = tplId;
  const tplName = text(r.tpl_name, 'tpl_name', 100);
  if (tplName !== undefined) query.tplName = tplName;
  const begin = time(r.begin_time, 'begin_time');
  const end = time(r.end_time, 'end_time');
  if ((begin === undefined) !== (end === undefined)) {
    throw new InvalidParameter('begin_time and end_time go together: give both or neither', ErrorCodes.invalidTime);
  }
  const today = dayStart(now.getTime());
  if (begin !== undefined && end !== undefined) {
    checkRange(begin, end, now, 'send reports');
    query.fromDay = dayStart(begin);
    query.toDay = dayStart(end);
  } else if (monthly) {
    const d = new Date(today);
    query.fromDay = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1);
    query.toDay = today;
  } else {
    query.fromDay = today - 29 * DAY_MS;
    query.toDay = today;
  }
  query.offset = int(r.offset, 'offset', 0, 2_147_483_647, 0);
  query.limit = int(r.limit, 'limit', 1, 100, 20);
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
}
