import { ErrorCodes, InvalidParameter } from './errors.js';
import { oneYearBefore, parseContractTime } from './time.js';

/**
 * The rules of a request's time range that JSON Schema cannot say. The HTTP layer has already
 * checked each time's form; what is left relates the two times to each other and to the clock.
 */

/** A contract time the HTTP layer validated, as epoch ms (a malformed one is KM.90016458 all the same). */
export function timeValue(text: string, name: string): number {
  const ms = parseContractTime(text);
  if (ms === null) throw new InvalidParameter(`${name} must be a UTC time like 2019-10-12T07:20:50Z (optionally with milliseconds)`, ErrorCodes.invalidTime);
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
 * begin_time and end_time where both or neither must be given (send tasks, templates, send
 * reports): the checked range, or undefined when neither is.
 */
export function pairedRange(begin: number | undefined, end: number | undefined, now: Date, what: string): { from: number; to: number } | undefined {
  if ((begin === undefined) !== (end === undefined)) {
    throw new InvalidParameter('begin_time and end_time go together: give both or neither', ErrorCodes.invalidTime);
  }
  if (begin === undefined || end === undefined) return undefined;
  checkRange(begin, end, now, what);
  return { from: begin, to: end };
}

/** Parses an optional time field. */
export function optionalTime(text: string | undefined, name: string): number | undefined {
  return text === undefined ? undefined : timeValue(text, name);
}
