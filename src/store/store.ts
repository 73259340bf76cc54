import type { Repositories } from './repositories/index.js';
import type { ReplicaStatus } from './replica.js';

export type { ReplicaStatus } from './replica.js';

export type { Repositories } from './repositories/index.js';

/**
 * Everything the services need from persistence: one repository per aggregate, and `transaction`,
 * the unit of work that hands out repositories bound to one transaction. One implementation over
 * Kysely serves SQLite and PostgreSQL; driver errors become domain errors here, never leaked upward.
 */
export interface Store extends Repositories {
  readonly backend: 'sqlite' | 'postgres';
  /**
   * Runs a read that may see data a little behind the writes (queries, lists, reports) on the
   * read replica when there is one and it keeps up; on the primary otherwise, or when the replica
   * fails it. Reads of one's own writes use the repositories directly.
   */
  read<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** The repositories `read` would use now, for reads that stream (exports): no fallback midway. */
  reader(): Repositories;
  /** The read replica's state and lag, or null without one. */
  replicaStatus(): ReplicaStatus | null;
  /** Runs `work` in one transaction: all of it commits, or none of it. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Applies pending migrations; harmless when there are none. */
  migrate(): Promise<void>;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /** True when `error` means the database cannot answer right now (the API says retry, with Retry-After). */
  isUnavailable(error: unknown): boolean;
  /** Hears connection errors outside any query (an idle pooled connection dropped), to log them. */
  onConnectionError(listener: (error: Error) => void): void;
  close(): Promise<void>;
  /** A consistent copy while serving (SQLite); false where the backend's own tools do it (PostgreSQL). */
  backup(file: string): Promise<boolean>;
  /** Connection pool use (PostgreSQL), or null where there is no pool. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  /** Called with every statement's duration (metrics) and text (the distribution test's audit). */
  onQuery(listener: (ms: number, ok: boolean, sql: string) => void): void;
  /**
   * Refreshes the planner's statistics after a bulk load, so queries keep their index plans. With
   * `ifStale`, only when the table's size moved by a tenth or more since they were taken (a small
   * import into a large table would otherwise re-read all of it, holding SQLite's write lock
   * meanwhile); says whether it ran.
   */
  optimize(options?: { ifStale?: boolean }): Promise<boolean>;
  /**
   * Runs `work`, a bulk load (an import), with this store's connection set up for one (SQLite:
   * the write-ahead log is copied into the file less often), and puts it back after.
   */
  bulkLoad<T>(work: () => Promise<T>): Promise<T>;
}
