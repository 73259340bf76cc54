/**
 * End-to-end pipeline throughput (`npm run bench:pipeline`; not part of `npm test`): `aimledger
 * serve` (simulator channel, reports due at once) as a child process; this process posts send
 * tasks of 100 recipients at a steady rate and runs the receipt receiver (url_type 0: one push per
 * message). A message is done when its receipt arrives: accepted → dispatched → simulator report
 * applied → receipt pushed. Every 10 s it samples receipts received and the outbox's oldest job;
 * the goal is the offered rate sustained, with the outbox lag at the end no worse than half-way
 * plus 0.5 s. Prints a Markdown table for docs/benchmarks.md.
 *
 * Options: --backends sqlite,postgres  --seconds 60  --rate 1000 (messages offered per second)
 * --cpu-prof DIR (the server writes a CPU profile there).
 * PostgreSQL: AIMLEDGER_BENCH_PG_URL (default the local server).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/open-store.js';
import { provisionSender } from '../test/helpers/faults.js';
import { phones, taskBody } from '../test/helpers/task-body.js';
import { countingReceiver, freshBenchDatabase, startServe } from './serve.js';

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'sqlite,postgres' },
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    'cpu-prof': { type: 'string' },
  },
});
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const PER_TASK = 100;
const PG_URL = process.env.AIMLEDGER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const OUT = join(import.meta.dirname, 'out', 'pipeline');
const log = (...parts: unknown[]) => process.stderr.write(parts.join(' ') + '\n');

const freshDatabase = (backend: string) => freshBenchDatabase(backend, OUT, 'aimledger_pipeline', PG_URL);

async function run(backend: string) {
  const receiver = await countingReceiver();
  const receiptUrl = receiver.url;
  const url = await freshDatabase(backend);
  const masterKey = randomBytes(32).toString('base64');
  const token = await provisionSender(url, 'pipeline', receiptUrl);
  const server = await startServe(['--database', url], {
    AIMLEDGER_MASTER_KEY: masterKey, AIMLEDGER_CALLBACK_ALLOW_PRIVATE: 'true', AIMLEDGER_SIMULATOR_DELAY_MS: '0',
    AIMLEDGER_RATE_LIMIT_PER_MINUTE: '0',
  }, args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : [], true);
  const probe = openStore({ url });
  const lag = async () => {
    const row = await probe.outbox.stats();
    const oldest = Math.min(...row.map((r) => r.oldestCreatedAt));
    return Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) / 1000 : 0;
  };
  const started = Date.now();
  let accepted = 0;
  let failed = 0;
  const refused: Record<string, number> = {};
  const samples: Array<{ t: number; received: number; lagS: number }> = [];
  const body = JSON.stringify(taskBody(phones(PER_TASK)));
  const interval = (1000 * PER_TASK) / RATE;
  const posts: Array<Promise<void>> = [];
  let next = started;
  let nextSample = started + 10_000;
  while (Date.now() - started < SECONDS * 1000) {
    const now = Date.now();
    if (now >= nextSample) {
      samples.push({ t: Math.round((now - started) / 1000), received: receiver.count(), lagS: await lag() });
      nextSample += 10_000;
    }
    if (now < next) {
      await sleep(Math.min(next - now, 5));
      continue;
    }
    next += interval;
    posts.push(fetch(`${server.base}/v1/aim/send-tasks`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-auth-token': token }, body })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status === 200) accepted += PER_TASK;
        else {
          failed += 1;
          refused[res.status] = (refused[res.status] ?? 0) + 1;
        }
      }, () => {
        failed += 1;
        refused.network = (refused.network ?? 0) + 1;
      }));
  }
  await Promise.all(posts);
  const offeredEnd = Date.now();
  samples.push({ t: Math.round((offeredEnd - started) / 1000), received: receiver.count(), lagS: await lag() });
  const atEnd = receiver.count();
  const drainStart = Date.now();
  while (receiver.count() < accepted && Date.now() - drainStart < 120_000) await sleep(100);
  const drainS = (Date.now() - drainStart) / 1000;
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  await probe.close();
  receiver.close();
  const half = samples.find((s) => s.t >= SECONDS / 2) ?? samples[0];
  const last = samples[samples.length - 1];
  const result = {
    backend, offered: RATE, seconds: SECONDS, accepted, failedPosts: failed, refused,
    receivedPerSecond: Math.round(atEnd / ((offeredEnd - started) / 1000)),
    lagHalfS: half?.lagS ?? 0, lagEndS: last?.lagS ?? 0, drainS, allReceipts: receiver.count() >= accepted,
  };
  log(JSON.stringify(result));
  return result;
}

const results = [];
for (const backend of args.backends.split(',')) results.push(await run(backend));
const rows = results.map((r) => `| ${r.backend} | ${r.offered} | ${r.accepted} | ${r.receivedPerSecond} | ${r.lagHalfS.toFixed(1)} / ${r.lagEndS.toFixed(1)} | ${r.drainS.toFixed(1)} | ${r.allReceipts ? 'yes' : 'no'} | ${r.receivedPerSecond >= r.offered * 0.98 && r.lagEndS <= r.lagHalfS + 0.5 ? 'yes' : 'no'} |`);
process.stdout.write([
  `| backend | offered msg/s | accepted in ${SECONDS} s | receipts/s during the run | outbox lag half-way / end (s) | drain after (s) | every receipt | sustained |`,
  '|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n') + '\n');
