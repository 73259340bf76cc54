/**
 * CPU profile of the server under load (`npm run bench:profile`): starts `aimledger serve` with
 * --cpu-prof on an existing benchmark data set, drives one query shape with autocannon, stops the
 * server and prints where its CPU time went, grouped by package (or our own source folder).
 * Options: --database URL (default the 1M SQLite data set)  --query 'offset=0&limit=100'
 * --connections 32  --duration 10  --functions N (also list the N functions with the most self time)
 * --keep (leave the .cpuprofile file and print its path, for Chrome DevTools).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { openStore } from '../src/store/open-store.js';
import { BENCH_MASTER_KEY, startServe } from './serve.js';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    database: { type: 'string', default: `sqlite:${join(ROOT, 'bench', 'out', 'data', 'bench-1000000.db')}` },
    query: { type: 'string', default: 'offset=0&limit=100' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    functions: { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});

const store = openStore({ url: args.database });
const admin = new IdentityAdmin(store, systemClock);
const account = await admin.requireAccount('bench');
if (!(await store.users.find(account.id, 'reader'))) await admin.createUser('bench', 'reader', 'readonly', null);
const { token } = await admin.createToken('bench', 'reader');
await store.close();

const dir = mkdtempSync(join(tmpdir(), 'aimledger-prof-'));
// The benchmark data sets' key (a store refuses any key but the one it first ran with), unless
// AIMLEDGER_MASTER_KEY names another database's.
const { child, base } = await startServe(['--rate-limit-per-minute', '0', '--database', args.database],
  { AIMLEDGER_MASTER_KEY: process.env.AIMLEDGER_MASTER_KEY ?? BENCH_MASTER_KEY },
  ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
const result = await autocannon({
  url: `${base}/v1/aim/send-details?${args.query}`, connections: Number(args.connections), duration: Number(args.duration),
  headers: { 'X-Auth-Token': token },
});
child.kill('SIGINT');
await once(child, 'exit');

interface Node { id: number; callFrame: { url: string; functionName: string; lineNumber: number }; children?: number[] }
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const groups = new Map<string, number>();
let all = 0;
for (const [id, micros] of self) {
  const url = byId.get(id)?.callFrame.url ?? '';
  const name = byId.get(id)?.callFrame.functionName ?? '';
  const group = url.includes('node_modules/')
    ? url.split('node_modules/').pop()?.split('/').slice(0, url.split('node_modules/').pop()?.startsWith('@') ? 2 : 1).join('/') ?? url
    : url.includes('/src/') ? `aimledger ${url.split('/src/')[1]?.split('/')[0]}` : url.startsWith('node:') ? 'node core' : name.startsWith('(') ? name : 'other';
  groups.set(group, (groups.get(group) ?? 0) + micros);
  all += micros;
}
console.log(`${args.query} at ${args.connections} connections: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms`);
for (const [group, micros] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${((micros / all) * 100).toFixed(1).padStart(5)}%  ${group}`);
}
const functions = Number(args.functions);
if (functions > 0) {
  const bySite = new Map<string, number>();
  for (const [id, micros] of self) {
    const frame = byId.get(id)?.callFrame;
    const url = frame?.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/') ?? '';
    const site = `${frame?.functionName || '(anonymous)'} ${url}:${(frame?.lineNumber ?? 0) + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + micros);
  }
  console.log(`\nthe ${functions} functions with the most self time:`);
  for (const [site, micros] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, functions)) {
    console.log(`${((micros / all) * 100).toFixed(1).padStart(5)}%  ${site}`);
  }
}
if (args.keep) console.log(`\nprofile: ${join(dir, file)}`);
else rmSync(dir, { recursive: true, force: true });
