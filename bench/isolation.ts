/**
 * Tenant isolation under exports (`npm run bench:isolation`; not part of `npm test`). Two accounts
 * each run two exports of 300,000 rows, reading as fast as they can, again and again, while a third
 * account queries send details one request after another; the third account's latency is the
 * figure (goal: p99 under 50 ms). The same account is measured first with the server otherwise
 * idle, for reference. The server (`aimledger serve`) runs as a child process; the exporting and
 * querying clients share this process.
 *
 * Writes bench/isolation.md and puts it into docs/benchmarks.md as its "Isolation" section.
 * Options: --backends sqlite,postgres  --duration 30 (seconds under load)  --rows 300000.
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { systemClock } from '../src/domain/clock.js';
import { writeBenchData } from '../src/dev/bench-data.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { openStore } from '../src/store/open-store.js';
import { startServe } from './serve.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    duration: { type: 'string', default: '30' },
    rows: { type: 'string', default: '300000' },
  },
});
const BACKENDS = args.backends.split(',') as Array<'sqlite' | 'postgres'>;
const DURATION_MS = Number(args.duration) * 1000;
const ROWS = Number(args.rows);
const VICTIM_ROWS = 20_000;
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A fixed master key for the reused data sets; they hold no access keys. */
const MASTER_KEY = createHash('sha256').update('aimledger isolation benchmark').digest('base64');
const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

async function databaseUrl(backend: 'sqlite' | 'postgres'): Promise<string> {
  const name = `isolation-${ROWS}`;
  if (backend === 'sqlite') return `sqlite:${join(OUT, 'data', `${name}.db`)}`;
  const db = `aimledger_${name.replaceAll('-', '_')}`;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const exists = (await client.query('select 1 from pg_database where datname = $1', [db])).rowCount === 1;
    if (!exists) await client.query(`create database ${db}`);
  } finally {
    await client.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${db}`;
  return url.toString();
}

/** Two exporting accounts of ROWS rows and one querying account, each with a token. */
async function prepare(url: string): Promise<Record<'a' | 'b' | 'victim', string>> {
  const store = openStore({ url });
  try {
    await store.migrate();
    const admin = new IdentityAdmin(store, systemClock);
    const now = Date.now();
    const tokens: Record<string, string> = {};
    for (const [key, name, rows, seed] of [['a', 'iso-a', ROWS, 11], ['b', 'iso-b', ROWS, 12], ['victim', 'iso-victim', VICTIM_ROWS, 13]] as const) {
      const account = (await store.accounts.findByName(name)) ?? await admin.createAccount(name);
      const have = (await store.details.page(account.id, {}, 0, 0)).total;
      if (have !== rows) {
        log(`${name}: writing ${rows} rows`);
        await writeBenchData(store, account.id, { rows, now, seed });
      }
      if (!(await store.users.find(account.id, 'reader'))) await admin.createUser(name, 'reader', 'readonly', null);
      tokens[key] = (await admin.createToken(name, 'reader')).token;
    }
    await store.optimize();
    return tokens as Record<'a' | 'b' | 'victim', string>;
  } finally {
    await store.close();
  }
}

/** Exports the account's every row as CSV again and again until `until`, reading as fast as it comes. */
async function exporter(base: string, token: string, until: number): Promise<{ exports: number; bytes: number; refused: number }> {
  let exports = 0;
  let bytes = 0;
  let refused = 0;
  while (performance.now() < until) {
    const res = await fetch(`${base}/v1/aim/send-details/export?format=csv`, { headers: { 'X-Auth-Token': token } });
    if (res.status !== 200) {
      refused += 1;
      await res.arrayBuffer();
      continue;
    }
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      if (performance.now() >= until) {
        await reader.cancel();
        break;
      }
    }
    exports += 1;
  }
  return { exports, bytes, refused };
}

interface Latency { requests: number; p50: number; p99: number; max: number; errors: number }

/** One request after another for the victim account, each timed, until `until`. */
async function querier(base: string, token: string, until: number): Promise<Latency> {
  const times: number[] = [];
  let errors = 0;
  const shapes = ['offset=0&limit=100', 'offset=9900&limit=100', 'offset=0&limit=100&send_status=fail', 'offset=0&limit=100&tpl_id=600000100'];
  for (let i = 0; performance.now() < until; i++) {
    const started = performance.now();
    const res = await fetch(`${base}/v1/aim/send-details?${shapes[i % shapes.length]}`, { headers: { 'X-Auth-Token': token } });
    await res.arrayBuffer();
    times.push(performance.now() - started);
    if (res.status !== 200) errors += 1;
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))] ?? 0;
  return { requests: times.length, p50: at(0.5), p99: at(0.99), max: times[times.length - 1] ?? 0, errors };
}

async function run(backend: 'sqlite' | 'postgres') {
  const url = await databaseUrl(backend);
  const tokens = await prepare(url);
  const server = await startServe(['--rate-limit-per-minute', '0', '--database', url], { AIMLEDGER_MASTER_KEY: MASTER_KEY });
  try {
    const idle = await querier(server.base, tokens.victim, performance.now() + 5000);
    log(`${backend}: idle p50 ${idle.p50.toFixed(2)} ms, p99 ${idle.p99.toFixed(2)} ms`);
    const until = performance.now() + DURATION_MS;
    const [victim, ...exporters] = await Promise.all([
      querier(server.base, tokens.victim, until),
      exporter(server.base, tokens.a, until), exporter(server.base, tokens.a, until),
      exporter(server.base, tokens.b, until), exporter(server.base, tokens.b, until),
    ]);
    const exported = exporters.reduce((sum, e) => sum + e.bytes, 0);
    log(`${backend}: under exports p50 ${victim.p50.toFixed(2)} ms, p99 ${victim.p99.toFixed(2)} ms, max ${victim.max.toFixed(1)} ms; exports ${exporters.map((e) => e.exports).join('/')}, ${(exported / 2 ** 20).toFixed(0)} MiB`);
    return { backend, idle, victim, exports: exporters.reduce((n, e) => n + e.exports, 0), exportedMiB: exported / 2 ** 20, refused: exporters.reduce((n, e) => n + e.refused, 0) };
  } finally {
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
  }
}

mkdirSync(join(OUT, 'data'), { recursive: true });
const results = [];
for (const backend of BACKENDS) results.push(await run(backend));
writeFileSync(join(OUT, 'isolation.json'), JSON.stringify(results, null, 2));

const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const section = [
  '## Isolation',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} with:`,
  '',
  '```sh',
  `npm run bench:isolation -- --backends ${args.backends} --duration ${args.duration} --rows ${args.rows}`,
  '```',
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model?.split(' ').slice(0, 2).join(' ') ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}.`,
  `Two accounts (${ROWS.toLocaleString('en')} rows each) each run two CSV exports at once — the most`,
  '`AIMLEDGER_EXPORTS_PER_ACCOUNT` allows — reading as fast as they can, one export after another, for',
  `${args.duration} s, while a third account (${VICTIM_ROWS.toLocaleString('en')} rows) sends send-details queries one after another`,
  '(rotating: page 0, offset 9900, `send_status=fail`, `tpl_id`). Latencies are the third account\'s, in',
  'milliseconds, measured by the client; the server and all clients share the same cores. Goal: p99 under 50 ms.',
  '',
  '| backend | idle p50 / p99 | under exports p50 / p99 / max | queries under exports | exports finished | exported | goal met |',
  '|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.backend} | ${ms(r.idle.p50)} / ${ms(r.idle.p99)} | ${ms(r.victim.p50)} / ${ms(r.victim.p99)} / ${ms(r.victim.max)} | ${r.victim.requests} (${r.victim.errors} errors) | ${r.exports} | ${r.exportedMiB.toFixed(0)} MiB | ${r.victim.p99 < 50 ? 'yes' : 'no'} |`),
  '',
  // The hand-written reading of the figures (why a goal is met or missed) follows the table.
  ...(existsSync(join(ROOT, 'bench', 'isolation-analysis.md')) ? [readFileSync(join(ROOT, 'bench', 'isolation-analysis.md'), 'utf8').trim(), ''] : []),
].join('\n');
writeFileSync(join(ROOT, 'bench', 'isolation.md'), section);

// Splice the section into docs/benchmarks.md (replacing an earlier one); report.ts keeps it too.
const doc = join(ROOT, 'docs', 'benchmarks.md');
const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
const start = text.indexOf('\n## Isolation\n');
const next = start === -1 ? -1 : text.indexOf('\n## ', start + 1);
const spliced = start === -1 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, start + 1)}${section}${next === -1 ? '' : text.slice(next)}`;
writeFileSync(doc, spliced.endsWith('\n') ? spliced : `${spliced}\n`);
log('bench/isolation.md and docs/benchmarks.md updated');
