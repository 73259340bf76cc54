import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { SendDetail } from '../src/domain/send-detail.js';
import { detailRecord, EXPORT_COLUMNS } from '../src/service/export.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, detail, getDetails, NOW, testApp } from './helpers/factories.js';
import { insertSendDetails } from '../src/service/ledger.js';

const HARD_NAMES = ['双十一, "大促"', 'line\nbreak', 'plain', '逗号,引号"', ' spaced '];

for (const backend of BACKENDS) {
  describe(`export on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('CSV (BOM, header, quoting) and NDJSON hold exactly the rows the list pages show, for every filter', async () => {
      const app = await testApp(store);
      const tenant = await createTenant(store);
      const other = await createTenant(store);
      const rows: SendDetail[] = Array.from({ length: 230 }, (_, i) => detail({
        taskName: HARD_NAMES[i % HARD_NAMES.length] as string,
        tplId: i % 3 ? '600000001' : '600000002',
        sendStatus: (['sending', 'success', 'fail'] as const)[i % 3],
        // Ties on send_time: order then rests on msg_id.
        sendTime: NOW - Math.floor(i / 4) * 60_000,
      }));
      await insertSendDetails(store, tenant.account.id, rows, NOW);
      await insertSendDetails(store, other.account.id, [detail()], NOW);

      const exportOf = async (query: string, format: string) => {
        const res = await app.inject({ url: `/v1/aim/send-details/export?${query}&format=${format}`, headers: { 'x-auth-token': tenant.token } });
        assert.equal(res.statusCode, 200, res.body);
        return res;
      };
      const listed = async (query: string) => {
        const all: Array<Record<string, unknown>> = [];
        for (let offset = 0; ; offset += 100) {
          const page = await getDetails(app, tenant.token, `${query}&offset=${offset}&limit=100`);
          assert.equal(page.status, 200);
          all.push(...page.body.send_details);
          if (offset + 100 >= page.body.page_info.total) return all;
        }
      };
      for (const query of ['', 'tpl_id=600000002', 'send_status=fail', 'send_status=success&tpl_id=600000001',
        `begin_time=${new Date(NOW - 3600_000).toISOString()}&end_time=2026-06-15T12:00:00Z`, `msg_id=${encodeURIComponent(rows[7]?.msgId ?? '')}`]) {
        const expected = await listed(query);
        assert.ok(expected.length > 0, query);

        const csv = await exportOf(query, 'csv');
        assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
        assert.match(String(csv.headers['content-disposition']), /^attachment; filename="send-details-\d{8}T\d{6}Z\.csv"$/);
        assert.equal(csv.rawPayload.subarray(0, 3).toString('hex'), 'efbbbf', 'UTF-8 BOM first');
        const parsed = parse(csv.rawPayload, { bom: true, columns: true }) as Array<Record<string, string>>;
        assert.deepEqual(Object.keys(parsed[0] ?? {}), [...EXPORT_COLUMNS]);
        // CSV has no null: empty fields stand for it.
        assert.deepEqual(parsed, expected.map((r) => Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, r[c] ?? '']))), query);

        const ndjson = await exportOf(query, 'ndjson');
        assert.equal(ndjson.headers['content-type'], 'application/x-ndjson; charset=utf-8');
        const lines = ndjson.body.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.deepEqual(lines, expected, query);
      }
      // The extensions filter the list too, with exact totals.
      const fails = await getDetails(app, tenant.token, 'send_status=fail&offset=0&limit=1');
      assert.equal(fails.body.page_info.total, rows.filter((r) => r.sendStatus === 'fail').length);
      const one = await getDetails(app, tenant.token, `msg_id=${encodeURIComponent(rows[3]?.msgId ?? '')}&offset=0&limit=10`);
      assert.deepEqual(one.body.send_details, [detailRecord(rows[3] as SendDetail)]);
      for (const bad of ['format=xlsx', 'send_status=done', `msg_id=${'x'.repeat(65)}`, 'begin_time=2026-06-15', 'begin_time=2024-01-01T00:00:00Z&end_time=2026-01-01T00:00:00Z']) {
        const res = await app.inject({ url: `/v1/aim/send-details/export?${bad}`, headers: { 'x-auth-token': tenant.token } });
        assert.equal(res.statusCode, 400, bad);
      }
      assert.equal((await app.inject({ url: '/v1/aim/send-details/export' })).statusCode, 401);
    });

    it('streams 200,000 rows without holding them in memory', { timeout: 300_000 }, async () => {
      const tenant = await createTenant(store);
      const total = 200_000;
      for (let start = 0; start < total; start += 10_000) {
        const batch = Array.from({ length: 10_000 }, (_, i) => detail({
          msgId: `bulk-${String(start + i).padStart(7, '0')}_1`, sendTime: NOW - (start + i) * 1000, taskName: '批量导出 export, "quoted"',
        }));
        await insertSendDetails(store, tenant.account.id, batch, NOW);
      }
      const app = await testApp(store);
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/aim/send-details/export?format=csv`;
        // Live memory, not garbage waiting for collection: collect before each sample.
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        gc();
        const baseline = process.memoryUsage().heapUsed;
        let peak = 0;
        let bytes = 0;
        let newlines = 0;
        let nextSample = 0;
        const res = await fetch(url, { headers: { 'X-Auth-Token': tenant.token } });
        assert.equal(res.status, 200);
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
          for (const byte of chunk) if (byte === 0x0a) newlines += 1;
          if (bytes >= nextSample) {
            gc();
            peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
            nextSample = bytes + 2_000_000;
          }
        }
        assert.equal(newlines, total + 1, 'a header and every row');
        // Held in memory, the export would take at least its own size; streamed, a few batches.
        assert.ok(bytes > 30_000_000, `the export is big enough to tell (${bytes} bytes)`);
        assert.ok(peak < 15_000_000, `live heap grew ${(peak / 1e6).toFixed(1)} MB while streaming ${(bytes / 1e6).toFixed(1)} MB`);
      } finally {
        await app.close();
      }
    });
  });
}
