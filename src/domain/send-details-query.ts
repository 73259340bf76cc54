import { ErrorCodes, InvalidParameter } from './errors.js';
import { oneYearBefore, parseContractTime } from './time.js';
import { LIMITS, type SendDetailsFilter, type SendDetailsQuery } from './send-detail.js';

const STRING_FILTERS = [
  ['task_id', 'taskId', LIMITS.taskId],
  ['tpl_id', 'tplId', LIMITS.tplId],
  ['sms_sign', 'smsSign', LIMITS.smsSign],
  ['cust_flag', 'custFlag', LIMITS.custFlag],
] as const;

const TIME_MAX_LENGTH = 30;
const PLAIN_DECIMAL = /^[0-9]{1,10}$/;

export const OFFSET_MAX = 1_000_000;
export const LIMIT_MAX = 100;

/** Raw query parameters as an HTTP layer parses them: a string, or an array when repeated. */
export type RawQuery = Record<string, string | string[] | undefined>;

function single(raw: RawQuery, name: string): string | undefined {
  const value = raw[name];
  if (Array.isArray(value)) {
    throw new InvalidParameter(`${name} must be given at most once`);
  }
  return value;
}

function integerParam(raw: RawQuery, name: string, min: number, max: number): number {
  const text = single(raw, name);
  const rule = `${name} must be an integer from ${min} to ${max}`;
  if (text === undefined || text === '') throw new InvalidParameter(`${name} is required: ${rule}`);
  if (!PLAIN_DECIMAL.test(text)) throw new InvalidParameter(rule);
  const value = Number(text);
  if (value < min || value > max) throw new InvalidParameter(rule);
  return value;
}

function timeParam(raw: RawQuery, name: string): number | undefined {
  const text = single(raw, name);
  if (text === undefined || text === '') return undefined;
  if (text.length > TIME_MAX_LENGTH) {
    throw new InvalidParameter(`${name} must be at most ${TIME_MAX_LENGTH} characters`);
  }
  const ms = parseContractTime(text);
  if (ms === null) {
    throw new InvalidParameter(
      `${name} must be a UTC time like 2019-10-12T07:20:50Z (optionally with milliseconds)`,
      ErrorCodes.invalidTime,
    );
  }
  return ms;
}

/**
 * Validates the raw query of `GET /v1/aim/send-details` against every rule of the contract and
 * returns the typed query. Checks run in the contract's parameter order; the first failure wins.
 */
export function parseSendDetailsQuery(raw: RawQuery, now: Date): SendDetailsQuery {
  const filter: SendDetailsFilter = {};
  for (const [name, key, max] of STRING_FILTERS) {
    const value = single(raw, name);
    if (value === undefined || value === '') continue;
    if (value.length > max) throw new InvalidParameter(`${name} must be at most ${max} characters`);
    // No stored value can hold NUL (PostgreSQL text cannot), so it is a malformed value, not a miss.
    if (value.includes('\0')) throw new InvalidParameter(`${name} must not contain the NUL character`);
    filter[key] = value;
  }
  const begin = timeParam(raw, 'begin_time');
  const end = timeParam(raw, 'end_time');
  const offset = integerParam(raw, 'offset', 0, OFFSET_MAX);
  const limit = integerParam(raw, 'limit', 1, LIMIT_MAX);
  // A lone begin_time or end_time is validated above but does not filter (contract).
  if (begin !== undefined && end !== undefined) {
    if (begin > end) {
      throw new InvalidParameter('begin_time must not be later than end_time', ErrorCodes.invalidTime);
    }
    if (begin < oneYearBefore(now)) {
      throw new InvalidParameter(
        'begin_time must be within the last year: only the last year of send details is queryable',
        ErrorCodes.timeRangeTooLong,
      );
    }
    filter.sendTimeFrom = begin;
    filter.sendTimeTo = end;
  }
  return { filter, offset, limit };
}
