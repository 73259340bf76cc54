import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { adapterFor } from '../../src/store/open-store.js';

export const PG_URL = process.env.AIMLEDGER_TEST_PG_URL || undefined;

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty store, migrated unless told not to; `dispose` drops whatever it created. */
  open(options?: { migrate?: boolean }): Promise<{ store: KyselyStore; dispose(): Promise<void> }>;
}

const sqlite: TestBackend = {
  name: 'sqlite',
  async open({ migrate = true } = {}) {
    const store = new KyselyStore(adapterFor({ url: 'sqlite::memory:' }));
    if (migrate) await store.migrate();
    return { store, dispose: () => store.close() };
  },
};

const postgres = (url: string): TestBackend => ({
  name: 'postgres',
  async open({ migrate = true } = {}) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const store = new KyselyStore(adapterFor({ url, pgSchema: schema }));
    if (migrate) await store.migrate();
    else await store.db.schema.createSchema(schema).execute();
    return {
      store,
      async dispose() {
        await store.close();
        await withAdmin(url, (client) => client.query(`drop schema if exists ${schema} cascade`));
      },
    };
  },
});

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** SQLite always; PostgreSQL when AIMLEDGER_TEST_PG_URL is set. */
export const BACKENDS: TestBackend[] = PG_URL ? [sqlite, postgres(PG_URL)] : [sqlite];

/** A database URL of its own for tests that hand a URL to a child process. */
export async function scratchDatabaseUrl(backend: TestBackend['name'], dir: string): Promise<{ url: string; dispose(): Promise<void> }> {
  if (backend === 'sqlite') return { url: `sqlite:${dir}/aimledger.db`, dispose: async () => {} };
  if (!PG_URL) throw new Error('PostgreSQL backend requested without AIMLEDGER_TEST_PG_URL');
  const name = `aimledger_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(PG_URL, (client) => client.query(`create database ${name}`));
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dispose: () => withAdmin(PG_URL, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Opens a fresh store for the enclosing describe block (before) and drops it afterwards. */
export function useStore(backend: TestBackend, set: (store: KyselyStore) => void): void {
  let dispose: (() => Promise<void>) | undefined;
  before(async () => {
    const opened = await backend.open();
    set(opened.store);
    dispose = opened.dispose;
  });
  after(async () => dispose?.());
}

/**
 * For a describe block whose tests start servers as child processes: a temporary folder and a
 * database URL of its own (made before, dropped after), and the environment a server on it needs
 * (a master key on PostgreSQL; the embedded store generates its own).
 */
export function useScratchDatabase(backend: TestBackend['name'], prefix: string): { readonly url: string; readonly dir: string; readonly keyEnv: Record<string, string> } {
  let dir = '';
  let db: { url: string; dispose(): Promise<void> } | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = await scratchDatabaseUrl(backend, dir);
  });
  after(async () => {
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  const keyEnv: Record<string, string> = backend === 'postgres' ? { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64') } : {};
  return {
    get url() {
      if (!db) throw new Error('the scratch database exists only inside the tests');
      return db.url;
    },
    get dir() { return dir; },
    keyEnv,
  };
}

/**
 * The names of the migrations a store applied, in order, beside those a fresh store applies:
 * equal when every migration ran (once: kysely_migration keys on the name).
 */
export async function appliedMigrations(store: KyselyStore): Promise<{ applied: string[]; expected: string[] }> {
  const names = async (s: KyselyStore) => (await s.db.selectFrom('kysely_migration' as never).select('name' as never).orderBy('name' as never).execute() as Array<{ name: string }>).map((m) => m.name);
  const fresh = new KyselyStore(adapterFor({ url: 'sqlite::memory:' }));
  try {
    await fresh.migrate();
    return { applied: await names(store), expected: await names(fresh) };
  } finally {
    await fresh.close();
  }
}
