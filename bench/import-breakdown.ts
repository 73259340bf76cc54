/**
 * Where an import's database time goes (`npm run bench:import`): imports the benchmark's import
 * rows (the same generator and seed as `npm run bench`) into a fresh store in-process, and prints
 * the wall time and, per statement kind, how many ran and how long they took in all.
 * Options: --backends sqlite,postgres  --rows 200000  --batch-size 5000 (the CLI's default).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.js';
import { benchRows, importRecord } from '../src/dev/bench-data.js';
import { importSendDetails } from '../src/service/import.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { openStore } from '../src/store/open-store.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    rows: { type: 'string', default: '200000' },
    'batch-size': { type: 'string', default: '5000' },
  },
});
const ROWS = Number(args.rows);
const ROOT = join(import.meta.dirname, '..');
mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const now = Date.now();
const lines = [...benchRows({ rows: ROWS, now, seed: 99 })].map((r) => JSON.stringify(importRecord(r)) + '\n');

async function freshPostgres(): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query('drop database if exists aimledger_bench_import_breakdown with (force)');
  await admin.query('create database aimledger_bench_import_breakdown');
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = '/aimledger_bench_import_breakdown';
  return url.toString();
}

for (const backend of args.backends.split(',')) {
  // SQLite in a file, as the CLI imports: the commits and checkpoints are part of the cost.
  const file = join(ROOT, 'bench', 'out', 'import-breakdown.db');
  if (backend === 'sqlite') for (const suffix of ['', '-wal', '-shm', '.limits']) rmSync(`${file}${suffix}`, { force: true });
  const url = backend === 'sqlite' ? `sqlite:${file}` : await freshPostgres();
  const store = openStore({ url });
  await store.migrate();
  await store.retention.maintainPartitions(now, 13);
  const account = await new IdentityAdmin(store, systemClock).createAccount('bench');
  const byKind = new Map<string, { n: number; ms: number }>();
  store.onQuery((ms, _ok, sql) => {
    const kind = sql.replace(/\s+/g, ' ').trim().slice(0, 60);
    const seen = byKind.get(kind) ?? { n: 0, ms: 0 };
    seen.n += 1;
    seen.ms += ms;
    byKind.set(kind, seen);
  });
  const started = performance.now();
  const summary = await importSendDetails(store, account.id, Readable.from(lines), systemClock, { format: 'ndjson', batchSize: Number(args['batch-size']) });
  const ms = performance.now() - started;
  await store.close();
  console.log(`\n${backend}: ${summary.inserted} rows in ${(ms / 1000).toFixed(1)} s (${Math.round(summary.inserted / (ms / 1000))} rows/s), batch ${args['batch-size']}`);
  console.log('   total ms   count  statement');
  for (const [kind, s] of [...byKind].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    console.log(`${String(Math.round(s.ms)).padStart(11)} ${String(s.n).padStart(7)}  ${kind}`);
  }
}
