import type { Account, Role, TokenScope, User, UserStatus } from '../domain/identity.js';
import type { ReceivedReport, ReportOutcome } from '../domain/delivery-report.js';
import type { SendDetail, SendDetailsFilter } from '../domain/send-detail.js';

/** A page of send details and the exact number of rows matching the filter, from one snapshot. */
export interface SendDetailsPage {
  rows: SendDetail[];
  total: number;
}

export interface TokenRecord {
  account: Account;
  user: User;
  issuedAt: number;
  expiresAt: number;
  scope: TokenScope;
  method: 'password' | 'token';
}

export type AccessKeyStatus = 'active' | 'inactive';

export interface AccessKeyRecord {
  accessKey: string;
  account: Account;
  user: User;
  /** The secret key encrypted under the master key; only the keyring can read it. */
  secretEnc: string;
  status: AccessKeyStatus;
  createdAt: number;
}

/** An access key as listings show it: never the secret. */
export interface AccessKeySummary {
  accessKey: string;
  userName: string;
  status: AccessKeyStatus;
  createdAt: number;
}

export interface TemplateRecord {
  tplId: string;
  tplName: string;
}

export interface SignatureRecord {
  smsSign: string;
  channelNumber: string | null;
  appName: string | null;
}

/** A template as the API lists it. */
export interface TemplateInfo {
  tplId: string;
  tplName: string;
  /** 1 enabled, 0 disabled. */
  tplState: number;
  description: string | null;
  createdAt: number;
}

export interface TemplateFilter {
  tplId?: string;
  tplName?: string;
  /** Inclusive creation-time bounds, both or neither. */
  createdFrom?: number;
  createdTo?: number;
}

/** A send task created through the API, as stored in the same transaction as its details. */
export interface NewSendTask {
  taskId: string;
  taskName: string;
  tplId: string;
  smsSign: string;
  createdAt: number;
  smsTplId: string;
  channelNumber: string;
  smsAppName: string;
  aimCodeType: string;
  resolveTimes: number;
  expirationTime: number;
  generationType: string;
  domain: string | null;
  submissionCount: number;
}

export interface SendTaskFilter {
  taskId?: string;
  taskName?: string;
  tplId?: string;
  tplName?: string;
  /** 'Success' or 'Failed'. */
  taskState?: string;
  /** Inclusive creation-time bounds. */
  createdFrom: number;
  createdTo: number;
}

/** A task with its counters, counted from its details in the same snapshot. */
export interface SendTaskSummary {
  taskId: string;
  taskName: string;
  tplId: string | null;
  smsSign: string | null;
  smsTplId: string | null;
  channelNumber: string | null;
  smsAppName: string | null;
  taskState: string;
  createdAt: number;
  /** Recipients submitted (details for imported tasks). */
  submissionCount: number;
  details: { total: number; sending: number; success: number; fail: number };
}

export interface SendReportFilter {
  /** Months instead of days. */
  monthly: boolean;
  tplId?: string;
  tplName?: string;
  /** UTC days (epoch ms of midnight), inclusive. */
  fromDay: number;
  toDay: number;
}

/** Messages of one template in one day or month, by status. */
export interface SendReportRow {
  /** Epoch ms of the day's or month's start (UTC). */
  period: number;
  tplId: string;
  tplName: string | null;
  total: number;
  success: number;
  fail: number;
}

export interface OutboxJobInput {
  kind: string;
  accountId: number | null;
  payload: unknown;
  runAt: number;
}

export interface OutboxJob {
  id: number;
  kind: string;
  accountId: number | null;
  payload: unknown;
  /** Including this claim. */
  attempts: number;
  createdAt: number;
}

/** The outbox kind of a receipt push (enqueued by the store, pushed by pipeline/receipts.ts). */
export const RECEIPT_JOB = 'receipt';

export interface CallbackRecord {
  id: string;
  urlType: number;
  callbackUrl: string;
  createdAt: number;
  updatedAt: number;
}

export interface ReportResult {
  outcome: ReportOutcome;
  reason?: string;
}

export interface TaskRecord {
  taskId: string;
  taskName: string;
  tplId: string | null;
  smsSign: string | null;
  createdAt: number;
}

/**
 * Everything the services need from persistence. One implementation over Kysely serves SQLite and
 * PostgreSQL; driver errors are translated to domain errors here, never leaked upward.
 */
export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  /** Applies pending migrations; harmless when there are none. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /** True when `error` means the database cannot answer right now (the API says retry, with Retry-After). */
  isUnavailable(error: unknown): boolean;
  /** Hears connection errors outside any query (an idle pooled connection dropped), to log them. */
  onConnectionError(listener: (error: Error) => void): void;
  close(): Promise<void>;

  /** Throws Conflict when the name is taken. */
  createAccount(input: { name: string; domainId: string; projectId: string; now: number }): Promise<Account>;
  findAccountByName(name: string): Promise<Account | undefined>;
  findAccountByDomainId(domainId: string): Promise<Account | undefined>;
  /** Throws Conflict when the account already has a user of that name. */
  createUser(input: { accountId: number; name: string; publicId: string; role: Role; passwordHash: string | null; now: number }): Promise<User>;
  findUser(accountId: number, name: string): Promise<User | undefined>;
  /** Every account, by name, with its number of users. */
  listAccounts(): Promise<Array<Account & { createdAt: number; users: number }>>;
  /** The account's users by name (enabled or not), never their password hashes. */
  listUsers(accountId: number): Promise<Array<User & { hasPassword: boolean; createdAt: number }>>;
  /** Changes a user's role, password or status; disabling also deletes its tokens. */
  updateUser(userId: number, change: { role?: Role; passwordHash?: string | null; status?: UserStatus }): Promise<void>;
  /** Deletes the user with its tokens and access keys, in one transaction. */
  deleteUser(userId: number): Promise<void>;
  /** Deletes one token; its owner, or undefined when there was no such token. */
  revokeToken(tokenHash: string): Promise<{ accountId: number; userId: number } | undefined>;
  /** Deletes every token of the user; returns how many. */
  revokeUserTokens(userId: number): Promise<number>;
  /** An enabled user and its password hash (null when it has none), for sign-in. */
  findUserCredentials(accountId: number, name: string): Promise<{ user: User; passwordHash: string | null } | undefined>;
  insertToken(input: {
    tokenHash: string; userId: number; accountId: number; now: number; expiresAt: number;
    scope: TokenScope; method: 'password' | 'token';
  }): Promise<void>;
  /** The token's owner, or undefined for an unknown hash or a disabled user. Expiry is the caller's to judge. */
  findToken(tokenHash: string): Promise<TokenRecord | undefined>;
  /** Removes tokens that expired before `now`; returns how many. */
  deleteExpiredTokens(now: number): Promise<number>;

  /** Throws Conflict when the access key exists already. */
  insertAccessKey(input: { accessKey: string; accountId: number; userId: number; secretEnc: string; now: number }): Promise<void>;
  findAccessKey(accessKey: string): Promise<AccessKeyRecord | undefined>;
  listAccessKeys(accountId: number): Promise<AccessKeySummary[]>;
  /** False when the account has no such key. */
  setAccessKeyStatus(accountId: number, accessKey: string, status: AccessKeyStatus): Promise<boolean>;
  /** False when the account has no such key. */
  deleteAccessKey(accountId: number, accessKey: string): Promise<boolean>;

  /** A deployment-wide setting, or undefined. */
  getSetting(name: string): Promise<string | undefined>;
  /** Stores `value` unless the setting exists; returns the value that is stored now. */
  initSetting(name: string, value: string): Promise<string>;

  upsertTemplates(accountId: number, templates: TemplateRecord[], now: number): Promise<void>;
  upsertSignatures(accountId: number, signatures: SignatureRecord[], now: number): Promise<void>;
  upsertTasks(accountId: number, tasks: TaskRecord[]): Promise<void>;
  findTemplate(accountId: number, tplId: string): Promise<TemplateInfo | undefined>;
  /** Newest first (created_at desc, tpl_id asc). */
  listTemplates(accountId: number, filter: TemplateFilter, offset: number, limit: number): Promise<{ rows: TemplateInfo[]; total: number }>;
  findSignature(accountId: number, smsSign: string): Promise<SignatureRecord | undefined>;
  listSignatures(accountId: number): Promise<SignatureRecord[]>;

  /**
   * One transaction: the task, one detail per recipient and the jobs that dispatch them. When it
   * returns, none of it can be lost.
   */
  createSendTask(accountId: number, task: NewSendTask, details: SendDetail[], jobs: OutboxJobInput[], now: number): Promise<void>;
  /** Newest first (created_at desc, task_id asc), with counters from the tasks' details. */
  listSendTasks(accountId: number, filter: SendTaskFilter, offset: number, limit: number): Promise<{ rows: SendTaskSummary[]; total: number }>;
  /** Per template and day (or month), newest first then tpl_id; only periods with messages. */
  sendReport(accountId: number, filter: SendReportFilter, offset: number, limit: number): Promise<{ rows: SendReportRow[]; total: number }>;

  /**
   * Stores every report as received and applies the valid ones in order, in one transaction:
   * the same report twice changes nothing, a final status never goes back, a report for a message
   * not stored yet is parked and applied when the message arrives.
   */
  ingestDeliveryReports(reports: ReceivedReport[], now: number): Promise<ReportResult[]>;

  /** Registers the account's URL for a url_type, replacing the one it had. */
  upsertCallback(accountId: number, urlType: number, url: string, now: number): Promise<{ callback: CallbackRecord; replaced: boolean }>;
  listCallbacks(accountId: number): Promise<CallbackRecord[]>;
  findCallback(accountId: number, urlType: number): Promise<CallbackRecord | undefined>;
  /** The account's domain_id, for receipts. */
  domainIdOf(accountId: number): Promise<string | undefined>;
  upsertSmsTemplate(accountId: number, smsTplId: string, content: string, now: number): Promise<void>;
  findSmsTemplate(accountId: number, smsTplId: string): Promise<string | undefined>;
  listSmsTemplates(accountId: number): Promise<Array<{ smsTplId: string; content: string }>>;

  enqueue(jobs: OutboxJobInput[], now: number): Promise<void>;
  /** Takes up to `limit` due jobs for `leaseMs`; a job not completed by then can be taken again. */
  claimJobs(now: number, limit: number, leaseMs: number): Promise<OutboxJob[]>;
  completeJob(id: number): Promise<void>;
  /** Releases the job to run again at `runAt`, noting the error. */
  retryJob(id: number, runAt: number, error: string): Promise<void>;
  /** Jobs not yet completed (due or not). */
  pendingJobs(): Promise<number>;
  /** Outbox depth and the oldest job's creation time, by kind. */
  outboxStats(): Promise<Array<{ kind: string; jobs: number; oldestCreatedAt: number }>>;
  /** A consistent copy while serving (SQLite); false where the backend's own tools do it (PostgreSQL). */
  backup(file: string): Promise<boolean>;
  /** Connection pool use (PostgreSQL), or null where there is no pool. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  /** Called with every statement's duration (metrics). */
  onQuery(listener: (ms: number, ok: boolean) => void): void;

  /**
   * Inserts details, skipping any whose msg_id the account already has (idempotent import).
   * Returns how many rows were new.
   */
  insertSendDetails(accountId: number, details: SendDetail[], now: number): Promise<number>;
  /**
   * Creates the storage the coming months need (monthly partitions on PostgreSQL, from the
   * retention horizon to a few months ahead); nothing on SQLite.
   */
  maintainPartitions(now: number, retentionMonths: number): Promise<void>;
  /**
   * Deletes every detail sent before `cutoff` (whole partitions where the backend has them,
   * batches otherwise), keeping totals exact. Returns how many were deleted.
   */
  purge(cutoff: number): Promise<number>;
  /** Refreshes the planner's statistics after a bulk load, so queries keep their index plans. */
  optimize(): Promise<void>;
  /**
   * Every detail matching the filter, in the list's order, in batches: keyset paging, so memory
   * and the cost per batch stay flat however many rows match.
   */
  exportSendDetails(accountId: number, filter: SendDetailsFilter, batchSize?: number): AsyncIterable<SendDetail[]>;
  /** Newest first (send_time desc, msg_id asc); `rows` empty when limit is 0. */
  listSendDetails(accountId: number, filter: SendDetailsFilter, offset: number, limit: number): Promise<SendDetailsPage>;
}
