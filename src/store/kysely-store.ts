import { Kysely, Migrator, sql } from 'kysely';
import { inTransaction, type StoreContext } from './context.js';
import type { DialectAdapter } from './dialect.js';
import { DatabaseOpenError } from './open-error.js';
import { migrationProvider } from './migrations.js';
import { repositoriesFor, type Repositories } from './repositories/index.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';
import { QueryTemplates } from './query-templates.js';
import { TOKEN_CACHE_MS, TokenCache } from './token-cache.js';
import { ReplicaRouter, type ReplicaStatus } from './replica.js';

/** How long an instance waits for another one's migrations on SQLite. */
const MIGRATION_WAIT_MS = 120_000;
/** The share of rows added or removed since statistics were taken that makes them stale. */
const STALE_STATISTICS = 0.1;

/** The Store over Kysely; the same code runs on every backend the adapter describes. */
export class KyselyStore implements Store {
  readonly db: Kysely<Database>;
  readonly backend: 'sqlite' | 'postgres';
  private readonly queryListeners: Array<(ms: number, ok: boolean, sql: string) => void> = [];
  private readonly ctx: StoreContext;
  private readonly repositories: Repositories;
  /** With a read replica: its connection, its repositories and what decides when to use them. */
  private readonly replica: { db: Kysely<Database>; repositories: Repositories; router: ReplicaRouter } | undefined;

  /**
   * `tokenCacheMs` (default 2 s; 0: none) and `now` (tests) shape the token cache (token-cache.ts).
   * `readAdapter` connects to a streaming replica that `read` sends queries to (`replicaMaxLagMs`:
   * further behind than this, they go to the primary).
   */
  constructor(private readonly adapter: DialectAdapter, options: {
    tokenCacheMs?: number; now?: () => number; readAdapter?: DialectAdapter; replicaMaxLagMs?: number; replicaProbeMs?: number;
  } = {}) {
    this.db = new Kysely<Database>({
      dialect: adapter.dialect,
      log: (event) => this.observe(event.queryDurationMillis, event.level === 'query', event.query.sql),
    });
    this.backend = adapter.backend;
    this.ctx = {
      root: this.db, db: this.db, adapter, knownMonths: new Set(), counts: null, queryShapes: new QueryTemplates(),
      observe: (ms, ok, text) => this.observe(ms, ok, text),
      tokenCache: new TokenCache(options.tokenCacheMs ?? TOKEN_CACHE_MS, options.now),
    };
    this.repositories = repositoriesFor(this.ctx);
    const readAdapter = options.readAdapter;
    if (readAdapter) {
      const db = new Kysely<Database>({ dialect: readAdapter.dialect });
      const ctx: StoreContext = { ...this.ctx, root: db, db, adapter: readAdapter, knownMonths: new Set(), queryShapes: new QueryTemplates() };
      const router = new ReplicaRouter(this.db, db, {
        isUnavailable: (error) => readAdapter.isUnavailable(error),
        ...(options.replicaMaxLagMs !== undefined ? { maxLagMs: options.replicaMaxLagMs } : {}),
        ...(options.replicaProbeMs !== undefined ? { probeMs: options.replicaProbeMs } : {}),
      });
      this.replica = { db, repositories: repositoriesFor(ctx), router };
    }
  }

  read<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.replica ? this.replica.router.read(this.replica.repositories, this.repositories, work) : work(this.repositories);
  }

  reader(): Repositories {
    return this.replica?.router.useReplica ? this.replica.repositories : this.repositories;
  }

  replicaStatus(): ReplicaStatus | null {
    return this.replica?.router.status() ?? null;
  }

  /** Checks the replica's state and lag now instead of at the next probe (tests). */
  async probeReplica(): Promise<void> {
    await this.replica?.router.probe();
  }

  get accounts() { return this.repositories.accounts; }
  get users() { return this.repositories.users; }
  get tokens() { return this.repositories.tokens; }
  get accessKeys() { return this.repositories.accessKeys; }
  get settings() { return this.repositories.settings; }
  get templates() { return this.repositories.templates; }
  get materials() { return this.repositories.materials; }
  get links() { return this.repositories.links; }
  get resolveTasks() { return this.repositories.resolveTasks; }
  get templateReports() { return this.repositories.templateReports; }
  get signatures() { return this.repositories.signatures; }
  get smsTemplates() { return this.repositories.smsTemplates; }
  get callbacks() { return this.repositories.callbacks; }
  get details() { return this.repositories.details; }
  get tasks() { return this.repositories.tasks; }
  get sendReports() { return this.repositories.sendReports; }
  get deliveryReports() { return this.repositories.deliveryReports; }
  get outbox() { return this.repositories.outbox; }
  get retention() { return this.repositories.retention; }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return inTransaction(this.ctx, (tx) => work(repositoriesFor(tx)));
  }

  /**
   * Migrates to the latest schema, or only up to `target` (a migration name; tests use it). Several
   * instances may start at once: on PostgreSQL Kysely's migrator takes an advisory lock, so one
   * migrates and the others wait for it and find nothing left to do; on SQLite the whole run is
   * one `BEGIN IMMEDIATE` transaction (other processes wait for the file's write lock), which also
   * makes a failed migration leave nothing behind.
   */
  async migrate(target?: string): Promise<void> {
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.adapter),
      ...(this.adapter.schema ? { migrationTableSchema: this.adapter.schema } : {}),
    });
    const run = async () => {
      const { error } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
      if (error) throw error;
    };
    try {
      if (this.adapter.backend !== 'sqlite') return await run();
      await this.beginImmediate();
      try {
        await run();
      } catch (error) {
        await sql`rollback`.execute(this.db);
        throw error;
      }
      await sql`commit`.execute(this.db);
    } catch (error) {
      const why = this.adapter.describeOpenFailure?.(error);
      throw why ? new DatabaseOpenError(why, { cause: error }) : error;
    }
  }

  /** Takes SQLite's write lock, waiting (without blocking the event loop) while another process migrates. */
  private async beginImmediate(): Promise<void> {
    const deadline = Date.now() + MIGRATION_WAIT_MS;
    for (;;) {
      try {
        await sql`begin immediate`.execute(this.db);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
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
    if (this.replica) {
      await this.replica.router.close();
      await this.replica.db.destroy();
    }
    await this.db.destroy();
  }

  async backup(file: string): Promise<boolean> {
    if (!this.adapter.backup) return false;
    await this.adapter.backup(file);
    return true;
  }

  private observe(ms: number, ok: boolean, text: string): void {
    for (const listener of this.queryListeners) listener(ms, ok, text);
  }

  onQuery(listener: (ms: number, ok: boolean, sql: string) => void): void {
    this.queryListeners.push(listener);
  }

  poolStats(): { total: number; idle: number; waiting: number } | null {
    return this.adapter.poolStats();
  }

  async bulkLoad<T>(work: () => Promise<T>): Promise<T> {
    const { begin, end } = this.adapter.bulkLoadStatements;
    await this.runAll(begin);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      // The load's own failure is what the caller needs to see, not one of putting back.
      await this.runAll(end).catch(() => {});
      throw error;
    }
    await this.runAll(end);
    return result;
  }

  /** Runs statements written as text by the adapter, one after another. */
  private async runAll(statements: readonly string[]): Promise<void> {
    for (const statement of statements) await sql.raw(statement).execute(this.db);
  }

  async optimize(options: { ifStale?: boolean } = {}): Promise<boolean> {
    if (options.ifStale && !(await this.statisticsStale())) return false;
    await this.runAll(this.adapter.optimizeStatements);
    return true;
  }

  /**
   * Whether send_details now holds a material share (STALE_STATISTICS) more or fewer rows than
   * its statistics were taken at. The current count is the counters' sum over every account
   * ("any" template and signature), a few rows a day, not a scan of the table.
   */
  private async statisticsStale(): Promise<boolean> {
    const analyzed = await this.adapter.analyzedDetailRows(this.db);
    if (analyzed === null) return true;
    const [row] = await this.db.selectFrom('send_detail_counts')
      .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
      .where('tpl_id', '=', '').where('sms_sign', '=', '')
      .execute();
    const current = Number(row?.n ?? 0);
    return Math.abs(current - analyzed) >= STALE_STATISTICS * Math.max(analyzed, 1);
  }
}
