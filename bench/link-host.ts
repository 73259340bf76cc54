/**
 * The link host under load (`npm run bench:links`; not part of `npm test`): `aimledger serve` as a
 * child process on a fresh database, one approved card template, a group link that resolves up to
 * 10,000,000 times, and a receipt URL (url_type 0), so every resolve is a durable write that also
 * queues a shortchain receipt. From this process autocannon opens the link as a phone's browser
 * would, with 32 connections; afterwards the task's resolved_times must equal the 200s answered
 * (nothing acknowledged lost, nothing counted twice) and every receipt must have arrived.
 *
 * Beside it: the card rendered alone (the template's preview page: the renderer, no writes) and an
 * in-memory echo of the same page bytes on the same server (`/bench/echo`), the framework limit.
 *
 * Options: --backends sqlite,postgres  --duration 10 (seconds per load run)  --connections 32
 * --workers N (serve --workers)  --receipts false (no receipt URL)
 * --cpu-prof DIR (the server writes a CPU profile there).
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server). Prints a Markdown table for
 * docs/benchmarks.md (bench/link-host.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { plainCardBody } from '../test/helpers/card-body.js';
import { provisionSender } from '../test/helpers/faults.js';
import { countingReceiver, cpuSeconds, freshBenchDatabase, startServe } from './serve.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    'cpu-prof': { type: 'string' },
    receipts: { type: 'string', default: 'true' },
    workers: { type: 'string', default: '1' },
  },
});
const DURATION = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OUT = join(import.meta.dirname, 'out', 'link-host');
const BROWSER = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

const freshDatabase = (backend: string) => freshBenchDatabase(backend, OUT, 'aimledger_links_bench', PG_URL);

interface Load { rps: number; p50: number; p99: number; ok: number; other: number; errors: number; sent: number }

/** Drives `url`; also answers the server's CPU time per answer (µs), which the load generator sharing the cores does not skew. */
function load(url: string, headers: Record<string, string>, serverPid: number): Promise<Load & { cpuUs: number }> {
  const cpuBefore = cpuSeconds(serverPid);
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers }, (err, r) => {
      if (err) return reject(err);
      const cpuUs = ((cpuSeconds(serverPid) - cpuBefore) * 1e6) / Math.max(1, r.requests.sent);
      resolve({
        rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, ok: r['2xx'], other: r.non2xx, errors: r.errors + r.timeouts, sent: r.requests.sent, cpuUs,
      });
    });
  });
}

async function api(base: string, token: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

async function run(backend: string) {
  const receiver = await countingReceiver();
  const url = await freshDatabase(backend);
  const withReceipts = args.receipts !== 'false';
  const token = await provisionSender(url, 'links', withReceipts ? receiver.url : undefined);
  const server = await startServe(['--database', url, '--workers', args.workers], {
    AIMLEDGER_MASTER_KEY: randomBytes(32).toString('base64'), AIMLEDGER_CALLBACK_ALLOW_PRIVATE: 'true', AIMLEDGER_RATE_LIMIT_PER_MINUTE: '0',
    AIMLEDGER_TEMPLATE_AUTO_APPROVE: 'true', AIMLEDGER_BENCH_ROUTES: 'true', AIMLEDGER_UNAUTHENTICATED_PER_MINUTE: '0',
  }, args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [], true);
  const linkBase = /Link host \(recipients' short links\): (http:\/\/\S+)/.exec(server.banner())?.[1];
  if (!linkBase) throw new Error(`no link host in the banner: ${server.banner()}`);
  try {
    // A card without variables (group links take none), as the official examples draw one.
    const plain = plainCardBody();
    const tplId = ((await api(server.base, token, 'POST', '/v1/aim/templates', plain)).data as { tpl_id: string }).tpl_id;
    const listed = await api(server.base, token, 'GET', `/v1/aim/templates?tpl_id=${tplId}`);
    const previewUrl = ((listed.templates as Array<{ preview_url: string }>)[0] as { preview_url: string }).preview_url;
    const task = await api(server.base, token, 'POST', '/v1/aim/resolve-tasks', {
      tpl_id: tplId, aim_code_type: 'group', expiration_time: 180, resolving_times: 10_000_000, sms_signs: ['华为云'], params: [{ cust_flag: 'bench' }],
    });
    const aimUrl = (task.params as Array<{ aim_url: string }>)[0]?.aim_url as string;
    const [domain, code] = aimUrl.split('/') as [string, string];

    // The same page bytes from memory, as the framework limit.
    const page = await (await fetch(previewUrl)).text();
    // Every server process keeps its own echo: new connections are spread over them (round-robin).
    for (let i = 0; i < 8 * Number(args.workers); i++) {
      const put = await fetch(`${server.base}/bench/echo`, { method: 'PUT', headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }, body: page });
      if (put.status !== 204) throw new Error(`echo: ${put.status}`);
    }
    for (let i = 0; i < 8 * Number(args.workers); i++) {
      const echoed = await (await fetch(`${server.base}/bench/echo`, { headers: { connection: 'close' } })).text();
      if (echoed !== page) throw new Error('the echo does not answer the page bytes');
    }

    // Render and echo first, on a quiet server (the resolves' receipts are pushed afterwards).
    const browser = { 'user-agent': BROWSER };
    log(backend, 'render…');
    const pid = server.child.pid as number;
    const render = await load(previewUrl, browser, pid);
    log(backend, 'echo…');
    const echo = await load(`${server.base}/bench/echo`, browser, pid);
    log(backend, 'resolves…');
    const resolves = await load(`${linkBase}/${code}`, { ...browser, host: domain }, pid);

    // Every 200 a resolve, counted once; every resolve's receipt delivered. Answers still in
    // flight when the load stopped finish first.
    await sleep(2000);
    const after = await api(server.base, token, 'GET', `/v1/aim/resolve-tasks?task_id=${task.task_id as string}`);
    const resolvedTimes = (after.resolve_tasks as Array<{ resolved_times: number }>)[0]?.resolved_times ?? -1;
    const drainStart = Date.now();
    while (withReceipts && receiver.count() < resolvedTimes && Date.now() - drainStart < 300_000) await sleep(200);
    const receipts = receiver.count();
    const result = {
      backend: `${backend}${args.workers !== '1' ? `, ${args.workers} workers` : ''}${withReceipts ? '' : ', no receipt URL'}`, resolves, render, echo, resolvedTimes, receipts, drainS: (Date.now() - drainStart) / 1000, pageBytes: Buffer.byteLength(page),
      // autocannon stops counting at the deadline: answers still in flight then were served but not counted.
      exact: resolves.other === 0 && resolvedTimes >= resolves.ok && resolvedTimes <= resolves.sent && receipts === (withReceipts ? resolvedTimes : 0),
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    receiver.close();
  }
}

const results = [];
for (const backend of args.backends.split(',')) results.push(await run(backend));
const ms = (n: number) => n.toFixed(1);
const table = [
  `Command: \`npm run bench:links -- --backends ${args.backends} --duration ${DURATION} --connections ${CONNECTIONS} --workers ${args.workers} --receipts ${args.receipts}\` (${new Date().toISOString()}).`,
  '',
  '| backend | resolves/s (32 conn.) | p50 / p99 ms | server CPU µs per resolve | 200s ≤ resolved_times ≤ sent, = receipts | card render req/s | echo req/s | server CPU µs per render / echo | render ÷ echo (req/s; CPU) | resolves ≥ 1,000/s, p99 ≤ 50 ms | render ≥ 0.6 × echo |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => {
    const ratio = r.render.rps / r.echo.rps;
    const cpuRatio = r.echo.cpuUs / r.render.cpuUs;
    return `| ${r.backend} | ${r.resolves.rps} | ${ms(r.resolves.p50)} / ${ms(r.resolves.p99)} | ${Math.round(r.resolves.cpuUs)} | ${r.exact ? 'yes' : '**no**'} (${r.resolves.ok} ≤ ${r.resolvedTimes} ≤ ${r.resolves.sent}, ${r.receipts} receipts; ${r.resolves.other} other, ${r.resolves.errors} errors) | ${r.render.rps} | ${r.echo.rps} | ${Math.round(r.render.cpuUs)} / ${Math.round(r.echo.cpuUs)} | ${ratio.toFixed(2)}; ${cpuRatio.toFixed(2)} | ${r.resolves.rps >= 1000 && r.resolves.p99 <= 50 ? 'yes' : '**no**'} | ${ratio >= 0.6 ? 'yes' : cpuRatio >= 0.6 ? 'by CPU' : '**no**'} |`;
  }),
  '',
  `Page: ${results[0]?.pageBytes ?? 0} bytes.`,
].join('\n');
process.stdout.write(table + '\n');
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'table.md'), table + '\n');
