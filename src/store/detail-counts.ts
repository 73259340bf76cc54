/**
 * Exact totals without counting every row. `send_detail_counts` holds, per account and UTC day,
 * how many details were sent for each template, each signature, each (template, signature) pair,
 * and in all ('' stands for "any"); `send_detail_hour_counts` holds the same per UTC hour, for the
 * partial days at the ends of a range. `send_status_counts` and `send_status_hour_counts` do the
 * same by status, in the same four groupings. Details never change send_time, tpl_id or sms_sign,
 * so the detail counters change only when rows are inserted or deleted, in the same transaction; a
 * status change moves one count between two status counters of each grouping.
 */
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** The groupings kept: which of the two dimensions each counter row is specific to. */
export const COUNT_GROUPING_SETS = [
  { tpl: false, sign: false },
  { tpl: true, sign: false },
  { tpl: false, sign: true },
  { tpl: true, sign: true },
] as const;

/** A change to a detail counter: details of one template and signature ('' = any) in one period. */
export interface CountDelta {
  tplId: string;
  smsSign: string;
  /** The period's start: a UTC day, or an hour for the hourly counters. */
  period: number;
  n: number;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** The start of the period of `unit` (a day, an hour) holding `ms`. */
export function periodOf(ms: number, unit: number): number {
  return Math.floor(ms / unit) * unit;
}

/**
 * How a [from, to] range (inclusive, ms) splits into whole periods served by the counters and
 * ragged edges counted some other way. Send times are whole seconds, so the range is first
 * narrowed to whole seconds: a period counts as whole when the range covers its first to its last
 * second, as a "one day" query (00:00:00 to 23:59:59) naturally does.
 */
export interface PeriodPlan {
  /** Whole periods [from, to) taken from the counters. */
  whole?: { from: number; to: number };
  /** Inclusive ranges left over, at most one before and one after. */
  edges: Array<{ from: number; to: number }>;
}

const SECOND = 1000;

export function planPeriods(from: number, to: number, unit: number): PeriodPlan {
  const first = Math.ceil(from / SECOND) * SECOND;
  const last = Math.floor(to / SECOND) * SECOND;
  if (first > last) return { edges: [] };
  const wholeFrom = Math.ceil(first / unit) * unit;
  const wholeTo = periodOf(last + SECOND, unit);
  if (wholeFrom >= wholeTo) return { edges: [{ from: first, to: last }] };
  const edges: PeriodPlan['edges'] = [];
  if (first < wholeFrom) edges.push({ from: first, to: wholeFrom - SECOND });
  if (wholeTo <= last) edges.push({ from: wholeTo, to: last });
  return { whole: { from: wholeFrom, to: wholeTo }, edges };
}

/** The day-level plan: whole days [fromDay, toDay) from the daily counters; undefined bounds mean unbounded. */
export interface CountPlan {
  days?: { fromDay?: number; toDay?: number };
  edges: Array<{ from: number; to: number }>;
}

export function planCount(from: number | undefined, to: number | undefined): CountPlan {
  if (from === undefined || to === undefined) return { days: {}, edges: [] };
  const plan = planPeriods(from, to, DAY_MS);
  return plan.whole ? { days: { fromDay: plan.whole.from, toDay: plan.whole.to }, edges: plan.edges } : { edges: plan.edges };
}

/** A change to a status counter: details of one template and signature ('' = any), period and status. */
export interface StatusDelta {
  tplId: string;
  smsSign: string;
  period: number;
  status: number;
  n: number;
}
