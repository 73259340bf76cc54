import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { DialectAdapter } from './dialect.js';
import { COUNT_GROUPING_SETS, DAY_MS, HOUR_MS } from './detail-counts.js';

/** How far ahead monthly partitions are kept ready, so ordinary inserts never create one. */
export const PARTITIONS_AHEAD_MS = 100 * DAY_MS;

/**
 * Schema history. Append new migrations; never edit one that has shipped. Every table carries
 * `account_id` and every query filters on it, so the schema can be distributed by account.
 */
function migrations(adapter: DialectAdapter): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('accounts')
          .addColumn('id', 'integer', (c) => adapter.autoIncrementId(c))
          .addColumn('domain_id', 'text', (c) => c.notNull().unique())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('users')
          .addColumn('id', 'integer', (c) => adapter.autoIncrementId(c))
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('users_account_name_uq', ['account_id', 'name'])
          .execute();

        await db.schema
          .createTable('tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('tokens_expires_idx').on('tokens').column('expires_at').execute();

        await db.schema
          .createTable('templates')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('tpl_name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('templates_pk', ['account_id', 'tpl_id'])
          .execute();

        await db.schema
          .createTable('signatures')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('sms_sign', 'text', (c) => c.notNull())
          .addColumn('channel_number', 'text')
          .addColumn('app_name', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('signatures_pk', ['account_id', 'sms_sign'])
          .execute();

        await db.schema
          .createTable('send_tasks')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('task_name', 'text', (c) => c.notNull())
          .addColumn('tpl_id', 'text')
          .addColumn('sms_sign', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_tasks_pk', ['account_id', 'task_id'])
          .execute();

        // Names are denormalised into each row so a page is read from one table, with no joins.
        await db.schema
          .createTable('send_details')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('msg_id', 'text', (c) => {
            const col = c.notNull();
            return adapter.binaryCollation ? col.modifyEnd(sql.raw(adapter.binaryCollation)) : col;
          })
          .addColumn('task_id', 'text')
          .addColumn('task_name', 'text')
          .addColumn('tpl_id', 'text')
          .addColumn('tpl_name', 'text')
          .addColumn('sms_sign', 'text')
          .addColumn('cust_flag', 'text')
          .addColumn('send_account', 'text')
          .addColumn('send_status', 'smallint', (c) => c.notNull().check(sql`send_status in (0, 1, 2)`))
          .addColumn('send_time', 'bigint', (c) => c.notNull())
          .addColumn('receive_time', 'bigint')
          .addColumn('result_code', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_details_pk', ['account_id', 'msg_id'])
          .execute();

        // One index per filter shape, each ending in the newest-first order of the contract, so a
        // page is an index range scan whatever single filter leads.
        const order = ['send_time desc', 'msg_id'] as const;
        await db.schema.createIndex('send_details_time_idx').on('send_details')
          .columns(['account_id', ...order]).execute();
        for (const column of ['task_id', 'tpl_id', 'sms_sign', 'cust_flag']) {
          await db.schema.createIndex(`send_details_${column}_idx`).on('send_details')
            .columns(['account_id', column, ...order]).execute();
        }
      },
    },
    '0002_detail_counts': {
      // Per-day message counts by (template, signature), each also rolled up over "any" (''), so
      // a total over millions of rows is a sum of at most a few hundred counters (see
      // totalQuery in repositories/send-detail-queries.ts). Filled from existing rows, then kept
      // at write time.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('send_detail_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('sms_sign', 'text', (c) => c.notNull())
          .addColumn('day', 'bigint', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_detail_counts_pk', ['account_id', 'tpl_id', 'sms_sign', 'day'])
          .execute();
        const day = sql`(send_time / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
        for (const set of COUNT_GROUPING_SETS) {
          const tpl = set.tpl ? sql`tpl_id` : sql`''`;
          const sign = set.sign ? sql`sms_sign` : sql`''`;
          const where = [sql`1 = 1`, ...(set.tpl ? [sql`tpl_id <> ''`] : []), ...(set.sign ? [sql`sms_sign <> ''`] : [])];
          const groupBy = [sql`account_id`, day, ...(set.tpl ? [sql`tpl_id`] : []), ...(set.sign ? [sql`sms_sign`] : [])];
          await sql`insert into send_detail_counts (account_id, tpl_id, sms_sign, day, n)
            select account_id, ${tpl}, ${sign}, ${day}, count(*) from send_details
            where ${sql.join(where, sql` and `)}
            group by ${sql.join(groupBy)}`.execute(db);
        }
      },
    },
    '0003_template_signature_index': {
      // Template and signature together (with or without a time range) is a filter shape of its
      // own: with only the template index, a deep page scanned every row of the template.
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('send_details_tpl_sign_idx').on('send_details')
          .columns(['account_id', 'tpl_id', 'sms_sign', 'send_time desc', 'msg_id']).execute();
      },
    },
    '0004_partitioned_details': {
      // Where the backend has partitions, send_details becomes range-partitioned by month of
      // send_time (retention drops whole months). There is no default partition: a month's
      // partition is created before its first row arrives, and without a default PostgreSQL can
      // read newest-first pages from the newest partition alone (ordered Append, not Merge Append). Its key must then include send_time, so
      // send_detail_ids keeps msg_id unique per account and finds a message's send_time.
      async up(db: Kysely<unknown>) {
        const partitions = adapter.partitions;
        if (!partitions) return;
        const collate = sql.raw(adapter.binaryCollation ?? '');
        await sql`create table send_detail_ids (
          account_id integer not null references accounts (id),
          msg_id text ${collate} not null,
          send_time bigint not null,
          primary key (account_id, msg_id))`.execute(db);
        await sql`create index send_detail_ids_time_idx on send_detail_ids (send_time)`.execute(db);
        await sql`insert into send_detail_ids select account_id, msg_id, send_time from send_details`.execute(db);
        await sql`alter table send_details rename to send_details_unpartitioned`.execute(db);
        await sql`create table send_details (like send_details_unpartitioned including defaults including constraints)
          partition by range (send_time)`.execute(db);
        await sql`alter table send_details add constraint send_details_pkey primary key (account_id, msg_id, send_time)`.execute(db);
        const order = sql.raw('send_time desc, msg_id');
        await sql`create index sd_time_idx on send_details (account_id, ${order})`.execute(db);
        for (const column of ['task_id', 'tpl_id', 'sms_sign', 'cust_flag']) {
          await sql`create index ${sql.raw(`sd_${column}_idx`)} on send_details (account_id, ${sql.ref(column)}, ${order})`.execute(db);
        }
        await sql`create index sd_tpl_sign_idx on send_details (account_id, tpl_id, sms_sign, ${order})`.execute(db);
        const { rows } = await sql<{ lo: number | null; hi: number | null }>`
          select min(send_time) as lo, max(send_time) as hi from send_details_unpartitioned`.execute(db);
        const now = Date.now();
        await partitions.ensure(db, Math.min(Number(rows[0]?.lo ?? now), now), Math.max(Number(rows[0]?.hi ?? now) + 1, now + PARTITIONS_AHEAD_MS));
        await sql`insert into send_details select * from send_details_unpartitioned`.execute(db);
        await sql`drop table send_details_unpartitioned`.execute(db);
      },
    },
    '0005_iam': {
      // IAM compatibility: the ids IAM bodies show (project per account, public user id), token
      // scope and method, access keys with their secret encrypted at rest, and a settings table
      // (it holds the master-key check value).
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('accounts').addColumn('project_id', 'text').execute();
        await db.schema.alterTable('users').addColumn('public_id', 'text').execute();
        const hex = () => randomBytes(16).toString('hex');
        const accounts = await sql<{ id: number }>`select id from accounts`.execute(db);
        for (const { id } of accounts.rows) await sql`update accounts set project_id = ${hex()} where id = ${id}`.execute(db);
        const users = await sql<{ id: number }>`select id from users`.execute(db);
        for (const { id } of users.rows) await sql`update users set public_id = ${hex()} where id = ${id}`.execute(db);
        await db.schema.createIndex('accounts_project_uq').on('accounts').column('project_id').unique().execute();
        await db.schema.createIndex('users_public_uq').on('users').column('public_id').unique().execute();

        // Tokens from before this migration were issued by the CLI for the account's project.
        await db.schema.alterTable('tokens').addColumn('scope', 'text', (c) => c.notNull().defaultTo('project')).execute();
        await db.schema.alterTable('tokens').addColumn('method', 'text', (c) => c.notNull().defaultTo('token')).execute();

        await db.schema
          .createTable('access_keys')
          .addColumn('access_key', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
          .addColumn('secret_enc', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'inactive')`))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('access_keys_account_idx').on('access_keys').columns(['account_id', 'user_id']).execute();

        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0006_pipeline': {
      // Sending for real: task settings, per-template status counters (send reports), a global
      // msg_id look-up (delivery reports name no account), every delivery report as received, and
      // the outbox that dispatch and scheduled reports run from.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('templates').addColumn('tpl_state', 'integer', (c) => c.notNull().defaultTo(1)).execute();
        await db.schema.alterTable('templates').addColumn('description', 'text').execute();
        for (const [column, type] of [
          ['sms_tpl_id', 'text'], ['channel_number', 'text'], ['sms_app_name', 'text'], ['aim_code_type', 'text'],
          ['resolve_times', 'integer'], ['expiration_time', 'integer'], ['generation_type', 'text'], ['domain', 'text'],
          ['submission_count', 'integer'],
        ] as const) {
          await db.schema.alterTable('send_tasks').addColumn(column, type).execute();
        }
        await db.schema.alterTable('send_tasks').addColumn('task_state', 'text', (c) => c.notNull().defaultTo('Success')).execute();
        await db.schema.createIndex('send_tasks_created_idx').on('send_tasks').columns(['account_id', 'created_at desc', 'task_id']).execute();

        if (adapter.partitions) {
          await db.schema.createIndex('send_detail_ids_msg_idx').on('send_detail_ids').column('msg_id').execute();
        } else {
          await db.schema.createIndex('send_details_msg_idx').on('send_details').column('msg_id').execute();
        }

        await db.schema
          .createTable('send_status_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('day', 'bigint', (c) => c.notNull())
          .addColumn('send_status', 'smallint', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_status_counts_pk', ['account_id', 'tpl_id', 'day', 'send_status'])
          .execute();
        const day = sql`(send_time / ${sql.lit(DAY_MS)}) * ${sql.lit(DAY_MS)}`;
        await sql`insert into send_status_counts (account_id, tpl_id, day, send_status, n)
          select account_id, coalesce(tpl_id, ''), ${day}, send_status, count(*) from send_details
          group by account_id, coalesce(tpl_id, ''), ${day}, send_status`.execute(db);

        await db.schema
          .createTable('outbox')
          .addColumn('id', 'integer', (c) => adapter.autoIncrementId(c))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('account_id', 'integer')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('run_at', 'bigint', (c) => c.notNull())
          .addColumn('locked_until', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('outbox_due_idx').on('outbox').columns(['run_at', 'id']).execute();

        await db.schema
          .createTable('delivery_reports')
          .addColumn('id', 'integer', (c) => adapter.autoIncrementId(c))
          .addColumn('report_key', 'text', (c) => c.unique())
          .addColumn('msg_id', 'text')
          .addColumn('account_id', 'integer')
          .addColumn('raw', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addColumn('applied_at', 'bigint')
          .execute();
        await db.schema.createIndex('delivery_reports_parked_idx').on('delivery_reports').column('msg_id')
          .where(sql.ref('state'), '=', 'parked').execute();
        await db.schema.createIndex('delivery_reports_msg_idx').on('delivery_reports').column('msg_id').execute();
      },
    },
    '0007_callbacks': {
      // Receipt URLs (one per url_type per account) and SMS template contents (the text a
      // gateway sends).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('callbacks')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('url_type', 'integer', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('callback_url', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('callbacks_pk', ['account_id', 'url_type'])
          .execute();
        await db.schema
          .createTable('sms_templates')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('sms_tpl_id', 'text', (c) => c.notNull())
          .addColumn('content', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('sms_templates_pk', ['account_id', 'sms_tpl_id'])
          .execute();
      },
    },
    '0008_status_index': {
      // send_status is a filter the API accepts: without its own index a deep page of one status
      // walked every row of the account, holding SQLite's one thread for hundreds of milliseconds.
      // (msg_id is served by the primary key; every other filter has its index from 0001/0003.)
      // A partitioned table creates the index on every partition.
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex(adapter.partitions ? 'sd_status_idx' : 'send_details_status_idx').on('send_details')
          .columns(['account_id', 'send_status', 'send_time desc', 'msg_id']).execute();
      },
    },
    '0009_user_status': {
      // Users can be disabled (their tokens and access keys stop working at once) and enabled again.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('users')
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'disabled')`))
          .execute();
        await db.schema.createIndex('tokens_user_idx').on('tokens').column('user_id').execute();
      },
    },
    '0010_hour_counts': {
      // The partial days at the ends of a range were counted row by row, so a range's total grew
      // with the rows of its first and last day. Hourly counters serve the whole hours of those
      // days; only the partial hours are counted row by row. Filled from existing rows, then kept
      // at write time with the daily ones.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('send_detail_hour_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('sms_sign', 'text', (c) => c.notNull())
          .addColumn('hour', 'bigint', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_detail_hour_counts_pk', ['account_id', 'tpl_id', 'sms_sign', 'hour'])
          .execute();
        await db.schema
          .createTable('send_status_hour_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('hour', 'bigint', (c) => c.notNull())
          .addColumn('send_status', 'smallint', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_status_hour_counts_pk', ['account_id', 'tpl_id', 'hour', 'send_status'])
          .execute();
        const hour = sql`(send_time / ${sql.lit(HOUR_MS)}) * ${sql.lit(HOUR_MS)}`;
        for (const set of COUNT_GROUPING_SETS) {
          const tpl = set.tpl ? sql`tpl_id` : sql`''`;
          const sign = set.sign ? sql`sms_sign` : sql`''`;
          const where = [sql`1 = 1`, ...(set.tpl ? [sql`tpl_id <> ''`] : []), ...(set.sign ? [sql`sms_sign <> ''`] : [])];
          const groupBy = [sql`account_id`, hour, ...(set.tpl ? [sql`tpl_id`] : []), ...(set.sign ? [sql`sms_sign`] : [])];
          await sql`insert into send_detail_hour_counts (account_id, tpl_id, sms_sign, hour, n)
            select account_id, ${tpl}, ${sign}, ${hour}, count(*) from send_details
            where ${sql.join(where, sql` and `)}
            group by ${sql.join(groupBy)}`.execute(db);
        }
        await sql`insert into send_status_hour_counts (account_id, tpl_id, hour, send_status, n)
          select account_id, coalesce(tpl_id, ''), ${hour}, send_status, count(*) from send_details
          group by account_id, coalesce(tpl_id, ''), ${hour}, send_status`.execute(db);
      },
    },
    '0011_task_counts': {
      // A task's total counted its rows: a million-recipient import took a million index entries
      // per request. Per-task counters by status serve a task's total, alone or by status. Filled
      // from existing rows, then kept at write time with the other counters.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('send_task_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('send_status', 'smallint', (c) => c.notNull())
          .addColumn('n', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('send_task_counts_pk', ['account_id', 'task_id', 'send_status'])
          .execute();
        await sql`insert into send_task_counts (account_id, task_id, send_status, n)
          select account_id, task_id, send_status, count(*) from send_details
          where task_id is not null
          group by account_id, task_id, send_status`.execute(db);
      },
    },
    '0012_detail_ids_unchecked': {
      // The per-row foreign-key check on send_detail_ids took a fifth of a bulk import's time.
      // Only the store writes the table, with an account it has just resolved; the partitioned
      // send_details beside it never had the key either. (Accounts are never deleted.)
      async up(db: Kysely<unknown>) {
        if (!adapter.partitions) return;
        await sql`alter table send_detail_ids drop constraint if exists send_detail_ids_account_id_fkey`.execute(db);
      },
    },
    '0013_status_counts_by_sign': {
      // The status counters knew templates only, so a status filter with a signature counted its
      // rows (a hundred thousand of them at 10M). They now keep the detail counters' four
      // groupings — by template, by signature, by both, in all ('' = any, where '' in tpl_id meant
      // "no template" before) — and are rebuilt from the details.
      async up(db: Kysely<unknown>) {
        for (const [table, period, unit] of [['send_status_counts', 'day', DAY_MS], ['send_status_hour_counts', 'hour', HOUR_MS]] as const) {
          await db.schema.dropTable(table).execute();
          await db.schema
            .createTable(table)
            .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
            .addColumn('tpl_id', 'text', (c) => c.notNull())
            .addColumn('sms_sign', 'text', (c) => c.notNull())
            .addColumn(period, 'bigint', (c) => c.notNull())
            .addColumn('send_status', 'smallint', (c) => c.notNull())
            .addColumn('n', 'bigint', (c) => c.notNull())
            .addPrimaryKeyConstraint(`${table}_pk`, ['account_id', 'tpl_id', 'sms_sign', period, 'send_status'])
            .execute();
          const at = sql`(send_time / ${sql.lit(unit)}) * ${sql.lit(unit)}`;
          for (const set of COUNT_GROUPING_SETS) {
            const tpl = set.tpl ? sql`tpl_id` : sql`''`;
            const sign = set.sign ? sql`sms_sign` : sql`''`;
            const where = [sql`1 = 1`, ...(set.tpl ? [sql`tpl_id <> ''`] : []), ...(set.sign ? [sql`sms_sign <> ''`] : [])];
            const groupBy = [sql`account_id`, at, sql`send_status`, ...(set.tpl ? [sql`tpl_id`] : []), ...(set.sign ? [sql`sms_sign`] : [])];
            await sql`insert into ${sql.table(table)} (account_id, tpl_id, sms_sign, ${sql.ref(period)}, send_status, n)
              select account_id, ${tpl}, ${sign}, ${at}, send_status, count(*) from send_details
              where ${sql.join(where, sql` and `)}
              group by ${sql.join(groupBy)}`.execute(db);
          }
        }
      },
    },
    '0014_status_combination_indexes': {
      // A status with a template or a signature walked the status index and read each row to
      // check the other column: a deep page, or any page of a rare combination, read every message
      // of that status (half a million at 10M). These indexes hold both, so a page walks only the
      // index entries it skips.
      async up(db: Kysely<unknown>) {
        for (const column of ['tpl_id', 'sms_sign']) {
          const name = adapter.partitions ? `sd_status_${column}_idx` : `send_details_status_${column}_idx`;
          await db.schema.createIndex(name).on('send_details')
            .columns(['account_id', column, 'send_status', 'send_time desc', 'msg_id']).execute();
          // SQLite's planner weighs indexes by their statistics: one without them beside ones with
          // could lose to a worse index.
          if (!adapter.partitions) await sql`analyze ${sql.id(name)}`.execute(db);
        }
      },
    },
    '0015_status_task_index': {
      // The same for a task with a status: a deep page of a large task's failures walked every
      // message of the task (a million for the largest) to check each one's status.
      async up(db: Kysely<unknown>) {
        const name = adapter.partitions ? 'sd_status_task_id_idx' : 'send_details_status_task_id_idx';
        await db.schema.createIndex(name).on('send_details')
          .columns(['account_id', 'task_id', 'send_status', 'send_time desc', 'msg_id']).execute();
        if (!adapter.partitions) await sql`analyze ${sql.id(name)}`.execute(db);
      },
    },
    '0016_card_templates': {
      // Templates created through the API: their card (layout, pages, variables), review per
      // vendor, state changes and soft deletion. Templates registered before (an id and a name)
      // keep audit_state 2 and have no card.
      async up(db: Kysely<unknown>) {
        for (const [column, type] of [
          ['card_id', 'text'], ['scene', 'text'], ['use_id', 'integer'], ['sub_type', 'integer'], ['match_type', 'integer'],
          ['pages', 'text'], ['params', 'text'], ['sms_signs', 'text'], ['sms_template', 'text'], ['audit_desc', 'text'],
          ['updated_at', 'bigint'], ['disable_time', 'bigint'], ['disable_desc', 'text'], ['deleted_at', 'bigint'], ['preview_key', 'text'],
        ] as const) {
          await db.schema.alterTable('templates').addColumn(column, type).execute();
        }
        await db.schema.alterTable('templates').addColumn('audit_state', 'integer', (c) => c.notNull().defaultTo(2)).execute();
        await db.schema.alterTable('templates').addColumn('has_param', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex('templates_preview_key_uq').on('templates').column('preview_key').unique().execute();
        await db.schema
          .createTable('template_vendors')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('factory_type', 'text', (c) => c.notNull())
          .addColumn('review', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('template_vendors_pk', ['account_id', 'tpl_id', 'factory_type'])
          .execute();
        // Template materials: images, videos and video thumbnails, addressed by aim_resource_id in
        // pages and served at /materials/<object_key>. Their bytes are stored where the backend keeps them.
        await db.schema
          .createTable('materials')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('material_id', 'text', (c) => c.notNull())
          .addColumn('aim_resource_id', 'text', (c) => c.notNull().unique())
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('file_name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('image_rate', 'text')
          .addColumn('video_id', 'text')
          .addColumn('is_primary', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('size', 'bigint', (c) => c.notNull())
          .addColumn('object_key', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('materials_pk', ['account_id', 'material_id'])
          .execute();
        // Their bytes, where the database keeps them (PostgreSQL: every instance reads them); an
        // embedded store keeps them in a folder beside its file instead.
        await db.schema
          .createTable('material_blobs')
          .addColumn('object_key', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('data', adapter.binaryType, (c) => c.notNull())
          .execute();
        // Which materials each template's pages use: a material in use cannot be deleted.
        await db.schema
          .createTable('template_materials')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('aim_resource_id', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('template_materials_pk', ['account_id', 'tpl_id', 'aim_resource_id'])
          .execute();
        await db.schema.createIndex('template_materials_resource_idx').on('template_materials').columns(['account_id', 'aim_resource_id']).execute();
      },
    },
    '0017_links': {
      // Per-recipient short links and what became of them: one row per link (its recipient,
      // template, variables, expiry and resolve count), and every open of it.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('links')
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('aim_code', 'text', (c) => c.notNull())
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('resolve_id', 'text', (c) => c.notNull().unique())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('task_name', 'text', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('tpl_name', 'text', (c) => c.notNull())
          .addColumn('cust_flag', 'text', (c) => c.notNull())
          .addColumn('send_account', 'text', (c) => c.notNull())
          .addColumn('msg_id', 'text')
          .addColumn('dync_params', 'text')
          .addColumn('custom_url', 'text')
          .addColumn('sms_sign', 'text')
          .addColumn('code_type', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('resolving_times', 'integer', (c) => c.notNull())
          .addColumn('resolved_times', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('resolved_status', 'text', (c) => c.notNull().defaultTo('unresolved'))
          .addColumn('resolved_time', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('links_pk', ['domain', 'aim_code'])
          .execute();
        await db.schema.createIndex('links_task_idx').on('links').columns(['account_id', 'task_id']).execute();
        await db.schema.createIndex('links_msg_idx').on('links').columns(['account_id', 'msg_id']).execute();
        await db.schema.createIndex('links_created_idx').on('links').columns(['account_id', 'created_at desc', 'aim_code']).execute();
        await db.schema
          .createTable('link_events')
          .addColumn('id', 'integer', (c) => adapter.autoIncrementId(c))
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('aim_code', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('user_agent', 'text')
          .addColumn('at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('link_events_link_idx').on('link_events').columns(['domain', 'aim_code', 'at']).execute();
      },
    },
    '0018_link_resolve_counts': {
      // Resolves per template and day of the links' sending, counted when they happen: send
      // reports' resolve_success_count without counting links.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('link_resolve_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('day', 'bigint', (c) => c.notNull())
          .addColumn('n', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('link_resolve_counts_pk', ['account_id', 'tpl_id', 'day'])
          .execute();
      },
    },
    '0019_resolve_tasks': {
      // Links made for customers who send the SMS through their own channel (CreateResolveTask).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('resolve_tasks')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('aim_code_type', 'text', (c) => c.notNull())
          .addColumn('domain', 'text')
          .addColumn('expiration_time', 'integer', (c) => c.notNull())
          .addColumn('resolving_times', 'integer', (c) => c.notNull())
          .addColumn('sms_signs', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('resolve_tasks_pk', ['account_id', 'task_id'])
          .execute();
        await db.schema.createIndex('resolve_tasks_created_idx').on('resolve_tasks').columns(['account_id', 'created_at desc', 'task_id']).execute();
      },
    },
    '0020_template_day_counts': {
      // Template reports: resolves, exposures and clicks per template and day they happened, and
      // who was already counted that day (for the unique counts).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('template_day_counts')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('tpl_id', 'text', (c) => c.notNull())
          .addColumn('day', 'bigint', (c) => c.notNull())
          .addColumn('resolving_times', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('expose_pv', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('expose_uv', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('click_pv', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('click_uv', 'integer', (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('template_day_counts_pk', ['account_id', 'tpl_id', 'day'])
          .execute();
        await db.schema
          .createTable('link_visitors')
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('aim_code', 'text', (c) => c.notNull())
          .addColumn('day', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('visitor', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('link_visitors_pk', ['domain', 'aim_code', 'day', 'kind', 'visitor'])
          .execute();
      },
    },
    '0021_link_domains': {
      // Short-link domains an account registered with the operator: 'custom' ones take the
      // customer's own codes (generation_type 2), 'standard' ones drawn codes.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('link_domains')
          .addColumn('domain', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
          .addColumn('codes', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('link_domains_account_idx').on('link_domains').columns(['account_id', 'domain']).execute();
      },
    },
    '0022_account_keys': {
      // The tables that grow with traffic are keyed by account first, so the schema can be
      // distributed by account (docs/scaling.md, src/store/distribution.ts). A link's code, which
      // arrives without an account, finds it through the look-up table link_codes.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('link_codes')
          .addColumn('domain', 'text', (c) => c.notNull())
          .addColumn('aim_code', 'text', (c) => c.notNull())
          .addColumn('account_id', 'integer', (c) => c.notNull())
          .addPrimaryKeyConstraint('link_codes_pk', ['domain', 'aim_code'])
          .execute();
        await sql`insert into link_codes (domain, aim_code, account_id) select domain, aim_code, account_id from links`.execute(db);
        await adapter.rekey(db, 'links', { constraint: 'links_pk', columns: ['account_id', 'domain', 'aim_code'] });
        await adapter.rekey(db, 'links', { constraint: 'links_resolve_uq', replaces: 'links_resolve_id_key', unique: true, columns: ['account_id', 'resolve_id'] });
        await adapter.rekey(db, 'link_events', { constraint: 'link_events_pkey', columns: ['account_id', 'id'] });
        await adapter.rekey(db, 'link_visitors', { constraint: 'link_visitors_pk', columns: ['account_id', 'domain', 'aim_code', 'day', 'kind', 'visitor'], conflictTarget: true });
      },
    },
    '0023_status_count_sums': {
      // A status total sums a day counter per day (366 for a year). Through the key (account,
      // template, signature, day, status) that visited three entries a day and read each counter
      // from the table, whose rows, updated batch after batch, lie scattered: 0.52 ms at 10M
      // details on PostgreSQL, against 0.09 ms at 100k. This index holds the status before the
      // day and the count itself, so the sum is one index-only range. (SQLite's sums stay flat
      // without it: measured within 1.16 from 100k to 10M.)
      async up(db: Kysely<unknown>) {
        if (!adapter.partitions) return;
        await sql`create index send_status_counts_sum_idx on send_status_counts (account_id, tpl_id, sms_sign, send_status, day) include (n)`.execute(db);
      },
    },
    '0024_count_sums': {
      // The same for every total without a status: its 366 day counters, read through the key
      // (account, template, signature, day), were each fetched from the table, one page apiece at
      // 10M details on PostgreSQL (330 pages, 0.45 ms of a 0.57 ms page of 100), against 13 pages
      // at 100k. With the count in the index the sum is one index-only range; the hour counters
      // (the partial days of a range) likewise.
      async up(db: Kysely<unknown>) {
        if (!adapter.partitions) return;
        await sql`create index send_detail_counts_sum_idx on send_detail_counts (account_id, tpl_id, sms_sign, day) include (n)`.execute(db);
        await sql`create index send_detail_hour_counts_sum_idx on send_detail_hour_counts (account_id, tpl_id, sms_sign, hour) include (n)`.execute(db);
      },
    },
  };
}

/** Feeds the migrations above to Kysely's Migrator. */
export function migrationProvider(adapter: DialectAdapter): MigrationProvider {
  return { getMigrations: async () => migrations(adapter) };
}
