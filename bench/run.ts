/**
 * Query and import benchmarks (`npm run bench`; not part of `npm test`). For each backend and data
 * size it loads (or reuses) a data set made by the bench-data generator, starts `aimledger serve`
 * as a child process and drives it with autocannon from this process, next to two references: the
 * framework limit (`/bench/echo` answering the same bytes from memory) and the store limit (the
 * same queries through the store, in this process, without HTTP). Results go to
 * docs/benchmarks.json, committed with the report so a later run of one backend or of some shapes
 * (on any machine) keeps the rest; bench/report.ts (run at the end) turns them into
 * docs/benchmarks.md and docs/benchmarks.svg.
 *
 * Options: --sizes 100000,1000000,10000000  --backends sqlite,postgres  --duration 3 (seconds per
 * load run)  --import-rows 200000 (0: no import run)  --prepare-only (generate the data sets and
 * stop)  --shapes 'send_status,msg_id' (re-measure these shapes only; the other results are kept).
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { SendDetail, SendDetailsFilter } from '../src/domain/send-detail.js';
import { insertSendDetails } from '../src/service/ledger.js';
import { benchRows, importRecord, writeBenchData } from '../src/dev/bench-data.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { systemClock } from '../src/domain/clock.js';
import { formatContractTime, toWholeSeconds } from '../src/domain/time.js';
import { openStore } from '../src/store/open-store.js';
import { STATUS_CODES } from '../src/store/schema.js';
import type { Store } from '../src/store/store.js';
import { floorLimit, type Floor } from './floor.js';
import { BENCH_MASTER_KEY, startServe } from './serve.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
/** The results, committed beside the report they make. */
const RESULTS = join(ROOT, 'docs', 'benchmarks.json');
const BIN = join(ROOT, 'bin', 'aimledger');
const DAY = 86_400_000;

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000,10000000' },
    backends: { type: 'string', default: 'sqlite,postgres' },
    duration: { type: 'string', default: '3' },
    'import-rows': { type: 'string', default: '200000' },
    'prepare-only': { type: 'boolean', default: false },
    shapes: { type: 'string' },
  },
});
const SIZES = args.sizes.split(',').filter(Boolean).map(Number);
const BACKENDS = args.backends.split(',') as Array<'sqlite' | 'postgres'>;
const DURATION = Number(args.duration);
const IMPORT_ROWS = Number(args['import-rows']);
const ONLY_SHAPES = args.shapes ? new Set(args.shapes.split(',')) : undefined;
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ACCOUNT = 'bench';
/** Seconds each in-process (store, floor) run lasts. */
const STORE_SECONDS = 1;
/** An account holding one task of a tenth of the data set's size (1M recipients at 10M rows). */
const LARGE_TASK_ACCOUNT = 'bench-large-task';
const LARGE_TASK_ID = '00000000-0000-4000-8000-00000000001a';
const largeTaskSize = (size: number) => Math.min(1_000_000, Math.floor(size / 10));

const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

async function pgAdmin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try { return await work(client); } finally { await client.end(); }
}

function pgUrlFor(database: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh, empty database URL for `name` (file removed / database recreated). */
async function freshDatabase(backend: 'sqlite' | 'postgres', name: string): Promise<string> {
  if (backend === 'sqlite') {
    const file = join(OUT, 'data', `${name}.db`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    return `sqlite:${file}`;
  }
  const db = `aimledger_${name.replaceAll('-', '_')}`;
  await pgAdmin(async (c) => {
    await c.query(`drop database if exists ${db} with (force)`);
    await c.query(`create database ${db}`);
  });
  return pgUrlFor(db);
}

function existingDatabase(backend: 'sqlite' | 'postgres', name: string): string {
  return backend === 'sqlite' ? `sqlite:${join(OUT, 'data', `${name}.db`)}` : pgUrlFor(`aimledger_${name.replaceAll('-', '_')}`);
}

/** Opens the data set for (backend, size), generating it unless a complete one is there. */
async function dataset(backend: 'sqlite' | 'postgres', size: number) {
  const name = `bench-${size}`;
  let url = existingDatabase(backend, name);
  const usable = backend === 'sqlite' ? existsSync(url.slice('sqlite:'.length))
    : await pgAdmin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [`aimledger_${name.replaceAll('-', '_')}`])).rowCount === 1);
  if (usable) {
    const store = openStore({ url });
    await store.migrate();
    const account = await store.accounts.findByName(ACCOUNT);
    const total = account ? (await store.details.page(account.id, {}, 0, 0)).total : -1;
    if (total === size) await ensureLargeTask(store, backend, size);
    await store.close();
    if (total === size) {
      log(`${backend} ${size}: reusing data set`);
      return { url, generation: undefined };
    }
  }
  url = await freshDatabase(backend, name);
  const store = openStore({ url });
  await store.migrate();
  const admin = new IdentityAdmin(store, systemClock);
  const account = await admin.createAccount(ACCOUNT);
  const now = Date.now();
  const started = performance.now();
  await writeBenchData(store, account.id, {
    rows: size, now, seed: 1,
    onProgress: (n) => { if (n % 1_000_000 === 0) log(`${backend} ${size}: ${n} rows`); },
  });
  for (const i of [1, 2, 3]) {
    const small = await admin.createAccount(`${ACCOUNT}-small-${i}`);
    await writeBenchData(store, small.id, { rows: Math.max(1, Math.floor(size / 100)), now, seed: 1 + i });
  }
  const seconds = (performance.now() - started) / 1000;
  log(`${backend} ${size}: generated in ${seconds.toFixed(1)} s`);
  await ensureLargeTask(store, backend, size);
  await store.close();
  return { url, generation: { seconds, rowsPerSecond: Math.round((size * 1.03) / seconds) } };
}

/** The large-task account (added to data sets made before it existed, too). */
async function ensureLargeTask(store: Store, backend: string, size: number): Promise<void> {
  const rows = largeTaskSize(size);
  const found = await store.accounts.findByName(LARGE_TASK_ACCOUNT);
  if (found && (await store.details.page(found.id, { taskId: LARGE_TASK_ID }, 0, 0)).total === rows) return;
  const account = found ?? await new IdentityAdmin(store, systemClock).createAccount(LARGE_TASK_ACCOUNT);
  const now = Date.now();
  let batch: SendDetail[] = [];
  for (const row of benchRows({ rows, now, seed: 7 })) {
    batch.push({ ...row, taskId: LARGE_TASK_ID, taskName: 'Benchmark large task' });
    if (batch.length === 10_000) { await insertSendDetails(store, account.id, batch, now); batch = []; }
  }
  await insertSendDetails(store, account.id, batch, now);
  // Statistics for the new account, as an import leaves them: without them PostgreSQL estimated one
  // row per partition for it and sorted all 1M rows of the task for every page (about 1 s each).
  await store.optimize();
  log(`${backend} ${size}: large task of ${rows} recipients written`);
}

async function tokenFor(url: string, accountName: string): Promise<string> {
  const store = openStore({ url });
  await store.migrate();
  const admin = new IdentityAdmin(store, systemClock);
  const account = await admin.requireAccount(accountName);
  if (!(await store.users.find(account.id, 'reader'))) await admin.createUser(accountName, 'reader', 'readonly', null);
  const { token } = await admin.createToken(accountName, 'reader');
  await store.close();
  return token;
}

/** A send-details request: its query string, the store filter it becomes, and whose data it reads. */
interface Shape { name: string; query: Record<string, string>; filter: SendDetailsFilter; account?: 'large-task' }

async function shapesFor(store: Store, accountId: number): Promise<Shape[]> {
  const sample = (await store.details.page(accountId, {}, 5000, 1)).rows[0];
  if (!sample?.taskId || !sample.custFlag) throw new Error('data set has no sample row');
  const now = Date.now();
  const dayFrom = Math.floor((now - 30 * DAY) / DAY) * DAY;
  const yearFrom = now - 364 * DAY;
  const tpl = '600000100';
  const sign = 'BenchSign1';
  const range = (from: number, to: number) => ({ query: { begin_time: formatContractTime(from), end_time: formatContractTime(to) }, filter: { sendTimeFrom: toWholeSeconds(from), sendTimeTo: toWholeSeconds(to) } });
  const day = range(dayFrom, dayFrom + DAY - 1000);
  const year = range(yearFrom, now);
  return [
    { name: 'no filter', query: {}, filter: {} },
    { name: 'task_id', query: { task_id: sample.taskId }, filter: { taskId: sample.taskId } },
    { name: 'cust_flag', query: { cust_flag: sample.custFlag }, filter: { custFlag: sample.custFlag } },
    { name: 'tpl_id', query: { tpl_id: tpl }, filter: { tplId: tpl } },
    { name: 'sms_sign', query: { sms_sign: sign }, filter: { smsSign: sign } },
    { name: '1-day range', ...day },
    { name: '1-year range', ...year },
    { name: 'tpl_id+sms_sign+range', query: { tpl_id: tpl, sms_sign: sign, ...year.query }, filter: { tplId: tpl, smsSign: sign, ...year.filter } },
    // The extension filters, alone and with the contract's.
    { name: 'send_status', query: { send_status: 'fail' }, filter: { sendStatus: 'fail' } },
    { name: 'msg_id', query: { msg_id: sample.msgId }, filter: { msgId: sample.msgId } },
    { name: 'send_status+tpl_id', query: { send_status: 'fail', tpl_id: tpl }, filter: { sendStatus: 'fail', tplId: tpl } },
    { name: 'send_status+sms_sign', query: { send_status: 'fail', sms_sign: sign }, filter: { sendStatus: 'fail', smsSign: sign } },
    { name: 'send_status+1-year range', query: { send_status: 'fail', ...year.query }, filter: { sendStatus: 'fail', ...year.filter } },
    { name: 'task_id+send_status', query: { task_id: sample.taskId, send_status: 'success' }, filter: { taskId: sample.taskId, sendStatus: 'success' } },
    // One task of a tenth of the data set (1M recipients at 10M rows), in its own account.
    { name: 'large task', query: { task_id: LARGE_TASK_ID }, filter: { taskId: LARGE_TASK_ID }, account: 'large-task' },
    { name: 'large task+send_status', query: { task_id: LARGE_TASK_ID, send_status: 'fail' }, filter: { taskId: LARGE_TASK_ID, sendStatus: 'fail' }, account: 'large-task' },
  ];
}

function startServer(url: string) {
  return startServe(['--bench-routes', '--rate-limit-per-minute', '0', '--database', url], { AIMLEDGER_MASTER_KEY: BENCH_MASTER_KEY });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

interface Load { p50: number; p99: number; rps: number; errors: number }

/** Drives `url` with autocannon; latencies come from its per-response timings (sub-millisecond). */
function load(url: string, connections: number, headers: Record<string, string>, duration = DURATION): Promise<Load> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const tracker = autocannon({ url, connections, duration, headers }, (err, result) => {
      if (err) return reject(err);
      times.sort((a, b) => a - b);
      resolve({
        p50: percentile(times, 0.5), p99: percentile(times, 0.99), rps: Math.round(result.requests.average),
        errors: result.errors + result.non2xx + result.timeouts,
      });
    });
    tracker.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

/**
 * The same queries through the store in this process: the database plus query building and row
 * mapping, without HTTP. `stallMs` is the longest the event loop was blocked meanwhile
 * (monitorEventLoopDelay): with one caller, the longest a single request holds the loop.
 */
async function storeLimit(store: Store, accountId: number, filter: SendDetailsFilter, offset: number, concurrency: number) {
  const times: number[] = [];
  const until = performance.now() + STORE_SECONDS * 1000;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const s = performance.now();
      await store.details.page(accountId, filter, offset, 100);
      times.push(performance.now() - s);
      // Let the loop turn between requests, as a server's does (SQLite's driver is synchronous:
      // without this no timer would run, and the delay monitor would see nothing).
      await new Promise(setImmediate);
    }
  }));
  delay.disable();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), n: times.length, stallMs: Math.round(delay.max / 1e4) / 100 };
}

async function queryBench(backend: 'sqlite' | 'postgres', size: number) {
  const { url, generation } = await dataset(backend, size);
  const tokens = { main: await tokenFor(url, ACCOUNT), 'large-task': await tokenFor(url, LARGE_TASK_ACCOUNT) };
  const store = openStore({ url });
  const account = await store.accounts.findByName(ACCOUNT);
  const largeTask = await store.accounts.findByName(LARGE_TASK_ACCOUNT);
  if (!account || !largeTask) throw new Error('bench accounts missing');
  const shapes = (await shapesFor(store, account.id)).filter((s) => !ONLY_SHAPES || ONLY_SHAPES.has(s.name));
  const server = await startServer(url);
  const pid = server.child.pid as number;
  let maxRss = 0;
  const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(pid)); }, 200);
  const rows = [];
  try {
    for (const shape of shapes) {
      for (const offset of [0, 9900]) {
        const qs = new URLSearchParams({ ...shape.query, offset: String(offset), limit: '100' }).toString();
        const apiUrl = `${server.base}/v1/aim/send-details?${qs}`;
        const token = tokens[shape.account ?? 'main'];
        const accountId = shape.account ? largeTask.id : account.id;
        // A server just started on a large data set may shed its first requests (503) while its
        // event loop settles: ask again for up to 30 s.
        let sampleResponse = await fetch(apiUrl, { headers: { 'X-Auth-Token': token } });
        for (let tries = 0; sampleResponse.status === 503 && tries < 30; tries++) {
          await sampleResponse.arrayBuffer();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          sampleResponse = await fetch(apiUrl, { headers: { 'X-Auth-Token': token } });
        }
        const body = await sampleResponse.text();
        if (sampleResponse.status !== 200) throw new Error(`${shape.name}: ${sampleResponse.status} ${body}`);
        const total = (JSON.parse(body) as { page_info: { total: number } }).page_info.total;
        await fetch(`${server.base}/bench/echo`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
        const entry: Record<string, unknown> = { backend, size, shape: shape.name, offset, total, bytes: Buffer.byteLength(body) };
        for (const c of [1, 32]) {
          entry[`api${c}`] = await load(apiUrl, c, { 'X-Auth-Token': token });
          // The same bytes from memory: at one connection, the latency of the HTTP exchange itself.
          entry[`echo${c}`] = await load(`${server.base}/bench/echo`, c, {}, c === 1 ? 1 : DURATION);
          entry[`store${c}`] = await storeLimit(store, accountId, shape.filter, offset, c);
          entry[`floor${c}`] = await floorLimit(backend, url, accountId, shape.filter, offset, { concurrency: c, seconds: STORE_SECONDS });
        }
        const f = entry.floor1 as Floor;
        const st = entry.store1 as { p50: number; stallMs: number };
        log(`${backend} ${size} ${shape.name} @${offset}: total ${total}, floor ${f.p50.toFixed(3)} store ${st.p50.toFixed(3)} api ${(entry.api1 as Load).p50} ms, stall ${st.stallMs} ms, api32 ${(entry.api32 as Load).rps}/s vs echo32 ${(entry.echo32 as Load).rps}/s`);
        rows.push(entry);
      }
    }
  } finally {
    clearInterval(sampler);
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    await store.close();
  }
  return { rows, maxRssMb: Math.round(maxRss), generation };
}

/** `aimledger import` against the database's own bulk path, for the same rows. */
async function importBench(backend: 'sqlite' | 'postgres') {
  const now = Date.now();
  const ndjson = join(OUT, 'import.ndjson');
  const raw = join(OUT, 'import-raw.csv');
  const nd = createWriteStream(ndjson);
  const rc = createWriteStream(raw);
  for (const r of benchRows({ rows: IMPORT_ROWS, now, seed: 99 })) {
    nd.write(JSON.stringify(importRecord(r)) + '\n');
    rc.write([1, r.msgId, r.taskId, r.taskName, r.tplId, r.tplName, r.smsSign, r.custFlag, r.sendAccount, STATUS_CODES[r.sendStatus], r.sendTime, r.receiveTime ?? '', r.resultCode ?? '', now].join(',') + '\n');
  }
  nd.end(); rc.end();
  await Promise.all([once(nd, 'finish'), once(rc, 'finish')]);

  const prepare = async () => {
    const url = await freshDatabase(backend, 'import');
    const store = openStore({ url });
    await store.migrate();
    // The raw COPY bypasses the store, so the year's monthly partitions must exist beforehand.
    await store.retention.maintainPartitions(now, 13);
    await new IdentityAdmin(store, systemClock).createAccount(ACCOUNT);
    await store.close();
    return url;
  };

  let url = await prepare();
  let started = performance.now();
  const result = spawnSync(process.execPath, [BIN, 'import', '--account', ACCOUNT, '--database', url, ndjson], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`import failed: ${result.stderr}`);
  const importSeconds = (performance.now() - started) / 1000;

  url = await prepare();
  const columns = 'account_id, msg_id, task_id, task_name, tpl_id, tpl_name, sms_sign, cust_flag, send_account, send_status, send_time, receive_time, result_code, updated_at';
  started = performance.now();
  if (backend === 'sqlite') {
    const db = new Database(url.slice('sqlite:'.length));
    const insert = db.prepare(`insert into send_details (${columns}) values (${columns.split(',').map(() => '?').join(',')})`);
    db.transaction(() => {
      for (const line of readFileSync(raw, 'utf8').split('\n')) {
        if (!line) continue;
        const v = line.split(',');
        insert.run(Number(v[0]), v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], Number(v[9]), Number(v[10]), v[11] ? Number(v[11]) : null, v[12] || null, Number(v[13]));
      }
    })();
    db.close();
  } else {
    const copy = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-c', `\\copy send_details (${columns}) from '${raw}' with (format csv)`], { encoding: 'utf8' });
    if (copy.status !== 0) throw new Error(`COPY failed: ${copy.stderr}`);
  }
  const rawSeconds = (performance.now() - started) / 1000;
  return {
    backend, rows: IMPORT_ROWS,
    importRowsPerSecond: Math.round(IMPORT_ROWS / importSeconds),
    rawRowsPerSecond: Math.round(IMPORT_ROWS / rawSeconds),
    rawMethod: backend === 'sqlite' ? 'one prepared INSERT in one transaction' : 'COPY FROM STDIN (psql \\copy)',
  };
}

mkdirSync(join(OUT, 'data'), { recursive: true });
// Results of backends not run this time are kept, so one backend can be re-measured alone.
const previous = existsSync(RESULTS)
  ? JSON.parse(readFileSync(RESULTS, 'utf8')) as { queries?: Array<{ backend: string }>; runs?: Array<{ backend: string }>; imports?: Array<{ backend: string }>; command?: string; earlierCommand?: string; earlierCommands?: string[] }
  : {};
const rerun = (i: { backend: string; size?: number; shape?: string }) => BACKENDS.includes(i.backend as 'sqlite') && (i.size === undefined || SIZES.includes(i.size))
  && (!ONLY_SHAPES || i.shape === undefined || ONLY_SHAPES.has(i.shape));
const kept = <T extends { backend: string; size?: number; shape?: string }>(items: T[] | undefined) => (items ?? []).filter((i) => !rerun(i));
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  durationSeconds: DURATION,
  command: `npm run bench -- --sizes ${args.sizes} --backends ${args.backends} --duration ${args.duration} --import-rows ${args['import-rows']}${args.shapes ? ` --shapes '${args.shapes}'` : ''}`,
  queries: kept(previous.queries) as unknown[],
  // A run of some shapes keeps the full run's memory peaks and import figures.
  runs: (ONLY_SHAPES ? previous.runs ?? [] : kept(previous.runs)) as unknown[],
  imports: (ONLY_SHAPES || IMPORT_ROWS === 0 ? previous.imports ?? [] : kept(previous.imports)) as unknown[],
  // The commands whose results are kept, oldest first.
  ...(kept(previous.queries).length > 0
    ? { earlierCommands: [...(previous.earlierCommands ?? (previous.earlierCommand ? [previous.earlierCommand] : [])), previous.command] }
    : {}),
};
if (args['prepare-only']) {
  for (const backend of BACKENDS) for (const size of SIZES) await dataset(backend, size);
  process.exit(0);
}
for (const backend of BACKENDS) {
  for (const size of SIZES) {
    const run = await queryBench(backend, size);
    (results.queries as unknown[]).push(...run.rows);
    if (!ONLY_SHAPES) (results.runs as unknown[]).push({ backend, size, maxRssMb: run.maxRssMb, generation: run.generation });
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  }
  if (!ONLY_SHAPES && IMPORT_ROWS > 0) (results.imports as unknown[]).push(await importBench(backend));
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}
log(`results in ${RESULTS}`);
const report = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'report.ts')], { stdio: 'inherit' });
process.exit(report.status ?? 1);
