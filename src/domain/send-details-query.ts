import { checkRange, integerParam, textParam, timeParam, type RawQuery } from './query-params.js';
import { InvalidParameter } from './errors.js';
import { isSendStatus, LIMITS, type SendDetailsFilter, type SendDetailsQuery } from './send-detail.js';

const STRING_FILTERS = [
  ['task_id', 'taskId', LIMITS.taskId],
  ['tpl_id', 'tplId', LIMITS.tplId],
  ['sms_sign', 'smsSign', LIMITS.smsSign],
  ['cust_flag', 'custFlag', LIMITS.custFlag],
] as const;

export const OFFSET_MAX = 1_000_000;
export const LIMIT_MAX = 100;

export type { RawQuery };

/**
 * The extensions beyond KooMessage's contract, which change nothing when absent: `send_status`
 * (sending, success or fail) and `msg_id` (one message).
 */
function readExtensions(raw: RawQuery, filter: SendDetailsFilter): void {
  const status = textParam(raw, 'send_status', 16);
  if (status !== undefined) {
    if (!isSendStatus(status)) throw new InvalidParameter('send_status must be sending, success or fail');
    filter.sendStatus = status;
  }
  const msgId = textParam(raw, 'msg_id', LIMITS.msgId);
  if (msgId !== undefined) filter.msgId = msgId;
}

/** The value filters, KooMessage's and the extensions, in the contract's order. */
function readFilters(raw: RawQuery): SendDetailsFilter {
  const filter: SendDetailsFilter = {};
  for (const [name, key, max] of STRING_FILTERS) {
    const value = textParam(raw, name, max);
    if (value !== undefined) filter[key] = value;
  }
  readExtensions(raw, filter);
  return filter;
}

/** Adds a begin/end pair; a lone begin_time or end_time is validated but does not filter (contract). */
function applyRange(filter: SendDetailsFilter, begin: number | undefined, end: number | undefined, now: Date): void {
  if (begin === undefined || end === undefined) return;
  checkRange(begin, end, now, 'send details');
  filter.sendTimeFrom = begin;
  filter.sendTimeTo = end;
}

/** The filters of an export: the list's, without paging (every matching row is exported). */
export function parseExportFilter(raw: RawQuery, now: Date): SendDetailsFilter {
  const filter = readFilters(raw);
  applyRange(filter, timeParam(raw, 'begin_time'), timeParam(raw, 'end_time'), now);
  return filter;
}

/**
 * Validates the raw query of `GET /v1/aim/send-details` against every rule of the contract and
 * returns the typed query. Checks run in the contract's parameter order; the first failure wins.
 */
export function parseSendDetailsQuery(raw: RawQuery, now: Date): SendDetailsQuery {
  const filter = readFilters(raw);
  const begin = timeParam(raw, 'begin_time');
  const end = timeParam(raw, 'end_time');
  const offset = integerParam(raw, 'offset', 0, OFFSET_MAX);
  const limit = integerParam(raw, 'limit', 1, LIMIT_MAX);
  applyRange(filter, begin, end, now);
  return { filter, offset, limit };
}
