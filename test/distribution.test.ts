import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { BY_ACCOUNT, EXCEPTIONS, LOOKUPS, REFERENCE } from '../src/store/distribution.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody } from './helpers/card-body.js';
import { LINK_DOMAIN, NOW, testStack } from './helpers/factories.js';
import { operatorToken, postTask, taskBody, tenantWithReferences } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';

/*
 * The path to sharding: the PostgreSQL schema can be distributed by account. Every table is
 * placed in src/store/distribution.ts, and the schema and the statements a working day runs are
 * checked against that placement. docs/scaling.md explains it.
 */

type Json = Record<string, unknown>;
const postgres = BACKENDS.find((b) => b.name === 'postgres');
const DOCS = readFileSync(join(import.meta.dirname, '..', 'docs', 'scaling.md'), 'utf8');

interface TableKeys { table: string; accountColumn: boolean; keys: Array<{ name: string; primary: boolean; columns: string[] }>; indexes: string[][] }

async function tableKeys(store: KyselyStore): Promise<TableKeys[]> {
  const { rows } = await sql<{ table: string; account: boolean; keys: TableKeys['keys'] | null; indexes: string[][] | null }>`
    select c.relname as "table",
      exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'account_id' and not a.attisdropped) as account,
      (select json_agg(json_build_object('name', i.relname, 'primary', x.indisprimary, 'columns',
          (select json_agg(a.attname order by k.ord) from unnest(x.indkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum)))
         from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = c.oid and x.indisunique) as keys,
      (select json_agg((select json_agg(a.attname order by k.ord) from unnest(x.indkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum))
         from pg_index x where x.indrelid = c.oid) as indexes
    from pg_class c
    where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
      -- made by the server for request limits, not by a migration (docs/scaling.md places it)
      and c.relname <> 'rate_limits'
    order by 1`.execute(store.db);
  return rows.map((r) => ({ table: r.table, accountColumn: r.account, keys: r.keys ?? [], indexes: r.indexes ?? [] }));
}

/** The tables a statement reads or writes. */
function tablesOf(statement: string): string[] {
  return [...statement.matchAll(/\b(?:from|join|into|update)\s+"?([a-z_]+)"?/gi)].map((m) => (m[1] as string).toLowerCase());
}

describe('the schema\'s placement on a distributed database (src/store/distribution.ts)', () => {
  it('places every table once, and docs/scaling.md names every look-up and exception', () => {
    const all = [...BY_ACCOUNT, ...Object.keys(LOOKUPS), ...REFERENCE, ...Object.keys(EXCEPTIONS)];
    assert.equal(new Set(all).size, all.length, 'no table in two places');
    for (const table of [...Object.keys(LOOKUPS), ...Object.keys(EXCEPTIONS)]) assert.ok(DOCS.includes(`\`${table}\``), `docs/scaling.md names ${table}`);
    for (const [table, why] of Object.entries(EXCEPTIONS)) assert.ok(why.length > 40, `${table}: the exception says why`);
  });

  describe('on PostgreSQL', { skip: postgres ? false : 'AIMLEDGER_TEST_PG_URL is not set' }, () => {
    let store!: KyselyStore;
    if (postgres) useStore(postgres, (opened) => (store = opened));

    it('tables that grow with traffic are keyed by account first; look-ups are keyed by what arrives and carry the account; nothing is unplaced', async () => {
      const tables = await tableKeys(store);
      const placed = new Set<string>([...BY_ACCOUNT, ...Object.keys(LOOKUPS), ...REFERENCE, ...Object.keys(EXCEPTIONS)]);
      assert.deepEqual(tables.map((t) => t.table).filter((t) => !placed.has(t)), [], 'every table is placed in src/store/distribution.ts');
      assert.deepEqual([...placed].filter((t) => !tables.some((k) => k.table === t)), [], 'every placed table exists');
      const broken: string[] = [];
      for (const t of tables) {
        if ((BY_ACCOUNT as readonly string[]).includes(t.table)) {
          if (!t.accountColumn) broken.push(`${t.table}: no account_id`);
          if (!t.keys.some((k) => k.primary)) broken.push(`${t.table}: no primary key`);
          for (const k of t.keys) if (k.columns[0] !== 'account_id') broken.push(`${t.table}: ${k.name} (${k.columns.join(', ')}) does not lead with account_id`);
        }
        const lookup = LOOKUPS[t.table];
        if (lookup) {
          if (!t.accountColumn) broken.push(`${t.table}: a look-up without account_id`);
          // Distributed by its look-up key: every unique key holds it, and an index leads with it.
          for (const k of t.keys) if (!lookup.every((c) => k.columns.includes(c))) broken.push(`${t.table}: ${k.name} (${k.columns.join(', ')}) lacks ${lookup.join(', ')}`);
          if (!t.indexes.some((ix) => lookup.every((c, i) => ix[i] === c))) broken.push(`${t.table}: no index leads with ${lookup.join(', ')}`);
        }
      }
      assert.deepEqual(broken, []);
    });

    it('a working day\'s statements on account-keyed tables each name the account (no statement spans accounts)', { timeout: 60_000 }, async () => {
      const statements: string[] = [];
      store.onQuery((_ms, _ok, text) => statements.push(text));
      const receiver = new Receiver();
      const base = await receiver.start();
      try {
        const { app, worker, linkApp } = await testStack(store, { templateAutoApprove: true, allowPrivate: true });
        const tenant = await tenantWithReferences(store, 'te_admin');
        const call = (method: 'GET' | 'POST', url: string, payload?: Json) => app.inject({ method, url, headers: { 'x-auth-token': tenant.token }, ...(payload ? { payload } : {}) });
        assert.equal((await call('POST', '/v1/aim/callbacks', { callback_url: `${base}/r`, url_type: 0 })).statusCode, 200);
        const template = await call('POST', '/v1/aim/templates', cardBody());
        const tplId = (template.json() as { data: { tpl_id: string } }).data.tpl_id;
        await store.smsTemplates.upsert(tenant.account.id, '15010661', '账单已出，详情 ${aim_url}', NOW);
        const body = taskBody([]);
        const sent = await postTask(app, tenant.token, { ...body, resolve_task: { ...(body.resolve_task as Json), tpl_id: tplId, params: [
          { cust_flag: '13100000001', dync_params: { param1: 'a' } }, { cust_flag: '13100000002', dync_params: { param1: 'b' } },
        ] } });
        assert.equal(sent.statusCode, 200, sent.body);
        const params = (sent.json() as { task_id: string; resolve_task: { params: Array<{ aim_url: string; msg_id: string }> } }).resolve_task.params;
        const taskId = (sent.json() as { task_id: string }).task_id;
        await worker.drain(); // dispatched, reported by the simulator, receipts pushed
        const opened = async (server: FastifyInstance, url: string) => {
          const [domain, code] = url.split('/');
          return (await server.inject({ url: `/${code as string}`, headers: { host: domain as string, 'user-agent': 'Mozilla/5.0' } })).statusCode;
        };
        assert.deepEqual(await Promise.all(params.map((p) => opened(linkApp, p.aim_url))), [200, 200]);
        assert.equal(params[0]?.aim_url.startsWith(`${LINK_DOMAIN}/`), true);
        await worker.drain();
        for (const url of ['/v1/aim/send-details?offset=0&limit=10', `/v1/aim/send-details?task_id=${taskId}&offset=0&limit=10`,
          `/v1/aim/resolve-details?task_id=${taskId}&offset=0&limit=10`, '/v1/aim/send-tasks?offset=0&limit=10', '/v1/aim/resolve-tasks?offset=0&limit=10',
          '/v1/aim/templates?offset=0&limit=10']) {
          assert.equal((await call('GET', url)).statusCode, 200, url);
        }
        const day = new Date(NOW).toISOString().slice(0, 10);
        assert.equal((await call('POST', '/v1/aim/template-reports/query', { tpl_ids: [tplId], begin_time: `${day}T00:00:00Z`, end_time: `${day}T23:59:59Z` })).statusCode, 200);
        const operator = await operatorToken(store);
        const reports = await app.inject({ method: 'POST', url: '/v1/aim/delivery-reports', headers: { 'x-auth-token': operator },
          payload: { reports: [{ msg_id: params[0]?.msg_id, status: 'UNDELIV', receive_time: '2026-06-15T12:00:30Z' }, { msg_id: 'unknown_1', status: 'DELIVRD', receive_time: '2026-06-15T12:00:30Z' }] } });
        assert.equal(reports.statusCode, 200, reports.body);
        await worker.drain();
        await app.close();
      } finally {
        await receiver.down();
      }

      const byAccount = new Set<string>(BY_ACCOUNT);
      const touched = new Set<string>();
      const spanning: string[] = [];
      for (const statement of statements) {
        const tables = tablesOf(statement).filter((t) => byAccount.has(t));
        for (const t of tables) touched.add(t);
        if (tables.length > 0 && !/"?account_id"?/.test(statement)) spanning.push(statement.slice(0, 200));
      }
      assert.deepEqual(spanning, [], 'statements on account-keyed tables that name no account');
      // The day reached the traffic tables (so the check above checked something).
      for (const t of ['send_details', 'send_tasks', 'links', 'link_events', 'send_task_counts']) assert.ok(touched.has(t), `the workload touched ${t}`);
    });
  });
});
