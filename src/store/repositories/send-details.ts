import type { SendDetail, SendDetailsFilter, SendDetailsPage, StoredMessage } from '../../domain/send-detail.js';
import { toWholeSeconds } from '../../domain/time.js';
import { chunks } from '../compare.js';
import { sql } from 'kysely';
import { inTransaction, type StoreContext } from '../context.js';
import type { DialectAdapter } from '../dialect.js';
import { STATUS_CODES } from '../schema.js';
import { afterSeek, applyFilter, DETAIL_COLUMNS, detailQueries, pageForm, planSeek, planTotal, toDetail, toMessage, totalQuery, type DetailRow } from './send-detail-queries.js';

/** What an insert returns of each new row: what the counters and parked reports need. */
const ADDED_COLUMNS = ['msg_id', 'send_time', 'tpl_id', 'sms_sign', 'send_status', 'task_id', 'cust_flag'] as const;
type AddedRow = { msg_id: string; send_time: number; tpl_id: string | null; sms_sign: string | null; send_status: number; task_id: string | null; cust_flag: string | null };

/** A detail's own columns, in the order detailValues lists them. */
const VALUE_COLUMNS = ['msg_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'sms_sign', 'cust_flag', 'send_account', 'send_status', 'send_time', 'receive_time', 'result_code'];

/** A detail's values as the table stores them (times in whole seconds: the count plan relies on it). */
function detailValues(d: SendDetail): Array<string | number | null> {
  return [d.msgId, d.taskId, d.taskName, d.tplId, d.tplName, d.smsSign, d.custFlag, d.sendAccount, STATUS_CODES[d.sendStatus],
    toWholeSeconds(d.sendTime), d.receiveTime === null ? null : toWholeSeconds(d.receiveTime), d.resultCode];
}

/** The columns a row-by-row insert writes. */
const INSERT_COLUMNS = ['account_id', ...VALUE_COLUMNS, 'updated_at'];

/** What the counters and parked reports need of a detail about to be inserted. */
function addedRow(d: SendDetail): AddedRow {
  // Whole seconds always: the count plan relies on it (see planCount).
  return { msg_id: d.msgId, send_time: toWholeSeconds(d.sendTime), tpl_id: d.tplId, sms_sign: d.smsSign, send_status: STATUS_CODES[d.sendStatus], task_id: d.taskId, cust_flag: d.custFlag };
}

/** Rows from which an insert is staged and copied rather than bound (where the backend can). */
const STAGE_FROM = 200;
const STAGE_COLUMNS = ['ord', ...VALUE_COLUMNS];

/** Arguments that shape the send-details statements (see QueryTemplates). */
const STRUCTURAL = new Set(['kind', 'sendStatus', 'form']);

/** Messages, one row per recipient of a send task (or imported), and their counters. */
export class SendDetailsRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Makes sure the months these details fall in have their partitions before the rows arrive
   * (back-fills reach into months maintenance never created; there is no default partition).
   * Runs outside any transaction; months seen once are remembered.
   */
  async prepareFor(details: SendDetail[]): Promise<void> {
    const partitions = this.ctx.adapter.partitions;
    if (!partitions) return;
    const months = new Set<number>();
    for (const d of details) {
      const t = new Date(d.sendTime);
      const month = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1);
      if (!this.ctx.knownMonths.has(month)) months.add(month);
    }
    for (const month of months) {
      await partitions.ensure(this.ctx.root, month, month + 1);
      this.ctx.knownMonths.add(month);
    }
  }

  /**
   * Inserts the details whose msg_id the account does not have yet and counts them; returns the
   * messages inserted (skipped duplicates never touch the counters). Call `prepareFor` first.
   */
  async insertNew(accountId: number, details: SendDetail[], now: number): Promise<StoredMessage[]> {
    return inTransaction(this.ctx, async (tx) => {
      const { copyRows, partitions } = tx.adapter;
      const added = copyRows && partitions && details.length >= STAGE_FROM
        ? await this.insertStaged(tx, copyRows, accountId, details, now)
        : await this.insertRows(tx, accountId, details, now);
      tx.counts.addRows(accountId, added, 1);
      return added.map((r) => toMessage({ ...r, account_id: accountId }));
    });
  }

  /**
   * One prepared INSERT per row where the backend runs it so (SQLite), else multi-row INSERTs, as
   * many rows each as the backend's parameter limit allows.
   */
  private async insertRows(tx: StoreContext, accountId: number, details: SendDetail[], now: number): Promise<AddedRow[]> {
    const { insertEach, partitions } = this.ctx.adapter;
    if (insertEach && !partitions) {
      const insert = insertEach('send_details', INSERT_COLUMNS, ['account_id', 'msg_id']);
      const values = details.map((d) => [accountId, ...detailValues(d), now]);
      const started = performance.now();
      let ok = false;
      try {
        const inserted = insert.run(values);
        ok = true;
        return details.filter((_, i) => inserted[i]).map(addedRow);
      } finally {
        // Reported once for the batch, failed too (a row broke a constraint: the batch rolls back).
        tx.observe(performance.now() - started, ok, insert.sql);
      }
    }
    const added: AddedRow[] = [];
    for (const part of chunks(details, 14, this.ctx.adapter.maxParameters)) {
      const fresh = this.ctx.adapter.partitions ? await this.claimIds(tx, accountId, part) : part;
      if (fresh.length === 0) continue;
      const rows = await tx.db.insertInto('send_details')
        .values(fresh.map((d) => ({
          account_id: accountId,
          msg_id: d.msgId,
          task_id: d.taskId,
          task_name: d.taskName,
          tpl_id: d.tplId,
          tpl_name: d.tplName,
          sms_sign: d.smsSign,
          cust_flag: d.custFlag,
          send_account: d.sendAccount,
          send_status: STATUS_CODES[d.sendStatus],
          // Whole seconds always: the count plan relies on it (see planCount).
          send_time: toWholeSeconds(d.sendTime),
          receive_time: d.receiveTime === null ? null : toWholeSeconds(d.receiveTime),
          result_code: d.resultCode,
          updated_at: now,
        })))
        // Without partitions the table's own key skips known msg_ids; with them claimIds did.
        .$if(!this.ctx.adapter.partitions, (qb) => qb.onConflict((oc) => oc.columns(['account_id', 'msg_id']).doNothing()))
        // Only rows actually inserted come back.
        .returning(ADDED_COLUMNS)
        .execute();
      added.push(...rows);
    }
    return added;
  }

  /**
   * The bulk path (PostgreSQL): COPY into a session's temporary staging table, then one statement
   * claims the new msg_ids (first occurrence wins, as in claimIds) and inserts their rows. Far
   * cheaper than binding 14 parameters a row; used from STAGE_FROM rows up.
   */
  private async insertStaged(tx: StoreContext, copyRows: NonNullable<DialectAdapter['copyRows']>, accountId: number, details: SendDetail[], now: number): Promise<AddedRow[]> {
    await sql`create temporary table if not exists send_details_stage (
      ord integer not null, msg_id text not null, task_id text, task_name text, tpl_id text, tpl_name text,
      sms_sign text, cust_flag text, send_account text, send_status smallint not null, send_time bigint not null,
      receive_time bigint, result_code text)`.execute(tx.db);
    await copyRows(tx.db, 'send_details_stage', STAGE_COLUMNS, details.map((d, i) => [i, ...detailValues(d)]));
    const { rows } = await sql<AddedRow>`
      with fresh as (select distinct on (msg_id) * from send_details_stage order by msg_id, ord),
      claimed as (
        insert into send_detail_ids (account_id, msg_id, send_time)
        select ${accountId}::integer, msg_id, send_time from fresh
        on conflict (account_id, msg_id) do nothing
        returning msg_id
      )
      insert into send_details (account_id, msg_id, task_id, task_name, tpl_id, tpl_name, sms_sign, cust_flag,
        send_account, send_status, send_time, receive_time, result_code, updated_at)
      select ${accountId}::integer, f.msg_id, f.task_id, f.task_name, f.tpl_id, f.tpl_name, f.sms_sign, f.cust_flag,
        f.send_account, f.send_status, f.send_time, f.receive_time, f.result_code, ${now}::bigint
      from fresh f join claimed c on c.msg_id = f.msg_id
      returning ${sql.join(ADDED_COLUMNS.map((c) => sql.ref(c)))}`.execute(tx.db);
    await sql`truncate send_details_stage`.execute(tx.db);
    return rows;
  }

  /**
   * Registers the msg_ids of `part` in send_detail_ids and returns the details whose msg_id was
   * new (first occurrence only), so a partitioned send_details never holds a msg_id twice.
   */
  private async claimIds(tx: StoreContext, accountId: number, part: SendDetail[]): Promise<SendDetail[]> {
    const claimed = await tx.db.insertInto('send_detail_ids')
      .values(part.map((d) => ({ account_id: accountId, msg_id: d.msgId, send_time: toWholeSeconds(d.sendTime) })))
      .onConflict((oc) => oc.columns(['account_id', 'msg_id']).doNothing())
      .returning('msg_id')
      .execute();
    const fresh = new Set(claimed.map((r) => r.msg_id));
    return part.filter((d) => fresh.delete(d.msgId));
  }

  /** Messages by msg_id across accounts (a delivery report names no account). */
  async findMessages(msgIds: string[]): Promise<StoredMessage[]> {
    const { db, adapter } = this.ctx;
    if (!adapter.partitions) return (await detailQueries.messagesById(db, msgIds).execute()).map(toMessage);
    // The id table says where each message lives; with those send_times as constants the planner
    // reads one partition's index per message. (As a join, it may instead scan every partition
    // for the msg_id — a whole-table scan per delivery report.)
    const places = await detailQueries.messagePlaces(db, msgIds).execute();
    if (places.length === 0) return [];
    return (await detailQueries.messagesAt(db, places).execute()).map(toMessage);
  }

  /**
   * Gives messages that are still sending their final status, and moves them between the status
   * counters: one statement per few thousand messages. Throws when a message is not sending any
   * more (the caller decided it was), which rolls the unit of work back.
   */
  async settle(items: Array<{ message: StoredMessage; change: { status: 'success' | 'fail'; receiveTime: number; resultCode: string | null } }>, now: number): Promise<void> {
    if (items.length === 0) return;
    await inTransaction(this.ctx, async (tx) => {
      for (const part of chunks(items, 6, this.ctx.adapter.maxParameters - 2)) {
        const values = sql.join(part.map(({ message: m, change: c }) => sql`(cast(${m.accountId} as integer), cast(${m.msgId} as text),
          cast(${m.sendTime} as bigint), cast(${STATUS_CODES[c.status]} as smallint), cast(${c.receiveTime} as bigint), cast(${c.resultCode} as text))`));
        // Each message by its whole key (account, msg_id, send_time), so PostgreSQL reads one
        // partition's index per message.
        const { rows } = await sql<{ msg_id: string }>`
          with v (account_id, msg_id, send_time, send_status, receive_time, result_code) as (values ${values})
          update send_details set send_status = v.send_status, receive_time = v.receive_time, result_code = v.result_code, updated_at = ${now}
          from v
          where send_details.account_id = v.account_id and send_details.msg_id = v.msg_id and send_details.send_time = v.send_time
            and send_details.send_status = ${STATUS_CODES.sending}
          returning send_details.msg_id`.execute(tx.db);
        if (rows.length !== part.length) {
          const changed = new Set(rows.map((r) => r.msg_id));
          const missed = part.find(({ message }) => !changed.has(message.msgId));
          throw new Error(`message ${missed?.message.msgId ?? '?'} changed under a report`);
        }
      }
      for (const { message, change } of items) tx.counts.moveStatus(message.accountId, message, STATUS_CODES.sending, STATUS_CODES[change.status]);
    });
  }

  /**
   * Newest first (send_time desc, msg_id asc), with the exact total; no rows when limit is 0. The
   * page and its total are one statement (the total a subquery evaluated once), so they come from
   * one snapshot without a transaction's round trips. On PostgreSQL an empty page is one row of
   * nulls with the total (a round trip saved); on SQLite, where a statement costs no round trip,
   * the total of an empty page is asked for on its own.
   */
  async page(accountId: number, filter: SendDetailsFilter, offset: number, limit: number): Promise<SendDetailsPage> {
    const { db, adapter, queryShapes } = this.ctx;
    const plan = planTotal(filter);
    const totalOnly = async () => {
      const query = queryShapes.compile('total', { accountId, filter, plan }, (a) => totalQuery(db, a.accountId, a.filter, a.plan), STRUCTURAL);
      return Number((await db.executeQuery(query)).rows[0]?.n ?? 0);
    };
    if (limit === 0) return { rows: [], total: await totalOnly() };
    // On PostgreSQL a deep page starts from the day the counters say it is in (planSeek).
    const seek = adapter.seekDeepPages ? planSeek(filter, plan, offset, limit) : undefined;
    const found = seek
      ? (await db.executeQuery(queryShapes.compile('seek', { accountId, filter, seek, offset },
        (a) => detailQueries.seek(db, a.accountId, a.filter, a.seek, a.offset), STRUCTURAL))).rows[0]
      : undefined;
    const rest = afterSeek(filter, offset, found);
    const form = pageForm(adapter.deferredJoin, rest.offset, limit);
    const query = queryShapes.compile('page', { form, accountId, filter, offset: rest.offset, limit, plan, rows: rest.rows },
      (a) => detailQueries.page(db, a.form, a.accountId, a.filter, a.offset, a.limit, a.plan, a.rows), STRUCTURAL);
    const { rows } = await db.executeQuery(query);
    const first = rows[0];
    if (!first) return { rows: [], total: await totalOnly() };
    // PostgreSQL's forms answer an empty page as one row of nulls carrying the total.
    if (first.msg_id === null) return { rows: [], total: Number(first.total) };
    return { rows: (rows as Array<DetailRow & { total: number }>).map(toDetail), total: Number(first.total) };
  }

  /**
   * Every detail matching the filter, in the list's order, in batches: keyset paging, so memory
   * and the cost per batch stay flat however many rows match.
   */
  async *export(accountId: number, filter: SendDetailsFilter, batchSize = this.ctx.adapter.exportBatchSize): AsyncGenerator<SendDetail[]> {
    let after: { sendTime: number; msgId: string } | undefined;
    for (;;) {
      let q = applyFilter(this.ctx.db.selectFrom('send_details'), accountId, filter).select(DETAIL_COLUMNS);
      if (after) {
        const { sendTime, msgId } = after;
        // `send_time <= last` on its own is what lets the index seek to where the previous batch
        // ended; with only the OR below, SQLite walked every row already exported for each batch.
        q = q.where('send_time', '<=', sendTime).where((eb) => eb.or([
          eb('send_time', '<', sendTime),
          eb('msg_id', '>', msgId),
        ]));
      }
      const rows = await q.orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(batchSize).execute();
      if (rows.length === 0) return;
      yield rows.map(toDetail);
      const last = rows[rows.length - 1] as DetailRow;
      after = { sendTime: last.send_time, msgId: last.msg_id };
      if (rows.length < batchSize) return;
    }
  }
}
