import { Kysely, Migrator, sql, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import { Conflict } from '../domain/errors.js';
import { formatContractTime, toWholeSeconds } from '../domain/time.js';
import { randomUUID } from 'node:crypto';
import type { Account, Role, TokenScope, User, UserStatus } from '../domain/identity.js';
import { isRole } from '../domain/identity.js';
import type { SendDetail, SendDetailsFilter, SendStatus } from '../domain/send-detail.js';
import { parseDeliveryReport, reportKey, type DeliveryReport, type ReceivedReport } from '../domain/delivery-report.js';
import { countDeltas, dayOf, planCount, statusDeltas, type CountDelta, type StatusDelta } from './detail-counts.js';
import type { DialectAdapter } from './dialect.js';
import { DatabaseOpenError } from './open-error.js';
import { migrationProvider, PARTITIONS_AHEAD_MS } from './migrations.js';
import { monthsBefore } from './partitions.js';
import { STATUS_CODES, type Database } from './schema.js';
import { RECEIPT_JOB } from './store.js';
import type {
  CallbackRecord,
  AccessKeyRecord, AccessKeyStatus, AccessKeySummary, NewSendTask, OutboxJob, OutboxJobInput, ReportResult,
  SendDetailsPage, SendReportFilter, SendReportRow, SendTaskFilter, SendTaskSummary, SignatureRecord, Store,
  TaskRecord, TemplateFilter, TemplateInfo, TemplateRecord, TokenRecord,
} from './store.js';

const STATUS_BY_CODE: Record<number, SendStatus> = { 0: 'sending', 1: 'success', 2: 'fail' };

const DETAIL_COLUMNS = [
  'msg_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'sms_sign', 'cust_flag', 'send_account',
  'send_status', 'send_time', 'receive_time', 'result_code',
] as const;

type DetailRow = Pick<Selectable<Database['send_details']>, (typeof DETAIL_COLUMNS)[number]>;

function toDetail(row: DetailRow): SendDetail {
  const status = STATUS_BY_CODE[row.send_status];
  if (!status) throw new Error(`send_details.send_status holds unknown code ${row.send_status}`);
  return {
    msgId: row.msg_id,
    taskId: row.task_id,
    taskName: row.task_name,
    tplId: row.tpl_id,
    tplName: row.tpl_name,
    smsSign: row.sms_sign,
    custFlag: row.cust_flag,
    sendAccount: row.send_account,
    sendStatus: status,
    sendTime: row.send_time,
    receiveTime: row.receive_time,
    resultCode: row.result_code,
  };
}

type AccountRow = { id: number; domain_id: string; project_id: string | null; name: string };
type UserRow = { id: number; public_id: string | null; account_id: number; name: string; role: string; status: string };

const ACCOUNT_COLUMNS = ['id', 'domain_id', 'project_id', 'name'] as const;
const USER_COLUMNS = ['id', 'public_id', 'account_id', 'name', 'role', 'status'] as const;

function toAccount(row: AccountRow): Account {
  if (row.project_id === null) throw new Error(`accounts.project_id is missing for account ${row.id}`);
  return { id: row.id, domainId: row.domain_id, projectId: row.project_id, name: row.name };
}

function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`users.role holds unknown role ${row.role}`);
  if (row.public_id === null) throw new Error(`users.public_id is missing for user ${row.id}`);
  return {
    id: row.id, publicId: row.public_id, accountId: row.account_id, name: row.name, role: row.role as Role,
    status: row.status === 'disabled' ? 'disabled' : 'active',
  };
}

/** Selects the account and user columns of a token or access key joined to `u` and `a`. */
const JOINED_IDENTITY = [
  'u.id as user_id', 'u.public_id', 'u.name as user_name', 'u.role', 'u.status as user_status',
  'a.id as account_id', 'a.domain_id', 'a.project_id', 'a.name as account_name',
] as const;

function joinedIdentity(row: {
  user_id: number; public_id: string | null; user_name: string; role: string; user_status: string;
  account_id: number; domain_id: string; project_id: string | null; account_name: string;
}): { account: Account; user: User } {
  return {
    account: toAccount({ id: row.account_id, domain_id: row.domain_id, project_id: row.project_id, name: row.account_name }),
    user: toUser({ id: row.user_id, public_id: row.public_id, account_id: row.account_id, name: row.user_name, role: row.role, status: row.user_status }),
  };
}

function toScope(value: string): TokenScope {
  if (value !== 'project' && value !== 'domain') throw new Error(`tokens.scope holds unknown scope ${value}`);
  return value;
}

type CountedRow = {
  msg_id: string; send_time: number; tpl_id: string | null; sms_sign: string | null; send_status: number;
  task_id: string | null; cust_flag: string | null;
};

/** A stored message as report application (and its receipt) needs it. */
type MessageRow = {
  account_id: number; msg_id: string; send_time: number; tpl_id: string | null; send_status: number;
  task_id: string | null; cust_flag: string | null; sms_sign: string | null;
};

const MESSAGE_COLUMNS = ['account_id', 'msg_id', 'send_time', 'tpl_id', 'send_status', 'task_id', 'cust_flag', 'sms_sign'] as const;

/** Batch receipts wait this long so one push carries what is ready within a second. */
const BATCH_GATHER_MS = 1000;

const STATUS_NAMES = ['sending', 'success', 'fail'] as const;

const PURGE_BATCH = 5000;

const CALLBACK_COLUMNS = ['id', 'url_type', 'callback_url', 'created_at', 'updated_at'] as const;

function toCallback(row: { id: string; url_type: number; callback_url: string; created_at: number; updated_at: number }): CallbackRecord {
  return { id: row.id, urlType: row.url_type, callbackUrl: row.callback_url, createdAt: row.created_at, updatedAt: row.updated_at };
}

const TEMPLATE_COLUMNS = ['tpl_id', 'tpl_name', 'tpl_state', 'description', 'created_at'] as const;

function toTemplate(row: { tpl_id: string; tpl_name: string; tpl_state: number; description: string | null; created_at: number }): TemplateInfo {
  return { tplId: row.tpl_id, tplName: row.tpl_name, tplState: row.tpl_state, description: row.description, createdAt: row.created_at };
}

function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Splits `items` into chunks that keep one statement under the backend's parameter limit. */
function chunks<T>(items: T[], columnsPerRow: number, maxParameters: number): T[][] {
  const size = Math.max(1, Math.min(1000, Math.floor(maxParameters / columnsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The Store over Kysely; the same code runs on every backend the adapter describes. */
/** Status counter changes a transaction gathers, written once at its end (flushStatusCounts). */
type PendingStatusCounts = Array<StatusDelta & { accountId: number }>;

export class KyselyStore implements Store {
  readonly db: Kysely<Database>;
  readonly backend: 'sqlite' | 'postgres';
  private readonly queryListeners: Array<(ms: number, ok: boolean) => void> = [];
  /** Month starts whose partition is known to exist (PostgreSQL). */
  private readonly knownMonths = new Set<number>();

  constructor(private readonly adapter: DialectAdapter) {
    this.db = new Kysely<Database>({
      dialect: adapter.dialect,
      log: (event) => {
        for (const listener of this.queryListeners) listener(event.queryDurationMillis, event.level === 'query');
      },
    });
    this.backend = adapter.backend;
  }

  /** Migrates to the latest schema, or only up to `target` (a migration name; tests use it). */
  async migrate(target?: string): Promise<void> {
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.adapter),
      ...(this.adapter.schema ? { migrationTableSchema: this.adapter.schema } : {}),
    });
    try {
      if (this.adapter.schema) {
        await this.db.schema.createSchema(this.adapter.schema).ifNotExists().execute();
      }
      const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
      if (error) throw error;
    } catch (error) {
      const why = this.adapter.describeOpenFailure?.(error);
      throw why ? new DatabaseOpenError(why, { cause: error }) : error;
    }
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  isUnavailable(error: unknown): boolean {
    return this.adapter.isUnavailable(error);
  }

  onConnectionError(listener: (error: Error) => void): void {
    this.adapter.onConnectionError?.(listener);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async uniqueOr<T>(work: () => Promise<T>, message: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (this.adapter.isUniqueViolation(error)) throw new Conflict(message);
      throw error;
    }
  }

  async createAccount(input: { name: string; domainId: string; projectId: string; now: number }): Promise<Account> {
    const row = await this.uniqueOr(
      () => this.db.insertInto('accounts')
        .values({ name: input.name, domain_id: input.domainId, project_id: input.projectId, created_at: input.now })
        .returning(ACCOUNT_COLUMNS)
        .executeTakeFirstOrThrow(),
      `account ${input.name} already exists`,
    );
    return toAccount(row);
  }

  async findAccountByName(name: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').select(ACCOUNT_COLUMNS)
      .where('name', '=', name).executeTakeFirst();
    return row && toAccount(row);
  }

  async findAccountByDomainId(domainId: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom('accounts').select(ACCOUNT_COLUMNS)
      .where('domain_id', '=', domainId).executeTakeFirst();
    return row && toAccount(row);
  }

  async createUser(input: { accountId: number; name: string; publicId: string; role: Role; passwordHash: string | null; now: number }): Promise<User> {
    const row = await this.uniqueOr(
      () => this.db.insertInto('users')
        .values({
          account_id: input.accountId, name: input.name, public_id: input.publicId, role: input.role,
          password_hash: input.passwordHash, created_at: input.now,
        })
        .returning(USER_COLUMNS)
        .executeTakeFirstOrThrow(),
      `user ${input.name} already exists in this account`,
    );
    return toUser(row);
  }

  async findUser(accountId: number, name: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').select(USER_COLUMNS)
      .where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
    return row && toUser(row);
  }

  async findUserCredentials(accountId: number, name: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
    const row = await this.db.selectFrom('users').select([...USER_COLUMNS, 'password_hash'])
      .where('account_id', '=', accountId).where('name', '=', name).where('status', '=', 'active').executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async listAccounts(): Promise<Array<Account & { createdAt: number; users: number }>> {
    const rows = await this.db.selectFrom('accounts as a')
      .select([...ACCOUNT_COLUMNS.map((c) => `a.${c}` as const), 'a.created_at',
        (eb) => eb.selectFrom('users as u').select((e) => e.fn.countAll<number>().as('n')).whereRef('u.account_id', '=', 'a.id').as('users')])
      .orderBy('a.name').execute();
    return rows.map((r) => ({ ...toAccount(r), createdAt: r.created_at, users: Number(r.users ?? 0) }));
  }

  async listUsers(accountId: number): Promise<Array<User & { hasPassword: boolean; createdAt: number }>> {
    const rows = await this.db.selectFrom('users').select([...USER_COLUMNS, 'password_hash', 'created_at'])
      .where('account_id', '=', accountId).orderBy('name').execute();
    return rows.map((r) => ({ ...toUser(r), hasPassword: r.password_hash !== null, createdAt: r.created_at }));
  }

  async updateUser(userId: number, change: { role?: Role; passwordHash?: string | null; status?: UserStatus }): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.passwordHash !== undefined ? { password_hash: change.passwordHash } : {}),
        ...(change.status !== undefined ? { status: change.status } : {}),
      }).where('id', '=', userId).execute();
      // Disabling takes the user's tokens back for good; enabling again does not revive them.
      if (change.status === 'disabled') await tx.deleteFrom('tokens').where('user_id', '=', userId).execute();
    });
  }

  async deleteUser(userId: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('tokens').where('user_id', '=', userId).execute();
      await tx.deleteFrom('access_keys').where('user_id', '=', userId).execute();
      await tx.deleteFrom('users').where('id', '=', userId).execute();
    });
  }

  async revokeToken(tokenHash: string): Promise<{ accountId: number; userId: number } | undefined> {
    const row = await this.db.deleteFrom('tokens').where('token_hash', '=', tokenHash)
      .returning(['account_id', 'user_id']).executeTakeFirst();
    return row && { accountId: row.account_id, userId: row.user_id };
  }

  async revokeUserTokens(userId: number): Promise<number> {
    const result = await this.db.deleteFrom('tokens').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertToken(input: {
    tokenHash: string; userId: number; accountId: number; now: number; expiresAt: number;
    scope: TokenScope; method: 'password' | 'token';
  }): Promise<void> {
    await this.db.insertInto('tokens').values({
      token_hash: input.tokenHash, user_id: input.userId, account_id: input.accountId,
      created_at: input.now, expires_at: input.expiresAt, scope: input.scope, method: input.method,
    }).execute();
  }

  async findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .innerJoin('accounts as a', 'a.id', 't.account_id')
      .select(['t.created_at', 't.expires_at', 't.scope', 't.method', ...JOINED_IDENTITY])
      .where('t.token_hash', '=', tokenHash)
      // A disabled user's tokens stop working at once.
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...joinedIdentity(row),
      issuedAt: row.created_at,
      expiresAt: row.expires_at,
      scope: toScope(row.scope),
      method: row.method === 'password' ? 'password' : 'token',
    };
  }

  async deleteExpiredTokens(now: number): Promise<number> {
    const result = await this.db.deleteFrom('tokens').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertAccessKey(input: { accessKey: string; accountId: number; userId: number; secretEnc: string; now: number }): Promise<void> {
    await this.uniqueOr(
      () => this.db.insertInto('access_keys').values({
        access_key: input.accessKey, account_id: input.accountId, user_id: input.userId,
        secret_enc: input.secretEnc, status: 'active', created_at: input.now,
      }).execute(),
      'access key exists already',
    );
  }

  async findAccessKey(accessKey: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.db.selectFrom('access_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .innerJoin('accounts as a', 'a.id', 'k.account_id')
      .select(['k.access_key', 'k.secret_enc', 'k.status', 'k.created_at', ...JOINED_IDENTITY])
      .where('k.access_key', '=', accessKey)
      // A disabled user's keys stop working at once (and work again when it is enabled).
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...joinedIdentity(row),
      accessKey: row.access_key,
      secretEnc: row.secret_enc,
      status: row.status,
      createdAt: row.created_at,
    };
  }

  async listAccessKeys(accountId: number): Promise<AccessKeySummary[]> {
    const rows = await this.db.selectFrom('access_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .select(['k.access_key', 'u.name', 'k.status', 'k.created_at'])
      .where('k.account_id', '=', accountId)
      .orderBy('k.created_at').orderBy('k.access_key')
      .execute();
    return rows.map((r) => ({ accessKey: r.access_key, userName: r.name, status: r.status, createdAt: r.created_at }));
  }

  async setAccessKeyStatus(accountId: number, accessKey: string, status: AccessKeyStatus): Promise<boolean> {
    const result = await this.db.updateTable('access_keys').set({ status })
      .where('account_id', '=', accountId).where('access_key', '=', accessKey).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteAccessKey(accountId: number, accessKey: string): Promise<boolean> {
    const result = await this.db.deleteFrom('access_keys')
      .where('account_id', '=', accountId).where('access_key', '=', accessKey).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  async initSetting(name: string, value: string): Promise<string> {
    await this.db.insertInto('settings').values({ name, value })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const stored = await this.getSetting(name);
    if (stored === undefined) throw new Error(`setting ${name} vanished after it was stored`);
    return stored;
  }

  async upsertTemplates(accountId: number, templates: TemplateRecord[], now: number): Promise<void> {
    for (const part of chunks(templates, 4, this.adapter.maxParameters)) {
      await this.db.insertInto('templates')
        .values(part.map((t) => ({ account_id: accountId, tpl_id: t.tplId, tpl_name: t.tplName, created_at: now })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id']).doUpdateSet({ tpl_name: (eb) => eb.ref('excluded.tpl_name') }))
        .execute();
    }
  }

  async upsertSignatures(accountId: number, signatures: SignatureRecord[], now: number): Promise<void> {
    for (const part of chunks(signatures, 5, this.adapter.maxParameters)) {
      await this.db.insertInto('signatures')
        .values(part.map((s) => ({
          account_id: accountId, sms_sign: s.smsSign, channel_number: s.channelNumber,
          app_name: s.appName, created_at: now,
        })))
        .onConflict((oc) => oc.columns(['account_id', 'sms_sign']).doUpdateSet({
          channel_number: (eb) => eb.ref('excluded.channel_number'),
          app_name: (eb) => eb.ref('excluded.app_name'),
        }))
        .execute();
    }
  }

  async upsertTasks(accountId: number, tasks: TaskRecord[]): Promise<void> {
    for (const part of chunks(tasks, 6, this.adapter.maxParameters)) {
      await this.db.insertInto('send_tasks')
        .values(part.map((t) => ({
          account_id: accountId, task_id: t.taskId, task_name: t.taskName, tpl_id: t.tplId,
          sms_sign: t.smsSign, created_at: t.createdAt,
        })))
        .onConflict((oc) => oc.columns(['account_id', 'task_id']).doNothing())
        .execute();
    }
  }

  async insertSendDetails(accountId: number, details: SendDetail[], now: number): Promise<number> {
    if (details.length === 0) return 0;
    await this.ensureMonthsOf(details);
    return this.db.transaction().execute(async (tx) => (await this.insertDetailsTx(tx, accountId, details, now)).length);
  }

  /**
   * Inserts the details whose msg_id the account does not have yet, keeps both counter tables,
   * and applies any delivery reports parked for them. Returns the rows inserted.
   */
  private async insertDetailsTx(tx: Transaction<Database>, accountId: number, details: SendDetail[], now: number): Promise<CountedRow[]> {
    const added: CountedRow[] = [];
    for (const part of chunks(details, 14, this.adapter.maxParameters)) {
      const fresh = this.adapter.partitions ? await this.claimIds(tx, accountId, part) : part;
      if (fresh.length === 0) continue;
      const rows = await tx.insertInto('send_details')
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
        .$if(!this.adapter.partitions, (qb) => qb.onConflict((oc) => oc.columns(['account_id', 'msg_id']).doNothing()))
        // Only rows actually inserted come back, so skipped duplicates never touch the counters.
        .returning(['msg_id', 'send_time', 'tpl_id', 'sms_sign', 'send_status', 'task_id', 'cust_flag'])
        .execute();
      added.push(...rows);
    }
    // Reports that waited for these messages apply first; then every counter change of the
    // transaction is written at once, last, so the hot counter rows are locked only until commit.
    const pending: PendingStatusCounts = statusDeltas(added).map((d) => ({ ...d, accountId }));
    await this.applyParked(tx, added.map((r) => ({ ...r, account_id: accountId })), now, pending);
    await this.addCounts(tx, accountId, countDeltas(added));
    await this.flushStatusCounts(tx, pending);
    return added;
  }

  /**
   * Registers the msg_ids of `part` in send_detail_ids and returns the details whose msg_id was
   * new (first occurrence only), so a partitioned send_details never holds a msg_id twice.
   */
  private async claimIds(tx: Transaction<Database>, accountId: number, part: SendDetail[]): Promise<SendDetail[]> {
    const claimed = await tx.insertInto('send_detail_ids')
      .values(part.map((d) => ({ account_id: accountId, msg_id: d.msgId, send_time: toWholeSeconds(d.sendTime) })))
      .onConflict((oc) => oc.columns(['account_id', 'msg_id']).doNothing())
      .returning('msg_id')
      .execute();
    const fresh = new Set(claimed.map((r) => r.msg_id));
    return part.filter((d) => fresh.delete(d.msgId));
  }

  /**
   * Makes sure the months these details fall in have their partitions before the rows arrive
   * (back-fills reach into months maintenance never created; there is no default partition).
   * Months seen once are remembered.
   */
  private async ensureMonthsOf(details: SendDetail[]): Promise<void> {
    const partitions = this.adapter.partitions;
    if (!partitions) return;
    const months = new Set<number>();
    for (const d of details) {
      const t = new Date(d.sendTime);
      const month = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1);
      if (!this.knownMonths.has(month)) months.add(month);
    }
    for (const month of months) {
      await partitions.ensure(this.db, month, month + 1);
      this.knownMonths.add(month);
    }
  }

  async maintainPartitions(now: number, retentionMonths: number): Promise<void> {
    await this.adapter.partitions?.ensure(this.db, monthsBefore(now, retentionMonths), now + PARTITIONS_AHEAD_MS);
  }

  async purge(cutoff: number): Promise<number> {
    let deleted = 0;
    const partitions = this.adapter.partitions;
    if (partitions) {
      // Whole months first: their days' counters and ids go with them in one transaction.
      for (const partition of await partitions.endingBy(this.db, cutoff)) {
        deleted += await this.db.transaction().execute(async (tx) => {
          const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(partition.name)}`.execute(tx);
          await tx.deleteFrom('send_detail_counts').where('day', '>=', partition.from).where('day', '<', partition.to).execute();
          await tx.deleteFrom('send_status_counts').where('day', '>=', partition.from).where('day', '<', partition.to).execute();
          await tx.deleteFrom('send_detail_ids').where('send_time', '>=', partition.from).where('send_time', '<', partition.to).execute();
          await partitions.drop(tx, partition);
          return Number(rows[0]?.n ?? 0);
        });
      }
    }
    // What is left below the cutoff (every row on SQLite; the partial month on PostgreSQL) goes
    // in small batches, each adjusting the counters it affects.
    const accounts = await this.db.selectFrom('accounts').select('id').execute();
    for (const { id: accountId } of accounts) {
      for (;;) {
        const batch = await this.db.transaction().execute(async (tx) => {
          const rows = await tx.selectFrom('send_details').select(['msg_id', 'send_time', 'tpl_id', 'sms_sign', 'send_status'])
            .where('account_id', '=', accountId).where('send_time', '<', cutoff)
            .orderBy('send_time', 'desc').limit(PURGE_BATCH).execute();
          if (rows.length === 0) return 0;
          const ids = rows.map((r) => r.msg_id);
          await tx.deleteFrom('send_details').where('account_id', '=', accountId).where('msg_id', 'in', ids).where('send_time', '<', cutoff).execute();
          if (partitions) await tx.deleteFrom('send_detail_ids').where('account_id', '=', accountId).where('msg_id', 'in', ids).execute();
          await this.addCounts(tx, accountId, countDeltas(rows).map((d) => ({ ...d, n: -d.n })));
          await this.addStatusCounts(tx, accountId, statusDeltas(rows).map((d) => ({ ...d, n: -d.n })));
          return rows.length;
        });
        deleted += batch;
        if (batch < PURGE_BATCH) break;
      }
    }
    await this.db.deleteFrom('send_detail_counts').where('n', '=', 0).execute();
    await this.db.deleteFrom('send_status_counts').where('n', '=', 0).execute();
    return deleted;
  }

  /**
   * Applies counter deltas once per transaction, in one global order (template, signature, day),
   * so concurrent writers lock counter rows in the same order and cannot deadlock each other.
   */
  private async addCounts(tx: Transaction<Database>, accountId: number, deltas: CountDelta[]): Promise<void> {
    const ordered = [...deltas].sort((a, b) => compareText(a.tplId, b.tplId) || compareText(a.smsSign, b.smsSign) || a.day - b.day);
    for (const part of chunks(ordered, 5, this.adapter.maxParameters)) {
      await tx.insertInto('send_detail_counts')
        .values(part.map((d) => ({ account_id: accountId, tpl_id: d.tplId, sms_sign: d.smsSign, day: d.day, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'sms_sign', 'day'])
          .doUpdateSet({ n: (eb) => eb('send_detail_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
  }

  /**
   * Writes the status counter changes a transaction gathered, merged per row, account by account
   * in id order (then addStatusCounts' order): every writer locks counter rows in one order, and
   * late in its transaction, so concurrent report batches neither deadlock nor queue for long.
   */
  private async flushStatusCounts(tx: Transaction<Database>, pending: PendingStatusCounts): Promise<void> {
    const merged = new Map<string, PendingStatusCounts[number]>();
    for (const d of pending) {
      const key = JSON.stringify([d.accountId, d.tplId, d.day, d.status]);
      const seen = merged.get(key);
      if (seen) seen.n += d.n;
      else merged.set(key, { ...d });
    }
    const accounts = [...new Set([...merged.values()].map((d) => d.accountId))].sort((a, b) => a - b);
    for (const accountId of accounts) {
      await this.addStatusCounts(tx, accountId, [...merged.values()].filter((d) => d.accountId === accountId));
    }
  }

  /** Like addCounts, for the per-template status counters (same global order). */
  private async addStatusCounts(tx: Transaction<Database>, accountId: number, deltas: StatusDelta[]): Promise<void> {
    const ordered = deltas.filter((d) => d.n !== 0)
      .sort((a, b) => compareText(a.tplId, b.tplId) || a.day - b.day || a.status - b.status);
    for (const part of chunks(ordered, 5, this.adapter.maxParameters)) {
      await tx.insertInto('send_status_counts')
        .values(part.map((d) => ({ account_id: accountId, tpl_id: d.tplId, day: d.day, send_status: d.status, n: d.n })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'day', 'send_status'])
          .doUpdateSet({ n: (eb) => eb('send_status_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
  }

  /**
   * The exact number of details matching the filter. Filters by task or phone match few rows (a
   * task has at most a few thousand recipients, a phone a few messages a day) and are counted
   * through their index. Otherwise the total is a sum of per-day counters plus direct counts of
   * the ragged edges of a time range, so its cost does not grow with the number of matches.
   */
  private async countMatching(tx: Transaction<Database>, accountId: number, filter: SendDetailsFilter): Promise<number> {
    const direct = async (f: SendDetailsFilter) => {
      const row = await applyFilter(tx.selectFrom('send_details'), accountId, f)
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
        let q = tx.selectFrom('send_status_counts')
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
      let q = tx.selectFrom('send_detail_counts')
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

  async *exportSendDetails(accountId: number, filter: SendDetailsFilter, batchSize = this.adapter.exportBatchSize): AsyncGenerator<SendDetail[]> {
    // Keyset paging in the list's order: each batch starts after the last row of the previous
    // one, so the cost per batch does not grow with the rows already exported.
    let after: { sendTime: number; msgId: string } | undefined;
    for (;;) {
      let q = applyFilter(this.db.selectFrom('send_details'), accountId, filter).select(DETAIL_COLUMNS);
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

  async findTemplate(accountId: number, tplId: string): Promise<TemplateInfo | undefined> {
    const row = await this.db.selectFrom('templates').select(TEMPLATE_COLUMNS)
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).executeTakeFirst();
    return row && toTemplate(row);
  }

  async listTemplates(accountId: number, filter: TemplateFilter, offset: number, limit: number): Promise<{ rows: TemplateInfo[]; total: number }> {
    let q = this.db.selectFrom('templates').where('account_id', '=', accountId);
    if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
    if (filter.tplName !== undefined) q = q.where('tpl_name', '=', filter.tplName);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(TEMPLATE_COLUMNS)
      .orderBy('created_at', 'desc').orderBy('tpl_id', 'asc').limit(limit).offset(offset).execute();
    return { rows: rows.map(toTemplate), total: Number(n) };
  }

  async findSignature(accountId: number, smsSign: string): Promise<SignatureRecord | undefined> {
    const row = await this.db.selectFrom('signatures').select(['sms_sign', 'channel_number', 'app_name'])
      .where('account_id', '=', accountId).where('sms_sign', '=', smsSign).executeTakeFirst();
    return row && { smsSign: row.sms_sign, channelNumber: row.channel_number, appName: row.app_name };
  }

  async listSignatures(accountId: number): Promise<SignatureRecord[]> {
    const rows = await this.db.selectFrom('signatures').select(['sms_sign', 'channel_number', 'app_name'])
      .where('account_id', '=', accountId).orderBy('sms_sign').execute();
    return rows.map((row) => ({ smsSign: row.sms_sign, channelNumber: row.channel_number, appName: row.app_name }));
  }

  async createSendTask(accountId: number, task: NewSendTask, details: SendDetail[], jobs: OutboxJobInput[], now: number): Promise<void> {
    await this.ensureMonthsOf(details);
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('send_tasks').values({
        account_id: accountId, task_id: task.taskId, task_name: task.taskName, tpl_id: task.tplId, sms_sign: task.smsSign,
        created_at: task.createdAt, sms_tpl_id: task.smsTplId, channel_number: task.channelNumber,
        sms_app_name: task.smsAppName, aim_code_type: task.aimCodeType, resolve_times: task.resolveTimes,
        expiration_time: task.expirationTime, generation_type: task.generationType, domain: task.domain,
        submission_count: task.submissionCount, task_state: 'Success',
      }).execute();
      const inserted = await this.insertDetailsTx(tx, accountId, details, now);
      if (inserted.length !== details.length) throw new Error('a new send task\'s msg_id already existed');
      await this.enqueueTx(tx, jobs, now);
    });
  }

  async listSendTasks(accountId: number, filter: SendTaskFilter, offset: number, limit: number): Promise<{ rows: SendTaskSummary[]; total: number }> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
      let q = tx.selectFrom('send_tasks').where('account_id', '=', accountId)
        .where('created_at', '>=', filter.createdFrom).where('created_at', '<=', filter.createdTo);
      if (filter.taskId !== undefined) q = q.where('task_id', '=', filter.taskId);
      if (filter.taskName !== undefined) q = q.where('task_name', '=', filter.taskName);
      if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
      if (filter.taskState !== undefined) q = q.where('task_state', '=', filter.taskState);
      if (filter.tplName !== undefined) {
        const name = filter.tplName;
        q = q.where('tpl_id', 'in', (eb) => eb.selectFrom('templates').select('tpl_id')
          .where('account_id', '=', accountId).where('tpl_name', '=', name));
      }
      const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const total = Number(n);
      if (limit === 0 || offset >= total) return { rows: [], total };
      const tasks = await q.select([
        'task_id', 'task_name', 'tpl_id', 'sms_sign', 'sms_tpl_id', 'channel_number', 'sms_app_name', 'task_state',
        'created_at', 'submission_count',
      ]).orderBy('created_at', 'desc').orderBy('task_id', 'asc').limit(limit).offset(offset).execute();
      const counts = tasks.length === 0 ? [] : await tx.selectFrom('send_details')
        .select(['task_id', 'send_status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('account_id', '=', accountId).where('task_id', 'in', tasks.map((t) => t.task_id))
        .groupBy(['task_id', 'send_status']).execute();
      const byTask = new Map<string, SendTaskSummary['details']>();
      for (const c of counts) {
        const entry = byTask.get(c.task_id as string) ?? { total: 0, sending: 0, success: 0, fail: 0 };
        const name = STATUS_NAMES[c.send_status];
        if (name) entry[name] += Number(c.n);
        entry.total += Number(c.n);
        byTask.set(c.task_id as string, entry);
      }
      return {
        total,
        rows: tasks.map((t) => {
          const details = byTask.get(t.task_id) ?? { total: 0, sending: 0, success: 0, fail: 0 };
          return {
            taskId: t.task_id, taskName: t.task_name, tplId: t.tpl_id, smsSign: t.sms_sign, smsTplId: t.sms_tpl_id,
            channelNumber: t.channel_number, smsAppName: t.sms_app_name, taskState: t.task_state, createdAt: t.created_at,
            submissionCount: t.submission_count ?? details.total, details,
          };
        }),
      };
    });
  }

  async sendReport(accountId: number, filter: SendReportFilter, offset: number, limit: number): Promise<{ rows: SendReportRow[]; total: number }> {
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (tx) => {
      let q = tx.selectFrom('send_status_counts')
        .select(['tpl_id', 'day', 'send_status', (eb) => eb.fn.sum<number>('n').as('n')])
        .where('account_id', '=', accountId).where('tpl_id', '<>', '')
        .where('day', '>=', filter.fromDay).where('day', '<=', filter.toDay);
      if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
      if (filter.tplName !== undefined) {
        const name = filter.tplName;
        q = q.where('tpl_id', 'in', (eb) => eb.selectFrom('templates').select('tpl_id')
          .where('account_id', '=', accountId).where('tpl_name', '=', name));
      }
      const sums = await q.groupBy(['tpl_id', 'day', 'send_status']).execute();
      const rows = new Map<string, SendReportRow>();
      for (const s of sums) {
        const n = Number(s.n);
        if (n === 0) continue;
        const period = filter.monthly ? monthStart(s.day) : s.day;
        const key = `${period}\u0000${s.tpl_id}`;
        const row = rows.get(key) ?? { period, tplId: s.tpl_id, tplName: null, total: 0, success: 0, fail: 0 };
        row.total += n;
        if (s.send_status === STATUS_CODES.success) row.success += n;
        if (s.send_status === STATUS_CODES.fail) row.fail += n;
        rows.set(key, row);
      }
      const ordered = [...rows.values()].sort((a, b) => b.period - a.period || compareText(a.tplId, b.tplId));
      const page = limit === 0 ? [] : ordered.slice(offset, offset + limit);
      const ids = [...new Set(page.map((r) => r.tplId))];
      const names = ids.length === 0 ? [] : await tx.selectFrom('templates').select(['tpl_id', 'tpl_name'])
        .where('account_id', '=', accountId).where('tpl_id', 'in', ids).execute();
      const nameOf = new Map(names.map((t) => [t.tpl_id, t.tpl_name]));
      return { rows: page.map((r) => ({ ...r, tplName: nameOf.get(r.tplId) ?? null })), total: ordered.length };
    });
  }

  async ingestDeliveryReports(reports: ReceivedReport[], now: number): Promise<ReportResult[]> {
    return this.db.transaction().execute(async (tx) => {
      const results: ReportResult[] = [];
      const pending: PendingStatusCounts = [];
      for (const received of reports) {
        if (!received.ok) {
          await tx.insertInto('delivery_reports').values({
            report_key: null, msg_id: received.msgId, account_id: null, raw: received.raw, state: 'rejected',
            reason: received.reason, received_at: now, applied_at: null,
          }).execute();
          results.push({ outcome: 'rejected', reason: received.reason });
          continue;
        }
        const { report } = received;
        const stored = await tx.insertInto('delivery_reports').values({
          report_key: reportKey(report), msg_id: report.msgId, account_id: null, raw: received.raw, state: 'parked',
          reason: null, received_at: now, applied_at: null,
        }).onConflict((oc) => oc.column('report_key').doNothing()).returning('id').executeTakeFirst();
        if (!stored) {
          // Kept as received too, without the key (it belongs to the first copy).
          const reason = 'this report was received before';
          await tx.insertInto('delivery_reports').values({
            report_key: null, msg_id: report.msgId, account_id: null, raw: received.raw, state: 'duplicate',
            reason, received_at: now, applied_at: null,
          }).execute();
          results.push({ outcome: 'duplicate', reason });
          continue;
        }
        const messages = await this.findMessages(tx, [report.msgId]);
        if (messages.length === 0) {
          results.push({ outcome: 'parked', reason: 'no message with this msg_id yet; applied when it arrives' });
          continue;
        }
        if (messages.length > 1) {
          const reason = 'msg_id belongs to more than one account';
          await tx.updateTable('delivery_reports').set({ state: 'rejected', reason }).where('id', '=', stored.id).execute();
          results.push({ outcome: 'rejected', reason });
          continue;
        }
        results.push(await this.applyReport(tx, stored.id, report, messages[0] as MessageRow, now, pending));
      }
      await this.flushStatusCounts(tx, pending);
      return results;
    });
  }

  /** Messages by msg_id across accounts (a delivery report names no account). */
  private async findMessages(tx: Transaction<Database>, msgIds: string[]): Promise<MessageRow[]> {
    if (this.adapter.partitions) {
      // The id table says where each message lives; with those send_times as constants the
      // planner reads one partition's index per message. (As a join, it may instead scan every
      // partition for the msg_id — a whole-table scan per delivery report.)
      const places = await tx.selectFrom('send_detail_ids').select(['account_id', 'msg_id', 'send_time'])
        .where('msg_id', 'in', msgIds).execute();
      if (places.length === 0) return [];
      return tx.selectFrom('send_details').select(MESSAGE_COLUMNS)
        .where((eb) => eb.or(places.map((p) => eb.and([
          eb('account_id', '=', p.account_id), eb('msg_id', '=', p.msg_id), eb('send_time', '=', p.send_time),
        ]))))
        .execute();
    }
    return tx.selectFrom('send_details').select(MESSAGE_COLUMNS)
      .where('msg_id', 'in', msgIds).execute();
  }

  /**
   * Applies one stored report to its message: a final status is set once and never changes, a
   * pending word ("still under way") is recorded only. The status counter changes go to
   * `counts`, written by the caller at the end of the transaction (flushStatusCounts).
   */
  private async applyReport(tx: Transaction<Database>, reportRowId: number, report: DeliveryReport, message: MessageRow, now: number, counts: PendingStatusCounts): Promise<ReportResult> {
    const settle = async (state: string, reason: string | null) => {
      await tx.updateTable('delivery_reports').set({ state, reason, account_id: message.account_id, applied_at: now })
        .where('id', '=', reportRowId).execute();
    };
    if (message.send_status !== STATUS_CODES.sending) {
      const reason = `message is already ${STATUS_NAMES[message.send_status] ?? 'final'}; a final status never changes`;
      await settle('duplicate', reason);
      return { outcome: 'duplicate', reason };
    }
    if (report.verdict === 'pending') {
      const reason = `${report.status} is not final; the message is still sending`;
      await settle('applied', reason);
      return { outcome: 'applied', reason };
    }
    const status = report.verdict === 'success' ? STATUS_CODES.success : STATUS_CODES.fail;
    const updated = await tx.updateTable('send_details')
      .set({
        send_status: status,
        receive_time: report.receiveTime,
        result_code: status === STATUS_CODES.fail ? (report.resultCode ?? report.status) : null,
        updated_at: now,
      })
      .where('account_id', '=', message.account_id).where('msg_id', '=', message.msg_id)
      .where('send_time', '=', message.send_time).where('send_status', '=', STATUS_CODES.sending)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new Error(`message ${message.msg_id} changed under a report`);
    const day = dayOf(message.send_time);
    const tplId = message.tpl_id ?? '';
    counts.push(
      { accountId: message.account_id, tplId, day, status: STATUS_CODES.sending, n: -1 },
      { accountId: message.account_id, tplId, day, status, n: 1 },
    );
    message.send_status = status;
    await settle('applied', null);
    await this.enqueueReceipts(tx, message, report, status, now);
    return { outcome: 'applied' };
  }

  /**
   * A message reached a final status: one receipt job per receipt URL the account has (url_type
   * 0, single; 2, batched), in the same transaction, so no final status goes without its receipt.
   */
  private async enqueueReceipts(tx: Transaction<Database>, message: MessageRow, report: DeliveryReport, status: number, now: number): Promise<void> {
    const targets = await tx.selectFrom('callbacks as c').innerJoin('accounts as a', 'a.id', 'c.account_id')
      .select(['c.url_type', 'a.domain_id'])
      .where('c.account_id', '=', message.account_id).where('c.url_type', 'in', [0, 2]).execute();
    if (targets.length === 0) return;
    const receipt = {
      task_id: message.task_id, cust_flag: message.cust_flag, msg_id: message.msg_id, tpl_id: message.tpl_id,
      sms_sign: message.sms_sign, aim_code: null, aim_url: null,
      send_time: formatContractTime(message.send_time), receive_time: formatContractTime(report.receiveTime),
      send_status: report.status, send_status_desc: status === STATUS_CODES.success ? '发送成功' : `发送失败: ${report.resultCode ?? report.status}`,
      total: 1, sequence: 1,
    };
    await this.enqueueTx(tx, targets.map((t) => ({
      kind: RECEIPT_JOB,
      accountId: message.account_id,
      payload: { urlType: t.url_type, domainId: t.domain_id, receipt },
      runAt: t.url_type === 2 ? now + BATCH_GATHER_MS : now,
    })), now);
  }

  /** Applies reports parked for messages that were just inserted, in the order they arrived. */
  private async applyParked(tx: Transaction<Database>, inserted: MessageRow[], now: number, counts: PendingStatusCounts): Promise<void> {
    const byId = new Map(inserted.map((m) => [m.msg_id, m]));
    const ids = [...byId.keys()];
    for (const part of chunks(ids, 1, this.adapter.maxParameters)) {
      const parked = await tx.selectFrom('delivery_reports').select(['id', 'raw', 'msg_id'])
        .where('state', '=', 'parked').where('msg_id', 'in', part).orderBy('id').execute();
      for (const row of parked) {
        const received = parseDeliveryReport(JSON.parse(row.raw));
        const message = byId.get(row.msg_id as string);
        if (!received.ok || !message) continue;
        await this.applyReport(tx, row.id, received.report, message, now, counts);
      }
    }
  }

  async upsertCallback(accountId: number, urlType: number, url: string, now: number): Promise<{ callback: CallbackRecord; replaced: boolean }> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('callbacks').select('id').where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirst();
      if (existing) {
        await tx.updateTable('callbacks').set({ callback_url: url, updated_at: now })
          .where('account_id', '=', accountId).where('url_type', '=', urlType).execute();
      } else {
        await tx.insertInto('callbacks').values({ account_id: accountId, url_type: urlType, id: randomUUID(), callback_url: url, created_at: now, updated_at: now }).execute();
      }
      const row = await tx.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirstOrThrow();
      return { callback: toCallback(row), replaced: existing !== undefined };
    });
  }

  async listCallbacks(accountId: number): Promise<CallbackRecord[]> {
    const rows = await this.db.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).orderBy('url_type').execute();
    return rows.map(toCallback);
  }

  async findCallback(accountId: number, urlType: number): Promise<CallbackRecord | undefined> {
    const row = await this.db.selectFrom('callbacks').select(CALLBACK_COLUMNS).where('account_id', '=', accountId).where('url_type', '=', urlType).executeTakeFirst();
    return row && toCallback(row);
  }

  async domainIdOf(accountId: number): Promise<string | undefined> {
    return (await this.db.selectFrom('accounts').select('domain_id').where('id', '=', accountId).executeTakeFirst())?.domain_id;
  }

  async upsertSmsTemplate(accountId: number, smsTplId: string, content: string, now: number): Promise<void> {
    await this.db.insertInto('sms_templates').values({ account_id: accountId, sms_tpl_id: smsTplId, content, created_at: now })
      .onConflict((oc) => oc.columns(['account_id', 'sms_tpl_id']).doUpdateSet({ content: (eb) => eb.ref('excluded.content') }))
      .execute();
  }

  async findSmsTemplate(accountId: number, smsTplId: string): Promise<string | undefined> {
    return (await this.db.selectFrom('sms_templates').select('content').where('account_id', '=', accountId).where('sms_tpl_id', '=', smsTplId).executeTakeFirst())?.content;
  }

  async listSmsTemplates(accountId: number): Promise<Array<{ smsTplId: string; content: string }>> {
    const rows = await this.db.selectFrom('sms_templates').select(['sms_tpl_id', 'content']).where('account_id', '=', accountId).orderBy('sms_tpl_id').execute();
    return rows.map((r) => ({ smsTplId: r.sms_tpl_id, content: r.content }));
  }

  async enqueue(jobs: OutboxJobInput[], now: number): Promise<void> {
    if (jobs.length === 0) return;
    await this.db.transaction().execute((tx) => this.enqueueTx(tx, jobs, now));
  }

  private async enqueueTx(tx: Transaction<Database>, jobs: OutboxJobInput[], now: number): Promise<void> {
    for (const part of chunks(jobs, 5, this.adapter.maxParameters)) {
      await tx.insertInto('outbox').values(part.map((j) => ({
        kind: j.kind, account_id: j.accountId, payload: JSON.stringify(j.payload), run_at: j.runAt, created_at: now,
      }))).execute();
    }
  }

  async claimJobs(now: number, limit: number, leaseMs: number): Promise<OutboxJob[]> {
    return this.db.transaction().execute(async (tx) => {
      const due = await tx.selectFrom('outbox').select('id')
        .where('run_at', '<=', now)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .orderBy('run_at').orderBy('id').limit(limit)
        .$if(this.adapter.skipLocked, (qb) => qb.forUpdate().skipLocked())
        .execute();
      if (due.length === 0) return [];
      const rows = await tx.updateTable('outbox')
        .set((eb) => ({ locked_until: now + leaseMs, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', due.map((r) => r.id))
        .returning(['id', 'kind', 'account_id', 'payload', 'attempts', 'created_at'])
        .execute();
      return rows.sort((a, b) => a.id - b.id).map((r) => ({
        id: r.id, kind: r.kind, accountId: r.account_id, payload: JSON.parse(r.payload) as unknown, attempts: r.attempts,
        createdAt: r.created_at,
      }));
    });
  }

  async completeJob(id: number): Promise<void> {
    await this.db.deleteFrom('outbox').where('id', '=', id).execute();
  }

  async retryJob(id: number, runAt: number, error: string): Promise<void> {
    await this.db.updateTable('outbox').set({ run_at: runAt, locked_until: null, last_error: error.slice(0, 1000) })
      .where('id', '=', id).execute();
  }

  async backup(file: string): Promise<boolean> {
    if (!this.adapter.backup) return false;
    await this.adapter.backup(file);
    return true;
  }

  onQuery(listener: (ms: number, ok: boolean) => void): void {
    this.queryListeners.push(listener);
  }

  poolStats(): { total: number; idle: number; waiting: number } | null {
    return this.adapter.poolStats();
  }

  async outboxStats(): Promise<Array<{ kind: string; jobs: number; oldestCreatedAt: number }>> {
    const rows = await this.db.selectFrom('outbox')
      .select(['kind', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min<number>('created_at').as('oldest')])
      .groupBy('kind').execute();
    return rows.map((r) => ({ kind: r.kind, jobs: Number(r.n), oldestCreatedAt: Number(r.oldest) }));
  }

  async pendingJobs(): Promise<number> {
    const { n } = await this.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(n);
  }

  async optimize(): Promise<void> {
    for (const statement of this.adapter.optimizeStatements) await sql.raw(statement).execute(this.db);
  }

  async listSendDetails(accountId: number, filter: SendDetailsFilter, offset: number, limit: number): Promise<SendDetailsPage> {
    // One read-only snapshot for the count and the page, so total and rows always agree.
    return this.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only')
      .execute(async (tx) => {
        const total = await this.countMatching(tx, accountId, filter);
        if (limit === 0 || offset >= total) return { rows: [], total };
        const matching = applyFilter(tx.selectFrom('send_details'), accountId, filter);
        const rows = this.adapter.deferredJoin
          // Deferred join: the offset is walked in the index alone (every filter index ends in
          // send_time, msg_id), and only the page's rows are read from the table.
          ? await tx.selectFrom(matching.select(['msg_id', 'send_time'])
            .orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(limit).offset(offset).as('k'))
            .innerJoin('send_details as d', (join) => join.on('d.account_id', '=', accountId)
              .onRef('d.msg_id', '=', 'k.msg_id').onRef('d.send_time', '=', 'k.send_time'))
            .select(DETAIL_COLUMNS.map((c) => `d.${c}` as const))
            .orderBy('k.send_time', 'desc').orderBy('k.msg_id', 'asc')
            .execute()
          : await matching.select(DETAIL_COLUMNS)
            .orderBy('send_time', 'desc').orderBy('msg_id', 'asc').limit(limit).offset(offset)
            .execute();
        return { rows: rows.map(toDetail), total };
      });
  }
}

function applyFilter<O>(
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
