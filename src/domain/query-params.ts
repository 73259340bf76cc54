import { ErrorCodes, InvalidParameter } from './errors.js';
import { oneYearBefore, parseContractTime } from './time.js';

/** Raw query parameters as an HTTP layer parses them: a string, or an array when repeated. */
export type RawQuery = Record<string, string | string[] | undefined>;

const TIME_MAX_LENGTH = 30;
const PLAIN_DECIMAL = /^[0-9]{1,10}$/;

/** The parameter's one value; repeating a parameter is an error. */
export function single(raw: RawQuery, name: string): string | undefined {
  const value = raw[name];
  if (Array.isArray(value)) {
    throw new InvalidParameter(`${name} must be given at most once`);
  }
  return value;
}

/** A plain decimal in [min, max]; required unless a default is given. */
export function integerParam(raw: RawQuery, name: string, min: number, max: number, fallback?: number): number {
  const text = single(raw, name);
  const rule = `${name} must be an integer from ${min} to ${max}`;
  if (text === undefined || text === '') {
    if (fallback !== undefined) return fallback;
    throw new InvalidParameter(`${name} is required: ${rule}`);
  }
  if (!PLAIN_DECIMAL.test(text)) throw new InvalidParameter(rule);
  const value = Number(text);
  if (value < min || value > max) throw new InvalidParameter(rule);
  return value;
}

/** An exact-match text filter: empty means no filter. */
export function textParam(raw: RawQuery, name: string, max: number): string | undefined {
  const value = single(raw, name);
  if (value === undefined || value === '') return undefined;
  if (value.length > max) throw new InvalidParameter(`${name} must be at most ${max} characters`);
  // No stored value can hold NUL (PostgreSQL text cannot), so it is a malformed value, not a miss.
  if (value.includes('\0')) throw new InvalidParameter(`${name} must not contain the NUL character`);
  return value;
}

/** A contract time (UTC, `2019-10-12T07:20:50Z`, optional milliseconds), or undefined when absent. */
export function timeParam(raw: RawQuery, name: string): number | undefined {
  const text = single(raw, name);
  if (text === undefined || text === '') return undefined;
  return parseTimeValue(text, name);
}

export function parseTimeValue(text: string, name: string): number {
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

/** Checks a begin/end pair: begin not after end, and begin within the last year. */
export function checkRange(begin: number, end: number, now: Date, what: string): void {
  if (begin > end) {
    throw new InvalidParameter('begin_time must not be later than end_time', ErrorCodes.invalidTime);
  }
  if (begin < oneYearBefore(now)) {
    throw new InvalidParameter(
      `begin_time must be within the last year: only the last year of ${what} is queryable`,
      ErrorCodes.timeRangeTooLong,
    );
  }
}

/**
 * begin_time and end_time where both or neither must be given (send tasks, templates): the
 * checked range, or undefined when neither is.
 */
export function pairedRange(raw: RawQuery, now: Date, what: string): { from: number; to: number } | undefined {
  const begin = timeParam(raw, 'begin_time');
  const end = timeParam(raw, 'end_time');
  if ((begin === undefined) !== (end === undefined)) {
    throw new InvalidParameter('begin_time and end_time go together: give both or neither', ErrorCodes.invalidTime);
  }
  if (begin === undefined || end === undefined) return undefined;
  checkRange(begin, end, now, what);
  return { from: begin, to: end };
}
