/**
 * What the shared request limits cost (`npm run bench:limits`; not part of `npm test`): the same
 * send-details query at 32 connections against `aimledger serve` with the per-account limit off,
 * counted in the database (the default), and counted in Redis. The limit is set far above what
 * the load reaches, so every request is counted and none is refused.
 *
 * Options: --backends sqlite,postgres  --duration 10 (seconds per run)  --connections 32
 * --redis redis://127.0.0.1:6379 (empty: skip the Redis runs).
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server). Prints a Markdown table for
 * docs/benchmarks.md (bench/limits.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { systemClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';
import { writeBenchData } from '../src/dev/bench-data.js';
import { provisionSender } from '../test/helpers/faults.js';
import { cpuSeconds, freshBenchDatabase, startServe } from './serve.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OUT = join(import.meta.dirname, 'out', 'limits');
const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

interface Run { backend: string; limits: string; rps: number; p50: number; p99: number; cpuUs: number; ok: number; other: number }

async function run(backend: string, limits: 'off' | 'database' | 'redis'): Promise<Run> {
  const url = await freshBenchDatabase(backend, OUT, 'aimledger_limits_bench', PG_URL);
  const token = await provisionSender(url, 'limits');
  const store = openStore({ url });
  try {
    const account = await store.accounts.findByName('limits');
    await writeBenchData(store, account!.id, { rows: 1000, now: systemClock().getTime(), seed: 3 });
  } finally {
    await store.close();
  }
  const server = await startServe(['--database', url], {
    AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    AIMLEDGER_RATE_LIMIT_PER_MINUTE: limits === 'off' ? '0' : '10000000',
    ...(limits === 'redis' ? { AIMLEDGER_REDIS_URL: args.redis, AIMLEDGER_REDIS_KEY_PREFIX: `bench${randomBytes(4).toString('hex')}` } : {}),
  }, [], true);
  try {
    const pid = server.child.pid as number;
    const target = `${server.base}/v1/aim/send-details?offset=0&limit=10`;
    const headers = { 'x-auth-token': token };
    // Warm up (statements prepared, connections made), then measure.
    await new Promise((resolve, reject) => autocannon({ url: target, connections: CONNECTIONS, duration: 2, headers }, (err) => (err ? reject(err) : resolve(undefined))));
    const cpuBefore = cpuSeconds(pid);
    const result = await new Promise<autocannon.Result>((resolve, reject) => autocannon({ url: target, connections: CONNECTIONS, duration: DURATION, headers }, (err, r) => (err ? reject(err) : resolve(r))));
    const cpuUs = ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, result.requests.sent);
    const row = { backend, limits, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, cpuUs, ok: result['2xx'], other: result.non2xx };
    log(JSON.stringify(row));
    return row;
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}

const rows: Run[] = [];
for (const backend of args.backends.split(',')) {
  for (const limits of ['off', 'database', ...(args.redis ? ['redis'] as const : [])] as const) rows.push(await run(backend, limits));
}
const table = [
  `Command: \`npm run bench:limits -- --backends ${args.backends} --duration ${DURATION} --connections ${CONNECTIONS}${args.redis ? '' : ' --redis ""'}\` (${new Date().toISOString()}).`,
  '',
  '| backend | per-account limit counted | req/s (32 conn.) | p50 / p99 ms | server CPU µs per request | ÷ off (req/s) | non-2xx |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const off = rows.find((o) => o.backend === r.backend && o.limits === 'off');
    return `| ${r.backend} | ${r.limits === 'off' ? 'off (no limit)' : `in ${r.limits === 'database' ? (r.backend === 'sqlite' ? 'SQLite (<file>.limits)' : 'PostgreSQL (rate_limits)') : 'Redis'}`} | ${r.rps} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${Math.round(r.cpuUs)} | ${off ? (r.rps / off.rps).toFixed(2) : ''} | ${r.other} |`;
  }),
].join('\n');
process.stdout.write(table + '\n');
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'table.md'), table + '\n');
