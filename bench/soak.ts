/**
 * The soak (`npm run bench:soak`; not part of `npm test`): `aimledger serve` as a child process
 * under a steady mixed load for ten minutes — send-details queries of several shapes, task lists
 * and send reports, new send tasks, the simulator's delivery reports, and receipt pushes to a
 * receiver in this process — sampled every 10 s: requests and errors, p50/p99 latency, the
 * server's RSS and heap, outbox depth and age, receipt lag. At the end the load stops, the outbox
 * drains, and every message's receipt is checked. Writes bench/out/soak-<backend>.json and prints
 * a Markdown summary for docs/reliability.md.
 *
 * Options: --backend sqlite|postgres  --minutes 10  --queries-per-second 80
 * --tasks-per-second 4  --phones 25 (per task)  --seed-rows 200000 (history loaded first).
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { writeBenchData } from '../src/dev/bench-data.js';
import { openStore } from '../src/store/open-store.js';
import { startServe } from './serve.js';
import { provisionSender } from '../test/helpers/faults.js';
import { phones, taskBody, TPL_ID } from '../test/helpers/task-body.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const WINDOW_MS = 10_000;
/** Requests allowed in flight at once; past this the load generator counts an overload error. */
const MAX_INFLIGHT = 256;

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    minutes: { type: 'string', default: '10' },
    'queries-per-second': { type: 'string', default: '80' },
    'tasks-per-second': { type: 'string', default: '4' },
    phones: { type: 'string', default: '25' },
    'seed-rows': { type: 'string', default: '200000' },
  },
});
const BACKEND = args.backend as 'sqlite' | 'postgres';
if (BACKEND !== 'sqlite' && BACKEND !== 'postgres') throw new Error('--backend must be sqlite or postgres');
const DURATION_MS = Number(args.minutes) * 60_000;
const QPS = Number(args['queries-per-second']);
const TPS = Number(args['tasks-per-second']);
const PHONES = Number(args.phones);
const SEED_ROWS = Number(args['seed-rows']);
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

async function freshDatabase(): Promise<string> {
  if (BACKEND === 'sqlite') {
    const file = join(OUT, 'data', 'soak.db');
    mkdirSync(join(OUT, 'data'), { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    rmSync(join(OUT, 'data', 'master.key'), { force: true });
    return `sqlite:${file}`;
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query('drop database if exists aimledger_soak with (force)');
    await client.query('create database aimledger_soak');
  } finally {
    await client.end();
  }
  const url = new URL(PG_URL);
  url.pathname = '/aimledger_soak';
  return url.toString();
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** One Prometheus sample value (first series matching `name` and the label text), or undefined. */
function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

interface Sample {
  t: number;
  requests: number;
  errors: number;
  queryP50: number;
  queryP99: number;
  taskP99: number;
  rssMb: number;
  heapMb: number;
  dispatchJobs: number;
  receiptJobs: number;
  reportJobs: number;
  oldestJobS: number;
  receipts: number;
  receiptLagP99S: number;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const url = await freshDatabase();

  // The customer's receipt endpoint.
  const sentAt = new Map<string, number>();
  const receiptsFor = new Map<string, number>();
  let windowReceiptLags: number[] = [];
  let receiptCount = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const envelope = JSON.parse(body) as { body: string };
      const parsed = JSON.parse(envelope.body) as { msg_id: string } | Array<{ msg_id: string }>;
      for (const receipt of Array.isArray(parsed) ? parsed : [parsed]) {
        receiptCount += 1;
        receiptsFor.set(receipt.msg_id, (receiptsFor.get(receipt.msg_id) ?? 0) + 1);
        const sent = sentAt.get(receipt.msg_id);
        if (sent !== undefined) windowReceiptLags.push((performance.now() - sent) / 1000);
      }
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/receipts`;

  const token = await provisionSender(url, 'soak', receiverUrl);
  if (SEED_ROWS > 0) {
    const store = openStore({ url });
    const account = await store.accounts.findByName('soak');
    if (!account) throw new Error('the soak account is missing');
    log(`loading ${SEED_ROWS} rows of history`);
    await writeBenchData(store, account.id, { rows: SEED_ROWS, now: Date.now(), seed: 11 });
    await store.close();
  }

  const env: Record<string, string> = {
    ...(BACKEND === 'postgres' ? { AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64') } : {}),
  };
  // Quiet: the soak reports its own error counts; the server's warnings stay out of its output.
  const { child, base } = await startServe(['--database', url, '--callback-allow-private', '--rate-limit-per-minute', '0',
    '--simulator-delay-ms', '2000', '--simulator-fail-ratio', '0.05'], env, [], true);
  log(`serving on ${base}; ${args.minutes} min at ${QPS} queries/s and ${TPS} tasks/s of ${PHONES} phones`);

  const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
  const taskIds: string[] = [];
  const errorKinds = new Map<string, number>();
  let inflight = 0;
  let requests = 0;
  let errors = 0;
  let queryLat: number[] = [];
  let taskLat: number[] = [];
  let nextPhone = 13600000000;
  const fail = (kind: string) => {
    errors += 1;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };

  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const queries: Array<() => [string, RequestInit?]> = [
    () => ['/v1/aim/send-details?offset=0&limit=100'],
    () => [`/v1/aim/send-details?offset=0&limit=10&task_id=${taskIds[Math.floor(Math.random() * taskIds.length)] ?? ''}`],
    () => [`/v1/aim/send-details?offset=${Math.floor(Math.random() * 5000)}&limit=50`],
    () => [`/v1/aim/send-details?offset=0&limit=20&tpl_id=600000100&begin_time=${iso(Date.now() - 7 * 86_400_000)}&end_time=${iso(Date.now())}`],
    () => [`/v1/aim/send-details?offset=0&limit=20&send_status=fail&tpl_id=${TPL_ID}`],
    () => ['/v1/aim/send-tasks?offset=0&limit=10'],
    () => ['/v1/aim/send-reports', { method: 'POST', body: JSON.stringify({ report_type: '1', offset: 0, limit: 20 }) }],
  ];

  const issue = async (kind: 'query' | 'task') => {
    if (inflight >= MAX_INFLIGHT) {
      fail('overload (too many requests in flight)');
      return;
    }
    inflight += 1;
    requests += 1;
    const started = performance.now();
    try {
      if (kind === 'task') {
        const body = taskBody(phones(PHONES, nextPhone));
        nextPhone += PHONES;
        const res = await fetch(`${base}/v1/aim/send-tasks`, { method: 'POST', headers, body: JSON.stringify(body) });
        const json = await res.json() as { task_id?: string; resolve_task?: { params: Array<{ msg_id: string }> } };
        if (res.status !== 200 || !json.resolve_task || !json.task_id) return fail(`task ${res.status}`);
        const now = performance.now();
        for (const p of json.resolve_task.params) sentAt.set(p.msg_id, now);
        taskIds.push(json.task_id);
        taskLat.push(now - started);
      } else {
        const [path, init] = (queries[Math.floor(Math.random() * queries.length)] as () => [string, RequestInit?])();
        const res = await fetch(`${base}${path}`, { headers, ...init });
        await res.arrayBuffer();
        if (res.status !== 200) return fail(`${path.split('?')[0]} ${res.status}`);
        queryLat.push(performance.now() - started);
      }
    } catch (error) {
      fail(`network ${(error as { cause?: { code?: string } }).cause?.code ?? String(error)}`);
    } finally {
      inflight -= 1;
    }
  };

  const samples: Sample[] = [];
  const start = performance.now();
  let issuedQueries = 0;
  let issuedTasks = 0;
  let nextSample = start + WINDOW_MS;
  let windowRequests = 0;
  let windowErrors = 0;
  while (performance.now() - start < DURATION_MS) {
    const elapsed = (performance.now() - start) / 1000;
    while (issuedQueries < Math.floor(elapsed * QPS)) { issuedQueries += 1; void issue('query'); }
    while (issuedTasks < Math.floor(elapsed * TPS)) { issuedTasks += 1; void issue('task'); }
    if (performance.now() >= nextSample) {
      nextSample += WINDOW_MS;
      const text = await (await fetch(`${base}/metrics`)).text();
      const q = queryLat.sort((a, b) => a - b);
      const tk = taskLat.sort((a, b) => a - b);
      const lags = windowReceiptLags.sort((a, b) => a - b);
      const sample: Sample = {
        t: Math.round((performance.now() - start) / 1000),
        requests: requests - windowRequests,
        errors: errors - windowErrors,
        queryP50: Math.round(percentile(q, 50) * 10) / 10,
        queryP99: Math.round(percentile(q, 99) * 10) / 10,
        taskP99: Math.round(percentile(tk, 99) * 10) / 10,
        rssMb: Math.round((metric(text, 'aimledger_process_resident_memory_bytes') ?? 0) / 1048576),
        heapMb: Math.round((metric(text, 'aimledger_nodejs_heap_size_used_bytes') ?? 0) / 1048576),
        dispatchJobs: metric(text, 'aimledger_outbox_jobs', 'kind="dispatch"') ?? 0,
        receiptJobs: metric(text, 'aimledger_outbox_jobs', 'kind="receipt"') ?? 0,
        reportJobs: metric(text, 'aimledger_outbox_jobs', 'kind="report"') ?? 0,
        oldestJobS: Math.max(0, ...['dispatch', 'receipt', 'report'].map((k) => metric(text, 'aimledger_outbox_oldest_job_age_seconds', `kind="${k}"`) ?? 0)),
        receipts: receiptCount,
        receiptLagP99S: Math.round(percentile(lags, 99) * 100) / 100,
      };
      samples.push(sample);
      windowRequests = requests;
      windowErrors = errors;
      queryLat = [];
      taskLat = [];
      windowReceiptLags = [];
      log(JSON.stringify(sample));
    }
    await sleep(10);
  }
  while (inflight > 0) await sleep(20);

  // Drain: every acknowledged message's receipt arrives.
  const drainStart = performance.now();
  while (receiptsFor.size < sentAt.size && performance.now() - drainStart < 120_000) await sleep(500);
  const drainS = Math.round((performance.now() - drainStart) / 100) / 10;
  const missing = [...sentAt.keys()].filter((id) => !receiptsFor.has(id)).length;
  const duplicated = [...receiptsFor.values()].filter((n) => n > 1).length;

  child.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  receiver.close();

  const warm = samples.filter((s) => s.t > 120);
  const result = {
    backend: BACKEND, minutes: Number(args.minutes), queriesPerSecond: QPS, tasksPerSecond: TPS, phonesPerTask: PHONES, seedRows: SEED_ROWS,
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    requests, errors, errorKinds: Object.fromEntries(errorKinds), messages: sentAt.size, receipts: receiptCount, missing, duplicated, drainS,
    exitCode, samples,
    summary: {
      queryP99Max: Math.max(...samples.map((s) => s.queryP99)),
      rssAfterWarmUp: warm[0]?.rssMb, rssEnd: samples.at(-1)?.rssMb, rssMax: Math.max(...warm.map((s) => s.rssMb)),
      heapAfterWarmUp: warm[0]?.heapMb, heapEnd: samples.at(-1)?.heapMb,
      oldestJobMaxS: Math.max(...samples.map((s) => s.oldestJobS)),
    },
  };
  writeFileSync(join(OUT, `soak-${BACKEND}.json`), JSON.stringify(result, null, 2));
  const rows = samples.filter((s, i) => i % 6 === 5 || i === samples.length - 1);
  process.stdout.write([
    `### ${BACKEND}: ${result.minutes} min, ${QPS} queries/s + ${TPS} tasks/s × ${PHONES} phones, ${SEED_ROWS} rows of history`,
    '',
    `${requests} requests, **${errors} errors**${errors ? ` (${JSON.stringify(result.errorKinds)})` : ''}; ${sentAt.size} messages, `
      + `${missing} receipts missing, ${duplicated} received twice, outbox drained ${drainS} s after the load stopped; exit ${exitCode}.`,
    '',
    '| minute | requests/s | errors | query p50 ms | query p99 ms | task p99 ms | RSS MiB | heap MiB | outbox jobs dispatch / report / receipt | oldest job s | receipt lag p99 s |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((s) => `| ${(s.t / 60).toFixed(1)} | ${Math.round(s.requests / (WINDOW_MS / 1000))} | ${s.errors} | ${s.queryP50} | ${s.queryP99} | ${s.taskP99} | ${s.rssMb} | ${s.heapMb} | ${s.dispatchJobs} / ${s.reportJobs} / ${s.receiptJobs} | ${s.oldestJobS.toFixed(1)} | ${s.receiptLagP99S} |`),
    '',
  ].join('\n'));
}

await main();
