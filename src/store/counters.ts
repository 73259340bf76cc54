import type { Kysely } from 'kysely';
import { chunks, compareText } from './compare.js';
import { COUNT_GROUPING_SETS, DAY_MS, HOUR_MS, periodOf, type CountDelta, type StatusDelta } from './detail-counts.js';
import type { Database } from './schema.js';

type Keyed<T> = T & { accountId: number };

/** Rows as the counters see them. */
export type CountedRow = { send_time: number; tpl_id: string | null; sms_sign: string | null; send_status: number; task_id: string | null };

type TaskDelta = { accountId: number; taskId: string; status: number; n: number };

/**
 * Adds `n` to a counter's pending total if it has one; false when the caller must add the entry.
 * (Allocating nothing for a counter already seen matters: an import counts millions of rows into a
 * few thousand counters.)
 */
function bump(into: Map<string, { n: number }>, key: string, n: number): boolean {
  const seen = into.get(key);
  if (!seen) return false;
  seen.n += n;
  return true;
}

/** The (template, signature) of each grouping a detail counts in ('' = any; a missing one counts only in "any"). */
function groupings(tplId: string | null, smsSign: string | null): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const set of COUNT_GROUPING_SETS) {
    if ((set.tpl && !tplId) || (set.sign && !smsSign)) continue;
    out.push([set.tpl ? (tplId as string) : '', set.sign ? (smsSign as string) : '']);
  }
  return out;
}

/**
 * A counter's merge key: the numbers first, then the template's length, so two different
 * (template, signature) pairs never share a key whatever characters they hold. Cheaper than
 * JSON.stringify, which an import called eight times a row.
 */
function keyOf(accountId: number, tplId: string, smsSign: string, period: number, status = -1): string {
  return `${accountId}:${period}:${status}:${tplId.length}:${tplId}${smsSign}`;
}

const byDetail = (a: Keyed<CountDelta>, b: Keyed<CountDelta>) =>
  a.accountId - b.accountId || compareText(a.tplId, b.tplId) || compareText(a.smsSign, b.smsSign) || a.period - b.period;
const byStatus = (a: Keyed<StatusDelta>, b: Keyed<StatusDelta>) =>
  a.accountId - b.accountId || compareText(a.tplId, b.tplId) || compareText(a.smsSign, b.smsSign) || a.period - b.period || a.status - b.status;
const byTask = (a: TaskDelta, b: TaskDelta) => a.accountId - b.accountId || compareText(a.taskId, b.taskId) || a.status - b.status;

/**
 * The counter changes of one unit of work (daily and hourly detail and status counters, and task
 * counters, see detail-counts.ts), merged per row and written at its end: table by table in a fixed order,
 * account by account in id order, each table's rows in one global order (template, signature or
 * status, period). Every writer then locks counter rows in the same order, late in its
 * transaction, so concurrent writers neither deadlock nor queue for long.
 */
export class PendingCounts {
  private readonly details = { day: new Map<string, Keyed<CountDelta>>(), hour: new Map<string, Keyed<CountDelta>>() };
  private readonly statuses = { day: new Map<string, Keyed<StatusDelta>>(), hour: new Map<string, Keyed<StatusDelta>>() };
  private readonly tasks = new Map<string, TaskDelta>();

  /** Counts rows inserted (`sign` 1) or deleted (-1): one pass, every grouping and period at once. */
  addRows(accountId: number, rows: readonly CountedRow[], sign: 1 | -1): void {
    for (const row of rows) {
      const day = periodOf(row.send_time, DAY_MS);
      const hour = periodOf(row.send_time, HOUR_MS);
      for (const [tplId, smsSign] of groupings(row.tpl_id, row.sms_sign)) {
        const dayKey = keyOf(accountId, tplId, smsSign, day);
        if (!bump(this.details.day, dayKey, sign)) this.details.day.set(dayKey, { accountId, tplId, smsSign, period: day, n: sign });
        const hourKey = keyOf(accountId, tplId, smsSign, hour);
        if (!bump(this.details.hour, hourKey, sign)) this.details.hour.set(hourKey, { accountId, tplId, smsSign, period: hour, n: sign });
        this.countStatus(accountId, tplId, smsSign, day, hour, row.send_status, sign);
      }
      this.addTask(accountId, row.task_id, row.send_status, sign);
    }
  }

  private countStatus(accountId: number, tplId: string, smsSign: string, day: number, hour: number, status: number, n: number): void {
    const dayKey = keyOf(accountId, tplId, smsSign, day, status);
    if (!bump(this.statuses.day, dayKey, n)) this.statuses.day.set(dayKey, { accountId, tplId, smsSign, period: day, status, n });
    const hourKey = keyOf(accountId, tplId, smsSign, hour, status);
    if (!bump(this.statuses.hour, hourKey, n)) this.statuses.hour.set(hourKey, { accountId, tplId, smsSign, period: hour, status, n });
  }

  private addTask(accountId: number, taskId: string | null, status: number, n: number): void {
    if (taskId === null) return;
    const key = `${accountId}:${status}:${taskId}`;
    if (!bump(this.tasks, key, n)) this.tasks.set(key, { accountId, taskId, status, n });
  }

  /** Moves one message between status counters. */
  moveStatus(accountId: number, message: { sendTime: number; tplId: string | null; smsSign: string | null; taskId: string | null }, from: number, to: number): void {
    const day = periodOf(message.sendTime, DAY_MS);
    const hour = periodOf(message.sendTime, HOUR_MS);
    for (const [tplId, smsSign] of groupings(message.tplId, message.smsSign)) {
      this.countStatus(accountId, tplId, smsSign, day, hour, from, -1);
      this.countStatus(accountId, tplId, smsSign, day, hour, to, 1);
    }
    this.addTask(accountId, message.taskId, from, -1);
    this.addTask(accountId, message.taskId, to, 1);
  }

  async flush(tx: Kysely<Database>, maxParameters: number): Promise<void> {
    const take = <T extends { n: number }>(map: Map<string, T>, order: (a: T, b: T) => number) => {
      const rows = [...map.values()].filter((d) => d.n !== 0).sort(order);
      map.clear();
      return chunks(rows, 6, maxParameters);
    };
    for (const part of take(this.details.day, byDetail)) {
      await tx.insertInto('send_detail_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, sms_sign: d.smsSign, day: d.period, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'day'])
          .doUpdateSet({ n: (eb) => eb('send_detail_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
    for (const part of take(this.details.hour, byDetail)) {
      await tx.insertInto('send_detail_hour_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, sms_sign: d.smsSign, hour: d.period, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'hour'])
          .doUpdateSet({ n: (eb) => eb('send_detail_hour_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
    for (const part of take(this.statuses.day, byStatus)) {
      await tx.insertInto('send_status_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, sms_sign: d.smsSign, day: d.period, send_status: d.status, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'day', 'send_status'])
          .doUpdateSet({ n: (eb) => eb('send_status_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
    for (const part of take(this.statuses.hour, byStatus)) {
      await tx.insertInto('send_status_hour_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, sms_sign: d.smsSign, hour: d.period, send_status: d.status, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'hour', 'send_status'])
          .doUpdateSet({ n: (eb) => eb('send_status_hour_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
    for (const part of take(this.tasks, byTask)) {
      await tx.insertInto('send_task_counts')
        .values(part.map((d) => ({ account_id: d.accountId, task_id: d.taskId, send_status: d.status, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'task_id', 'send_status'])
          .doUpdateSet({ n: (eb) => eb('send_task_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
  }
}
