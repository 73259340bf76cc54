import { sql, type Expression, type Kysely, type Selectable, type SelectQueryBuilder } from 'kysely';
import { RESULT_WINDOW, type SendDetail, type SendDetailsFilter, type SendStatus, type StoredMessage } from '../../domain/send-detail.js';
import { HOUR_MS, planCount, planPeriods } from '../detail-counts.js';
import { GENERIC_PLAN } from '../dialect.js';
import { STATUS_CODES, statusOfCode, type Database } from '../schema.js';

/** Marks a statement for a generic plan (see GENERIC_PLAN), through Kysely's modifyFront. */
const MARK_GENERIC = sql.raw(GENERIC_PLAN);

export const DETAIL_COLUMNS = [
  'msg_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'sms_sign', 'cust_flag', 'send_account',
  'send_status', 'send_time', 'receive_time', 'result_code',
] as const;

export type DetailRow = Pick<Selectable<Database['send_details']>, (typeof DETAIL_COLUMNS)[number]>;

export function toDetail(row: DetailRow): SendDetail {
  return {
    msgId: row.msg_id,
    taskId: row.task_id,
    taskName: row.task_name,
    tplId: row.tpl_id,
    tplName: row.tpl_name,
    smsSign: row.sms_sign,
    custFlag: row.cust_flag,
    sendAccount: row.send_account,
    sendStatus: statusOfCode(row.send_status),
    sendTime: row.send_time,
    receiveTime: row.receive_time,
    resultCode: row.result_code,
  };
}

export const MESSAGE_COLUMNS = ['account_id', 'msg_id', 'send_time', 'tpl_id', 'send_status', 'task_id', 'cust_flag', 'sms_sign'] as const;

export function toMessage(row: {
  account_id: number; msg_id: string; send_time: number; tpl_id: string | null; send_status: number;
  task_id: string | null; cust_flag: string | null; sms_sign: string | null;
}): StoredMessage {
  return {
    accountId: row.account_id, msgId: row.msg_id, sendTime: row.send_time, tplId: row.tpl_id,
    status: statusOfCode(row.send_status), taskId: row.task_id, custFlag: row.cust_flag, smsSign: row.sms_sign,
  };
}

export function applyFilter<O>(
  query: SelectQueryBuilder<Database, 'send_details', O>,
  accountId: number,
  filter: SendDetailsFilter,
): SelectQueryBuilder<Database, 'send_details', O> {
  let q = query.where('account_id', '=', accountId);
  if (filter.taskId !== undefined) q = q.where('task_id', '=', filter.taskId);
  if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
  if (filter.smsSign !== undefined) q = q.where('sms_sign', '=', filter.smsSign);
  if (filter.custFlag !== undefined) q = q.where('cust_flag', '=', filter.custFlag);
  if (filter.sendTimeFrom !== undefined) q = q.where('send_time', '>=', filter.sendTimeFrom);
  if (filter.sendTimeTo !== undefined) q = q.where('send_time', '<=', filter.sendTimeTo);
  if (filter.sendStatus !== undefined) q = q.where('send_status', '=', STATUS_CODES[filter.sendStatus]);
  if (filter.msgId !== undefined) q = q.where('msg_id', '=', filter.msgId);
  return q;
}

/** The hot statements, as builders: the repository runs them, and test/sql.test.ts compiles them. */
export const detailQueries = {
  /** Counts matching rows through an index (task, phone or msg_id filters; ragged range edges). */
  directCount(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter) {
    return applyFilter(db.selectFrom('send_details'), accountId, filter).select((eb) => eb.fn.countAll<number>().as('n'));
  },
  /** Sums a task's counters (all statuses, or one). */
  taskCount(db: Kysely<Database>, accountId: number, taskId: string, sendStatus: SendStatus | undefined) {
    return db.selectFrom('send_task_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('task_id', '=', taskId)
      .$if(sendStatus !== undefined, (q) => q.where('send_status', '=', STATUS_CODES[sendStatus as SendStatus]));
  },
  /** Sums the per-day counters of whole days, by template and signature ('' for any). */
  dayCount(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter, days: { fromDay?: number; toDay?: number }) {
    return db.selectFrom('send_detail_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('tpl_id', '=', filter.tplId ?? '')
      .where('sms_sign', '=', filter.smsSign ?? '')
      .$if(days.fromDay !== undefined, (q) => q.where('day', '>=', days.fromDay as number))
      .$if(days.toDay !== undefined, (q) => q.where('day', '<', days.toDay as number));
  },
  /** Sums the per-day status counters of whole days (status filter), by template and signature ('' for any). */
  statusDayCount(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter & { sendStatus: SendStatus }, days: { fromDay?: number; toDay?: number }) {
    return db.selectFrom('send_status_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('tpl_id', '=', filter.tplId ?? '')
      .where('sms_sign', '=', filter.smsSign ?? '')
      .where('send_status', '=', STATUS_CODES[filter.sendStatus])
      .$if(days.fromDay !== undefined, (q) => q.where('day', '>=', days.fromDay as number))
      .$if(days.toDay !== undefined, (q) => q.where('day', '<', days.toDay as number));
  },
  /** Sums the per-hour counters of whole hours (the partial days of a range). */
  hourCount(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter, hours: { from: number; to: number }) {
    return db.selectFrom('send_detail_hour_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('tpl_id', '=', filter.tplId ?? '')
      .where('sms_sign', '=', filter.smsSign ?? '')
      .where('hour', '>=', hours.from)
      .where('hour', '<', hours.to);
  },
  /** Sums the per-hour status counters of whole hours, by template and signature. */
  statusHourCount(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter & { sendStatus: SendStatus }, hours: { from: number; to: number }) {
    return db.selectFrom('send_status_hour_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('tpl_id', '=', filter.tplId ?? '')
      .where('sms_sign', '=', filter.smsSign ?? '')
      .where('send_status', '=', STATUS_CODES[filter.sendStatus])
      .where('hour', '>=', hours.from)
      .where('hour', '<', hours.to);
  },
  /**
   * One page, newest first, each row with the filter's total (a subquery evaluated once), in the
   * form `pageForm` chose:
   * - `deferred` (SQLite): the offset is walked in the index alone (every filter index ends in
   *   send_time, msg_id) and only the page's rows are read from the table.
   * - `window`: the page is taken from the first RESULT_WINDOW matches, a bound written into the
   *   statement, so a generic plan knows how few rows it reads (given only a LIMIT parameter, it
   *   assumes a tenth of the table and sorts every match).
   * - `window-deferred`: the same window walked in the index alone, then each of the page's rows
   *   read by its key (a LATERAL look-up, which a LIMIT keeps from being turned into a join over
   *   every partition).
   * - `plain`: the ordered query, for pages past the window (planned for its values).
   * The PostgreSQL forms (all but `deferred`) join the page to the total rather than the total to
   * the page, so an empty page still answers one row, its columns null, carrying the total: one
   * round trip whatever the offset. The rows are those of `rows` (the filter narrowed by a seek,
   * see `seek`), the total that of `filter`.
   */
  page(db: Kysely<Database>, form: PageForm, accountId: number, filter: SendDetailsFilter, offset: number, limit: number,
    plan: TotalPlan = planTotal(filter), rows: SendDetailsFilter = filter) {
    const total = sql<number>`(${totalQuery(db, accountId, filter, plan)})`.as('total');
    const matching = applyFilter(db.selectFrom('send_details'), accountId, rows);
    const columns = DETAIL_COLUMNS.map((c) => `d.${c}` as const);
    if (form === 'deferred') {
      return db.selectFrom(matching.select(['msg_id', 'send_time'])
        .orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(limit).offset(offset).as('k'))
        .innerJoin('send_details as d', (join) => join.on('d.account_id', '=', accountId)
          .onRef('d.msg_id', '=', 'k.msg_id').onRef('d.send_time', '=', 'k.send_time'))
        .select([...columns, total])
        .orderBy('k.send_time', 'desc').orderBy('k.msg_id', 'asc');
    }
    const window = <K extends 'msg_id' | 'send_time' | (typeof DETAIL_COLUMNS)[number]>(keys: readonly K[]) => matching.select(keys)
      .orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(sql.lit(RESULT_WINDOW));
    const page = form === 'plain'
      ? matching.select(DETAIL_COLUMNS).orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(limit).offset(offset)
      : form === 'window'
        ? db.selectFrom(window(DETAIL_COLUMNS).as('d'))
          .select(columns).orderBy('d.send_time', 'desc').orderBy('d.msg_id', 'asc').limit(limit).offset(offset)
        : db.selectFrom(db.selectFrom(window(['msg_id', 'send_time'] as const).as('w'))
          .select(['w.msg_id', 'w.send_time']).orderBy('w.send_time', 'desc').orderBy('w.msg_id', 'asc').limit(limit).offset(offset).as('k'))
          .innerJoinLateral((eb) => eb.selectFrom('send_details').select(DETAIL_COLUMNS)
            .where('account_id', '=', accountId).whereRef('msg_id', '=', 'k.msg_id').whereRef('send_time', '=', 'k.send_time')
            .limit(sql.lit(1)).as('d'), (join) => join.onTrue())
          .select(columns).orderBy('k.send_time', 'desc').orderBy('k.msg_id', 'asc');
    return db.selectFrom(db.selectNoFrom(total).as('t'))
      .leftJoinLateral(page.as('p'), (join) => join.onTrue())
      .$if(form !== 'plain', (q) => q.modifyFront(MARK_GENERIC))
      .select([...DETAIL_COLUMNS.map((c) => `p.${c}` as const), 't.total'])
      .orderBy('p.send_time', 'desc').orderBy('p.msg_id', 'asc');
  },
  /**
   * Where a deep page of a filter the day counters serve begins (see SeekPlan): the oldest whole
   * day of the range such that the matches from its start to the range's end, `skipped`, are no
   * more than `offset`. The days' counters are summed newest first (a running sum), on top of the
   * count of the range's ragged end (`head`, counted as a total counts it). No row when the
   * newest day alone holds more than `offset` matches.
   */
  seek(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter, seek: SeekPlan, offset: number) {
    const head = seek.head ? sql<number>`coalesce((${totalQuery(db, accountId, seek.head.filter, seek.head.plan)}), 0)` : sql<number>`0`;
    const { fromDay, toDay } = seek.days;
    const { sendStatus } = filter;
    // The status counters have the detail counters' columns and a status.
    const running = db.selectFrom(sendStatus !== undefined ? 'send_status_counts' : 'send_detail_counts')
      .select((eb) => ['day', sql<number>`${eb.fn.sum('n').over((o) => o.orderBy('day', 'desc'))} + ${head}`.as('skipped')])
      .where('account_id', '=', accountId).where('tpl_id', '=', filter.tplId ?? '').where('sms_sign', '=', filter.smsSign ?? '')
      .$if(sendStatus !== undefined, (q) => q.where(sql.ref('send_status'), '=', STATUS_CODES[sendStatus as SendStatus]))
      .$if(fromDay !== undefined, (q) => q.where('day', '>=', fromDay as number))
      .$if(toDay !== undefined, (q) => q.where('day', '<', toDay as number));
    return db.selectFrom(running.as('r')).modifyFront(MARK_GENERIC)
      .select(['r.day', 'r.skipped']).where('r.skipped', '<=', offset).orderBy('r.day', 'asc').limit(sql.lit(1));
  },
  /** Where each message lives (partitioned backends): its account and send_time by msg_id. */
  messagePlaces(db: Kysely<Database>, msgIds: string[]) {
    return db.selectFrom('send_detail_ids').select(['account_id', 'msg_id', 'send_time']).where('msg_id', 'in', msgIds);
  },
  /** Messages at known places: one partition's index per message. */
  messagesAt(db: Kysely<Database>, places: Array<{ account_id: number; msg_id: string; send_time: number }>) {
    return db.selectFrom('send_details').select(MESSAGE_COLUMNS)
      .where((eb) => eb.or(places.map((p) => eb.and([
        eb('account_id', '=', p.account_id), eb('msg_id', '=', p.msg_id), eb('send_time', '=', p.send_time),
      ]))));
  },
  /** Messages by msg_id across accounts (unpartitioned backends). */
  messagesById(db: Kysely<Database>, msgIds: string[]) {
    return db.selectFrom('send_details').select(MESSAGE_COLUMNS).where('msg_id', 'in', msgIds);
  },
};

/** How a page is read (detailQueries.page). */
export type PageForm = 'deferred' | 'window' | 'window-deferred' | 'plain';

/**
 * From this offset on, a page inside the window is walked in the index alone: reading the skipped
 * rows from the table costs more than looking up the page's rows one by one. Measured on
 * PostgreSQL at 1M details: at offset 9900, 2-3 ms against 5-9 ms; at offset 0, 0.3 ms more.
 */
export const DEFER_FROM = 1000;

/** The form of a page at (offset, limit), for a backend that defers joins (SQLite) or not. */
export function pageForm(deferredJoin: boolean, offset: number, limit: number): PageForm {
  if (deferredJoin) return 'deferred';
  if (offset + limit > RESULT_WINDOW) return 'plain';
  return offset >= DEFER_FROM ? 'window-deferred' : 'window';
}

/**
 * A deep page of a filter the day counters serve starts from a day boundary rather than from the
 * newest match: the matches from that boundary to the range's end are counted by the counters
 * (`seek`), and the page is the rows before it at the offset less that count. The offset walked in
 * the index shrinks from up to RESULT_WINDOW rows to at most one day's matches. `days` are the
 * whole days of the range (all days without one); `head`, the range's ragged newest end, if any.
 */
export interface SeekPlan {
  days: { fromDay?: number; toDay?: number };
  head?: { filter: SendDetailsFilter; plan: TotalPlan };
}

/**
 * The seek plan of a page at (offset, limit), or undefined when it is read from the newest match
 * on: pages before DEFER_FROM, past the window, or of filters the day counters do not serve.
 */
export function planSeek(filter: SendDetailsFilter, plan: TotalPlan, offset: number, limit: number): SeekPlan | undefined {
  if (plan.kind !== 'counters' || !plan.days || offset < DEFER_FROM || offset + limit > RESULT_WINDOW) return undefined;
  const { days } = plan;
  if (days.toDay === undefined) return { days };
  const end = planCount(filter.sendTimeFrom, filter.sendTimeTo).edges.find((edge) => edge.from >= (days.toDay as number));
  if (!end) return { days };
  const head = { ...filter, sendTimeFrom: end.from, sendTimeTo: end.to };
  return { days, head: { filter: head, plan: planTotal(head) } };
}

/**
 * The page a seek found (`detailQueries.seek`'s row, if any) leaves to read: the rows before its
 * day, at the offset less the matches from that day on. Without a row, the page as asked.
 */
export function afterSeek(filter: SendDetailsFilter, offset: number, found: { day: number | string; skipped: number | string } | undefined) {
  return found
    ? { rows: { ...filter, sendTimeTo: Number(found.day) - 1 }, offset: offset - Number(found.skipped) }
    : { rows: filter, offset };
}

/**
 * How the total of a filter is counted. A task alone (or with a status) is served by its counters,
 * however many recipients it has. Other filters by task, and filters by phone or msg_id, match few
 * rows and are counted through their index (`rows`). Otherwise the total is the sum of per-day
 * counters for the whole days of a range, per-hour counters for the whole hours of its partial
 * days, and direct counts of the partial hours at its ends — each a subquery of one statement, so
 * its cost does not grow with the number of matches and it takes one round trip.
 */
export type TotalPlan =
  | { kind: 'task' }
  | { kind: 'rows' }
  | {
    kind: 'counters';
    days?: { fromDay?: number; toDay?: number };
    edges: Array<{ hours?: { from: number; to: number }; rests: Array<{ from: number; to: number }> }>;
  };

export function planTotal(filter: SendDetailsFilter): TotalPlan {
  if (filter.taskId !== undefined && filter.custFlag === undefined && filter.msgId === undefined && filter.tplId === undefined
    && filter.smsSign === undefined && filter.sendTimeFrom === undefined && filter.sendTimeTo === undefined) return { kind: 'task' };
  if (filter.taskId !== undefined || filter.custFlag !== undefined || filter.msgId !== undefined) return { kind: 'rows' };
  const plan = planCount(filter.sendTimeFrom, filter.sendTimeTo);
  return {
    kind: 'counters',
    ...(plan.days ? { days: plan.days } : {}),
    edges: plan.edges.map((edge) => {
      const hours = planPeriods(edge.from, edge.to, HOUR_MS);
      return { ...(hours.whole ? { hours: hours.whole } : {}), rests: hours.edges };
    }),
  };
}

/**
 * The statement that counts the details matching the filter, as `plan` says. It uses the plan's
 * and the filter's values only as bound values (see QueryTemplates), so each shape compiles once.
 * Its filters are equalities and ranges bounded by the plan, so it is marked for a generic plan.
 */
export function totalQuery(db: Kysely<Database>, accountId: number, filter: SendDetailsFilter, plan: TotalPlan = planTotal(filter)) {
  const direct = (f: SendDetailsFilter) => detailQueries.directCount(db, accountId, f);
  const { sendStatus } = filter;
  if (plan.kind === 'task') {
    return db.selectNoFrom(sql<number>`coalesce((${detailQueries.taskCount(db, accountId, filter.taskId as string, sendStatus)}), 0)`.as('n'))
      .modifyFront(MARK_GENERIC);
  }
  if (plan.kind === 'rows') return direct(filter).modifyFront(MARK_GENERIC);
  const parts: Array<Expression<unknown>> = [];
  if (plan.days) {
    parts.push(sendStatus !== undefined
      ? detailQueries.statusDayCount(db, accountId, { ...filter, sendStatus }, plan.days)
      : detailQueries.dayCount(db, accountId, filter, plan.days));
  }
  for (const edge of plan.edges) {
    if (edge.hours) {
      parts.push(sendStatus !== undefined
        ? detailQueries.statusHourCount(db, accountId, { ...filter, sendStatus }, edge.hours)
        : detailQueries.hourCount(db, accountId, filter, edge.hours));
    }
    for (const rest of edge.rests) parts.push(direct({ ...filter, sendTimeFrom: rest.from, sendTimeTo: rest.to }));
  }
  const total = parts.length === 0 ? sql<number>`0` : sql<number>`${sql.join(parts.map((part) => sql`coalesce((${part}), 0)`), sql` + `)}`;
  return db.selectNoFrom(total.as('n')).modifyFront(MARK_GENERIC);
}
