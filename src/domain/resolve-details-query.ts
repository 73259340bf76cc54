import { checkRange, timeValue } from './query-params.js';
import type { ResolvedStatus } from './link.js';

/** The filters of ListAimResolveDetails, as the store applies them. */
export interface ResolveDetailsFilter {
  taskId?: string;
  taskName?: string;
  tplId?: string;
  tplName?: string;
  custFlag?: string;
  smsSign?: string;
  /** From aim_url. */
  domain?: string;
  aimCode?: string;
  resolvedStatus?: ResolvedStatus;
  /** Inclusive bounds on the link's creation time. */
  createdFrom: number;
  createdTo: number;
}

export interface ResolveDetailsQuery {
  filter: ResolveDetailsFilter;
  offset: number;
  limit: number;
  /** The filters match nothing (an aim_url that is not `<domain>/<code>`). */
  none: boolean;
}

const DAY_MS = 86_400_000;

/**
 * ListAimResolveDetails' query, its fields already validated. The window is on the links'
 * creation: begin_time and end_time count only together (one alone is ignored, as the definition
 * says), at most a year back; without them, the last 24 hours.
 */
export function resolveDetailsQuery(input: {
  taskId?: string; taskName?: string; tplId?: string; tplName?: string; custFlag?: string; smsSign?: string; aimUrl?: string;
  resolvedStatus?: ResolvedStatus; beginTime?: string; endTime?: string; offset: number; limit: number;
}, now: Date): ResolveDetailsQuery {
  let createdFrom = now.getTime() - DAY_MS;
  let createdTo = now.getTime();
  if (input.beginTime !== undefined && input.endTime !== undefined) {
    createdFrom = timeValue(input.beginTime, 'begin_time');
    createdTo = timeValue(input.endTime, 'end_time');
    checkRange(createdFrom, createdTo, now, 'short links');
  }
  const filter: ResolveDetailsFilter = { createdFrom, createdTo };
  for (const key of ['taskId', 'taskName', 'tplId', 'tplName', 'custFlag', 'smsSign', 'resolvedStatus'] as const) {
    const value = input[key];
    if (value !== undefined) (filter as unknown as Record<string, string>)[key] = value;
  }
  let none = false;
  if (input.aimUrl !== undefined) {
    const m = /^(?:https?:\/\/)?([^/\s]+)\/([A-Za-z0-9]{3,10})\/?$/.exec(input.aimUrl.trim());
    if (m) {
      filter.domain = (m[1] as string).toLowerCase();
      filter.aimCode = m[2] as string;
    } else {
      none = true;
    }
  }
  return { filter, offset: input.offset, limit: input.limit, none };
}
