/**
 * Store-level p50 of send-details shapes through the public store API, in this process, without
 * HTTP (`npm run bench:store -- ROWS DATABASE_URL`; not part of `npm test`). The data set (the
 * bench-data generator's, one account) is written on the first run and reused. Used to compare a
 * change before and after on the same data; the full benchmark is `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { KyselyStore } from '../src/store/kysely-store.js';
import { adapterFor } from '../src/store/open-store.js';
import { writeBenchData } from '../src/dev/bench-data.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const url = process.argv[3] as string;
const store = new KyselyStore(adapterFor({ url }));
await store.migrate();
const now = Date.parse('2026-11-30T09:17:23Z');
let account = await store.accounts.findByName('hb');
if (!account) {
  account = await store.accounts.create({ name: 'hb', domainId: 'e'.repeat(32), projectId: 'f'.repeat(32), now });
  await writeBenchData(store, account.id, { rows, now, seed: 1 });
  await store.optimize();
}
const id = account.id;
const year = { sendTimeFrom: now - 365 * 86_400_000 + 3_600_000 * 7 + 13 * 60_000, sendTimeTo: now };
const shapes: Record<string, [object, number, number]> = {
  'page 0, no filter': [{}, 0, 100],
  'page 0, 1-year range': [year, 0, 100],
  'total only, 1-year range': [year, 0, 0],
  'page 0, send_status=fail': [{ sendStatus: 'fail' }, 0, 100],
  'offset 9900': [{}, 9900, 100],
};
const out: Record<string, string> = {};
for (const [name, [filter, offset, limit]] of Object.entries(shapes)) {
  const times: number[] = [];
  for (let i = 0; i < 400; i++) { const t = performance.now(); await store.details.page(id, filter, offset, limit); times.push(performance.now() - t); }
  out[name] = times.sort((a, b) => a - b)[200]!.toFixed(3);
}
console.log(JSON.stringify({ backend: store.backend, rows, p50_ms: out }));
await store.close();
