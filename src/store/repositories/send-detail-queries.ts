import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { SendDetail, SendDetailsFilter, StoredMessage } from '../../domain/send-detail.js';
import type { StoreContext } from '../context.js';
import { planCount } from '../detail-counts.js';
import { STATUS_CODES, statusOfCode, type Database } from '../schema.js';

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

/**
 * The exact number of details matching the filter. Filters by task or phone match few rows (a
 * task has at most a few thousand recipients, a phone a few messages a day) and are counted
 * through their index. Otherwise the total is a sum of per-day counters plus direct counts of
 * the ragged edges of a time range, so its cost does not grow with the number of matches.
 */
export async function countMatching({ db }: StoreContext, accountId: number, filter: SendDetailsFilter): Promise<number> {
  const direct = async (f: SendDetailsFilter) => {
    const row = await applyFilter(db.selectFrom('send_details'), accountId, f)
      .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  if (filter.taskId !== undefined || filter.custFlag !== undefined || filter.msgId !== undefined) return direct(filter);
  const plan = planCount(filter.sendTimeFrom, filter.sendTimeTo);
  let total = 0;
  if (filter.sendStatus !== undefined) {
    // The status counters know templates, not signatures: with a signature, count the rows.
    if (filter.smsSign !== undefined) return direct(filter);
    if (plan.days) {
      let q = db.selectFrom('send_status_counts')
        .select((eb) => eb.fn.sum<number | null>('n').as('n'))
        .where('account_id', '=', accountId)
        .where('send_status', '=', STATUS_CODES[filter.sendStatus]);
      if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
      if (plan.days.fromDay !== undefined) q = q.where('day', '>=', plan.days.fromDay);
      if (plan.days.toDay !== undefined) q = q.where('day', '<', plan.days.toDay);
      total += Number((await q.executeTakeFirstOrThrow()).n ?? 0);
    }
    for (const edge of plan.edges) total += await direct({ ...filter, sendTimeFrom: edge.from, sendTimeTo: edge.to });
    return total;
  }
  if (plan.days) {
    let q = db.selectFrom('send_detail_counts')
      .select((eb) => eb.fn.sum<number | null>('n').as('n'))
      .where('account_id', '=', accountId)
      .where('tpl_id', '=', filter.tplId ?? '')
      .where('sms_sign', '=', filter.smsSign ?? '');
    if (plan.days.fromDay !== undefined) q = q.where('day', '>=', plan.days.fromDay);
    if (plan.days.toDay !== undefined) q = q.where('day', '<', plan.days.toDay);
    total += Number((await q.executeTakeFirstOrThrow()).n ?? 0);
  }
  for (const edge of plan.edges) total += await direct({ ...filter, sendTimeFrom: edge.from, sendTimeTo: edge.to });
  return total;
}
