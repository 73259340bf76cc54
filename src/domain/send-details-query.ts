import { checkRange, optionalTime } from './query-params.js';
import type { SendDetailsFilter, SendDetailsQuery } from './send-detail.js';

export const OFFSET_MAX = 1_000_000;
export const LIMIT_MAX = 100;

/**
 * Adds a begin/end pair to a send-details filter: both given, it is checked (begin not after
 * end, at most a year back) and filters; a lone begin_time or end_time is validated but does not
 * filter (contract).
 */
export function withRange(filter: SendDetailsFilter, beginText: string | undefined, endText: string | undefined, now: Date): SendDetailsFilter {
  const begin = optionalTime(beginText, 'begin_time');
  const end = optionalTime(endText, 'end_time');
  if (begin === undefined || end === undefined) return filter;
  checkRange(begin, end, now, 'send details');
  return { ...filter, sendTimeFrom: begin, sendTimeTo: end };
}

/** A `GET /v1/aim/send-details` request whose fields the HTTP layer validated, with its range checked. */
export function sendDetailsQuery(
  filter: SendDetailsFilter, page: { offset: number; limit: number }, beginText: string | undefined, endText: string | undefined, now: Date,
): SendDetailsQuery {
  return { filter: withRange(filter, beginText, endText, now), offset: page.offset, limit: page.limit };
}
