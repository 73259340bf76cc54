import type { ColumnDefinitionBuilder, Dialect, Kysely } from 'kysely';
import type { FileStore } from './file-store.js';
import type { Database } from './schema.js';
import type { PartitionManager } from './partitions.js';

/**
 * The comment that follows `select` in a statement whose plan may be made once and reused for
 * any values: its filters are equalities or bounded ranges and its LIMIT is bounded in the text,
 * so no value changes which index is right. PostgreSQL runs such statements with their generic
 * plan, made once per connection; other reads are planned as PostgreSQL chooses
 * (named-statements.ts). Other backends ignore the comment.
 */
export const GENERIC_PLAN = '/* generic plan */';

/**
 * What differs between backends, as data. Query code is written once against Kysely and consults
 * these flags; `if (backend === …)` appears only in the dialect folders.
 */
export interface DialectAdapter {
  readonly backend: 'sqlite' | 'postgres';
  /** The Kysely dialect, already connected. */
  readonly dialect: Dialect;
  /** Schema (PostgreSQL) holding every table, including the migration bookkeeping; null on SQLite. */
  readonly schema: string | null;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  /**
   * Collation clause that orders text by code point, so msg_id ties break the same way on every
   * backend whatever the database's default collation; null where that is already the default.
   */
  readonly binaryCollation: string | null;
  /**
   * Statements that refresh statistics after a bulk load (PostgreSQL also needs VACUUM to mark the
   * new rows all-visible, or index-only scans still visit the heap for every row).
   */
  readonly optimizeStatements: readonly string[];
  /** Statements that set a connection up for a bulk load, and that put it back (Store.bulkLoad). */
  readonly bulkLoadStatements: { readonly begin: readonly string[]; readonly end: readonly string[] };
  /**
   * How many send_details rows the planner's statistics were taken at, or null where there are
   * none yet (see KyselyStore.optimize).
   */
  analyzedDetailRows(db: Kysely<Database>): Promise<number | null>;
  /**
   * Monthly partitions of send_details, or null. With partitions the table's key must include
   * send_time, so msg_id uniqueness per account lives in send_detail_ids instead.
   */
  readonly partitions: PartitionManager | null;
  /**
   * Whether pages use a deferred join (walk the offset in the covering index, then read only the
   * page's rows). Right for SQLite; on partitioned PostgreSQL the planner turns it into a hash
   * join over every partition, while the plain ordered query reads the newest partition only.
   */
  readonly deferredJoin: boolean;
  /**
   * Whether a deep page first asks the day counters where it begins (planSeek), so the index walks
   * at most a day's matches rather than the whole offset. On PostgreSQL each key walked costs about
   * 0.2 µs and the seek one statement: at 10M details, offset 9900, 1.6-3.4 ms became 0.9-1.3 ms
   * (store p50). SQLite walks 10,000 keys in about 0.3 ms, less than the seek costs (0.89-0.92 ms
   * became 1.0-1.4), so it walks.
   */
  readonly seekDeepPages: boolean;
  /** The column type of raw bytes. */
  readonly binaryType: 'blob' | 'bytea';
  /**
   * Where material bytes live outside the database (SQLite: a folder beside the database file),
   * or null: in the database (material_blobs), where every instance reads them (PostgreSQL).
   */
  readonly materialFiles: FileStore | null;
  /**
   * Bulk load into a table on the given connection (PostgreSQL: COPY FROM STDIN); null where
   * insertEach is the bulk path (SQLite).
   */
  readonly copyRows: ((db: Kysely<Database>, table: string, columns: readonly string[], rows: Iterable<ReadonlyArray<string | number | null>>) => Promise<void>) | null;
  /**
   * An INSERT of one row into `table`, prepared once, that skips a row conflicting on the
   * `conflict` columns: `run` executes it for each row and says of each whether it went in. On
   * SQLite's one connection it joins the transaction open there, so run it inside one. Cheaper
   * than multi-row INSERTs with RETURNING: no statement text as long as the batch to parse, nothing
   * read back. Null where copyRows is the bulk path (PostgreSQL).
   */
  readonly insertEach: ((table: string, columns: readonly string[], conflict: readonly string[]) => {
    sql: string; run(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): boolean[];
  }) | null;
  /**
   * Rows an export reads per statement. Small where a statement costs little beside its rows
   * (SQLite: small batches keep each synchronous read short); larger where each statement is a
   * round trip with its own planning (PostgreSQL).
   */
  readonly exportBatchSize: number;
  /**
   * Whether outbox claims lock with `FOR UPDATE SKIP LOCKED`, so concurrent workers take different
   * jobs. SQLite has one writer at a time and no such clause.
   */
  readonly skipLocked: boolean;
  /**
   * Writes a consistent copy of the database to `file` while it keeps serving (SQLite: VACUUM
   * INTO a new file), or null where the backend's own tools do it (PostgreSQL: pg_dump).
   */
  readonly backup: ((file: string) => Promise<void>) | null;
  /** Connection pool use, where the backend has a pool (PostgreSQL); null otherwise. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  /**
   * Makes `columns` (leading with account_id) the key of a table, so the schema can be distributed
   * by account: PostgreSQL replaces the primary key `constraint` (or the unique constraint
   * `replaces`); SQLite, one file that is never distributed, keeps its key and adds a unique index
   * on `columns` only when `conflictTarget` (statements name those columns in ON CONFLICT).
   */
  rekey(db: Kysely<unknown>, table: string, key: { constraint: string; columns: readonly string[]; replaces?: string; unique?: boolean; conflictTarget?: boolean }): Promise<void>;
  /** Makes an auto-increment integer primary key column. */
  autoIncrementId(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** True when the error means a unique or primary-key constraint was violated. */
  isUniqueViolation(error: unknown): boolean;
  /**
   * True when the error means the database cannot answer right now (PostgreSQL down, restarting
   * or unreachable; SQLite busy or locked by another process past the busy timeout): the caller
   * may retry shortly, and the API says so (with Retry-After) instead of a bare internal error.
   */
  isUnavailable(error: unknown): boolean;
  /**
   * Registers a listener for connection errors outside any query (an idle pooled PostgreSQL
   * connection dropped by a restart); absent where there are none (SQLite).
   */
  onConnectionError?(listener: (error: Error) => void): void;
  /**
   * Why the database could not be used at start-up (server down, database missing, credentials
   * refused), in one line with what to do; undefined for other errors. Absent where opening
   * already reports its own failures (SQLite, when the adapter is made).
   */
  describeOpenFailure?(error: unknown): string | undefined;
}
