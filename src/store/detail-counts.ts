/**
 * Exact totals without counting every row. `send_detail_counts` holds, per account and UTC day,
 * how many details were sent for each template, each signature, each (template, signature) pair,
 * and in all ('' stands for "any"). Details never change send_time, tpl_id or sms_sign, so the
 * counters change only when rows are inserted or deleted, in the same transaction.
 */
export const DAY_MS = 86_400_000;

/** The groupings kept: which of the two dimensions each counter row is specific to. */
export const COUNT_GROUPING_SETS = [
  { tpl: false, sign: false },
  { tpl: true, sign: false },
  { tpl: false, sign: true },
  { tpl: true, sign: true },
] as const;

export interface CountDelta {
  tplId: string;
  smsSign: string;
  day: number;
  n: number;
}

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Counter increments for a set of inserted rows (negate `n` for deleted ones). */
export function countDeltas(rows: ReadonlyArray<{ send_time: number; tpl_id: string | null; sms_sign: string | null }>): CountDelta[] {
  const deltas = new Map<string, CountDelta>();
  for (const row of rows) {
    const day = dayOf(row.send_time);
    for (const set of COUNT_GROUPING_SETS) {
      if ((set.tpl && !row.tpl_id) || (set.sign && !row.sms_sign)) continue;
      const tplId = set.tpl ? (row.tpl_id as string) : '';
      const smsSign = set.sign ? (row.sms_sign as string) : '';
      const key = JSON.stringify([tplId, smsSign, day]);
      const delta = deltas.get(key);
      if (delta) delta.n += 1;
      else deltas.set(key, { tplId, smsSign, day, n: 1 });
    }
  }
  return [...deltas.values()];
}

/**
 * How a [from, to] range (inclusive, ms) splits into whole days served by the counters and ragged
 * edges that must be counted row by row. Without a range, every day is whole. Send times are whole
 * seconds, so the range is first narrowed to whole seconds: a day counts as whole when the range
 * covers 00:00:00 to 23:59:59 of it, as a "one day" query naturally does.
 */
export interface CountPlan {
  /** Whole days [fromDay, toDay) taken from the counters; undefined bounds mean unbounded. */
  days?: { fromDay?: number; toDay?: number };
  /** Inclusive ranges counted directly. */
  edges: Array<{ from: number; to: number }>;
}

const SECOND = 1000;

export function planCount(from: number | undefined, to: number | undefined): CountPlan {
  if (from === undefined || to === undefined) return { days: {}, edges: [] };
  const first = Math.ceil(from / SECOND) * SECOND;
  const last = Math.floor(to / SECOND) * SECOND;
  if (first > last) return { edges: [] };
  const fromDay = Math.ceil(first / DAY_MS) * DAY_MS;
  const toDay = dayOf(last + SECOND);
  if (fromDay >= toDay) return { edges: [{ from: first, to: last }] };
  const edges: CountPlan['edges'] = [];
  if (first < fromDay) edges.push({ from: first, to: fromDay - SECOND });
  if (toDay <= last) edges.push({ from: toDay, to: last });
  return { days: { fromDay, toDay }, edges };
}

/** A change to `send_status_counts`: details of one template, day and status. */
export interface StatusDelta {
  tplId: string;
  day: number;
  status: number;
  n: number;
}

/** Status counter increments for rows (negate `n` for deleted ones); '' stands for no template. */
export function statusDeltas(rows: ReadonlyArray<{ send_time: number; tpl_id: string | null; send_status: number }>): StatusDelta[] {
  const deltas = new Map<string, StatusDelta>();
  for (const row of rows) {
    const tplId = row.tpl_id ?? '';
    const day = dayOf(row.send_time);
    const key = JSON.stringify([tplId, day, row.send_status]);
    const delta = deltas.get(key);
    if (delta) delta.n += 1;
    else deltas.set(key, { tplId, day, status: row.send_status, n: 1 });
  }
  return [...deltas.values()];
}
