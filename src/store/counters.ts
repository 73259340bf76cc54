import type { Kysely } from 'kysely';
import { chunks, compareText } from './compare.js';
import type { CountDelta, StatusDelta } from './detail-counts.js';
import type { Database } from './schema.js';

type Keyed<T> = T & { accountId: number };

function merge<T extends { n: number }>(into: Map<string, T>, key: string, delta: T): void {
  const seen = into.get(key);
  if (seen) seen.n += delta.n;
  else into.set(key, { ...delta });
}

/**
 * The counter changes of one unit of work (`send_detail_counts`, `send_status_counts`), merged
 * per row and written at its end: account by account in id order, each table's rows in one global
 * order (template, signature or status, day). Every writer then locks counter rows in the same
 * order, late in its transaction, so concurrent writers neither deadlock nor queue for long.
 */
export class PendingCounts {
  private readonly details = new Map<string, Keyed<CountDelta>>();
  private readonly statuses = new Map<string, Keyed<StatusDelta>>();

  addDetails(accountId: number, deltas: CountDelta[]): void {
    for (const d of deltas) merge(this.details, JSON.stringify([accountId, d.tplId, d.smsSign, d.day]), { ...d, accountId });
  }

  addStatuses(accountId: number, deltas: StatusDelta[]): void {
    for (const d of deltas) merge(this.statuses, JSON.stringify([accountId, d.tplId, d.day, d.status]), { ...d, accountId });
  }

  async flush(tx: Kysely<Database>, maxParameters: number): Promise<void> {
    const details = [...this.details.values()].filter((d) => d.n !== 0)
      .sort((a, b) => a.accountId - b.accountId || compareText(a.tplId, b.tplId) || compareText(a.smsSign, b.smsSign) || a.day - b.day);
    const statuses = [...this.statuses.values()].filter((d) => d.n !== 0)
      .sort((a, b) => a.accountId - b.accountId || compareText(a.tplId, b.tplId) || a.day - b.day || a.status - b.status);
    this.details.clear();
    this.statuses.clear();
    for (const part of chunks(details, 5, maxParameters)) {
      await tx.insertInto('send_detail_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, sms_sign: d.smsSign, day: d.day, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'day'])
          .doUpdateSet({ n: (eb) => eb('send_detail_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
    for (const part of chunks(statuses, 5, maxParameters)) {
      await tx.insertInto('send_status_counts')
        .values(part.map((d) => ({ account_id: d.accountId, tpl_id: d.tplId, day: d.day, send_status: d.status, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'day', 'send_status'])
          .doUpdateSet({ n: (eb) => eb('send_status_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
  }
}
