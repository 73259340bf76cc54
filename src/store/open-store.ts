import type { DialectAdapter } from './dialect.js';
import { KyselyStore } from './kysely-store.js';
import { postgresAdapter } from './postgres/index.js';
import { sqliteAdapter } from './sqlite/index.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** `sqlite:PATH` (or `sqlite::memory:`) or `postgres://…` / `postgresql://…`. */
  url: string;
  /** PostgreSQL schema to use instead of `public` (tests use one each). */
  pgSchema?: string;
  /** A streaming replica of the PostgreSQL database for reads that may lag (`Store.read`). */
  readUrl?: string | undefined;
  /** Further behind than this, reads go to the primary (default 10 s). */
  replicaMaxLagMs?: number;
  /** How often the replica's lag is checked (default 1 s). */
  replicaProbeMs?: number;
}

/** Throws a message naming the problem when the URL does not pick a backend. */
export function adapterFor(options: OpenStoreOptions): DialectAdapter {
  const { url } = options;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new Error('database URL sqlite: needs a file path, e.g. sqlite:./data/aimledger.db');
    return sqliteAdapter(path);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return postgresAdapter({ url, ...(options.pgSchema ? { schema: options.pgSchema } : {}) });
  }
  throw new Error(`database URL must start with sqlite: or postgres:// (got ${JSON.stringify(url.slice(0, 40))})`);
}

/** Opens the store a database URL names. Does not migrate. */
export function openStore(options: OpenStoreOptions): Store {
  const adapter = adapterFor(options);
  if (!options.readUrl) return new KyselyStore(adapter);
  const readAdapter = adapterFor({ ...options, url: options.readUrl });
  if (adapter.backend !== 'postgres' || readAdapter.backend !== 'postgres') throw new Error('a read replica needs a PostgreSQL database and a PostgreSQL replica');
  return new KyselyStore(adapter, {
    readAdapter,
    ...(options.replicaMaxLagMs !== undefined ? { replicaMaxLagMs: options.replicaMaxLagMs } : {}),
    ...(options.replicaProbeMs !== undefined ? { replicaProbeMs: options.replicaProbeMs } : {}),
  });
}
