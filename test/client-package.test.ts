// The client as an application gets it: `@aimledger/client` packed by npm, installed from the
// tarball into a project of its own, imported from plain JavaScript and type-checked from
// TypeScript, then used against a live server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type * as Client from '../packages/client/src/index.js';
import { signRequest } from '../packages/client/src/index.js';
import { CLIENT_SCHEMA_FILE, CLIENT_TYPES, renderClientSchema } from '../scripts/client-types.js';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { insertSendDetails } from '../src/service/ledger.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { detail, testKeyring, testStack } from './helpers/factories.js';
import { tenantWithReferences } from './helpers/pipeline.js';

const run = promisify(execFile);

// Checked by `npm run typecheck` (part of npm test): what the client may send, the server's schema
// accepts, and what the server answers, the client's type describes. Every generated type is listed.
type ServerType<K extends keyof typeof CLIENT_TYPES> = Static<(typeof CLIENT_TYPES)[K]>;
type Fits<A, B> = [A] extends [B] ? true : false;
const sent = <C, K extends keyof typeof CLIENT_TYPES>(): Fits<C, ServerType<K>> => true as never;
const answered = <C, K extends keyof typeof CLIENT_TYPES>(): Fits<ServerType<K>, C> => true as never;
export const clientTypesMatchTheServer: Record<keyof typeof CLIENT_TYPES, true> = {
  SendDetailsQuery: sent<Client.SendDetailsQuery, 'SendDetailsQuery'>(),
  SendDetailsPage: answered<Client.SendDetailsPage, 'SendDetailsPage'>(),
  ExportQuery: sent<Client.ExportQuery, 'ExportQuery'>(),
  CreateSendTaskBody: sent<Client.CreateSendTaskBody, 'CreateSendTaskBody'>(),
  SendTaskCreatedBody: answered<Client.SendTaskCreatedBody, 'SendTaskCreatedBody'>(),
  SendTasksQuery: sent<Client.SendTasksQuery, 'SendTasksQuery'>(),
  SendTasksResponseBody: answered<Client.SendTasksResponseBody, 'SendTasksResponseBody'>(),
  SendReportsQuery: sent<Client.SendReportsQuery, 'SendReportsQuery'>(),
  SendReportsResponseBody: answered<Client.SendReportsResponseBody, 'SendReportsResponseBody'>(),
  TemplatesQuery: sent<Client.TemplatesQuery, 'TemplatesQuery'>(),
  TemplatesResponseBody: answered<Client.TemplatesResponseBody, 'TemplatesResponseBody'>(),
  CreateTemplateRequest: sent<Client.CreateTemplateRequest, 'CreateTemplateRequest'>(),
  TemplateCreatedBody: answered<Client.TemplateCreatedBody, 'TemplateCreatedBody'>(),
  ResolveDetailsQuery: sent<Client.ResolveDetailsQuery, 'ResolveDetailsQuery'>(),
  ResolveDetailsResponseBody: answered<Client.ResolveDetailsResponseBody, 'ResolveDetailsResponseBody'>(),
  CreateResolveTaskRequest: sent<Client.CreateResolveTaskRequest, 'CreateResolveTaskRequest'>(),
  ResolveTaskCreatedBody: answered<Client.ResolveTaskCreatedBody, 'ResolveTaskCreatedBody'>(),
  ResolveTasksQuery: sent<Client.ResolveTasksQuery, 'ResolveTasksQuery'>(),
  ResolveTasksResponseBody: answered<Client.ResolveTasksResponseBody, 'ResolveTasksResponseBody'>(),
  TemplateReportsQuery: sent<Client.TemplateReportsQuery, 'TemplateReportsQuery'>(),
  TemplateReportsResponseBody: answered<Client.TemplateReportsResponseBody, 'TemplateReportsResponseBody'>(),
  UploadMaterialRequest: sent<Client.UploadMaterialRequest, 'UploadMaterialRequest'>(),
  MaterialUploadedBody: answered<Client.MaterialUploadedBody, 'MaterialUploadedBody'>(),
  MaterialsQuery: sent<Client.MaterialsQuery, 'MaterialsQuery'>(),
  MaterialsResponseBody: answered<Client.MaterialsResponseBody, 'MaterialsResponseBody'>(),
  ThumbnailsResponseBody: answered<Client.ThumbnailsResponseBody, 'ThumbnailsResponseBody'>(),
  DeliveryReportsRequest: sent<Client.DeliveryReportsRequest, 'DeliveryReportsRequest'>(),
  DeliveryReportsResponseBody: answered<Client.DeliveryReportsResponseBody, 'DeliveryReportsResponseBody'>(),
  TokenRequestBody: sent<Client.TokenRequestBody, 'TokenRequestBody'>(),
  TokenResponseBody: answered<Client.TokenResponseBody, 'TokenResponseBody'>(),
  ErrorBody: answered<Client.ErrorBody, 'ErrorBody'>(),
  IamErrorBody: answered<Client.IamErrorBody, 'IamErrorBody'>(),
};

describe('@aimledger/client types', () => {
  it('packages/client/src/schema.ts is what `npm run client:types` writes from the route schemas today', async () => {
    assert.equal(readFileSync(CLIENT_SCHEMA_FILE, 'utf8'), await renderClientSchema(), 'stale: run npm run client:types');
  });
});

/** The application: plain ESM, nothing but the installed package. */
const APP_MJS = `
import { AimLedgerClient, ApiError, RESULT_WINDOW, SEND_STATUSES, signRequest } from '@aimledger/client';
const [endpoint, account, user, password, accessKey, secretKey, projectId] = process.argv.slice(2);
const signed = await signRequest({
  method: 'GET', url: new URL('http://aimledger.test/v1/aim/send-details?offset=0&limit=1'), headers: {}, body: '', accessKey: 'AK', secretKey: 'SK', now: 0,
});
const anonymous = new AimLedgerClient({ endpoint });
const { token } = await anonymous.createToken({ user, password, domain: { name: account } });
const byToken = new AimLedgerClient({ endpoint, credentials: { token } });
const byKey = new AimLedgerClient({ endpoint, credentials: { accessKey, secretKey, projectId } });
const failed = [];
for await (const row of byKey.iterateSendDetails({ send_status: 'fail' }, 10)) failed.push(row.msg_id);
const error = await byToken.listSendDetails({ offset: 0, limit: 101 }).catch((e) => e);
console.log(JSON.stringify({
  constants: { RESULT_WINDOW, SEND_STATUSES },
  authorization: signed.Authorization,
  total: (await byToken.listSendDetails({ offset: 0, limit: 5 })).page_info.total,
  failed,
  error: { isApiError: error instanceof ApiError, status: error.status, code: error.errorCode },
}));
`;

/** The application's TypeScript: uses the types, and proves they are not \`any\`. */
const APP_TS = `
import { AimLedgerClient, ApiError, type SendDetailRow, type SendDetailsQuery, type SendStatus } from '@aimledger/client';
const client = new AimLedgerClient({ endpoint: 'http://127.0.0.1:8080', credentials: { token: 't' } });
const query: SendDetailsQuery = { offset: 0, limit: 10, send_status: 'fail' };
export async function firstFailure(): Promise<string | null> {
  const page = await client.listSendDetails(query);
  const row: SendDetailRow | undefined = page.send_details[0];
  const status: SendStatus | undefined = row?.send_status;
  return status === 'fail' ? row?.receive_time ?? null : null;
}
export function codeOf(error: unknown): string | undefined {
  return error instanceof ApiError ? error.errorCode : undefined;
}
// @ts-expect-error limit is a number
export const wrongLimit: SendDetailsQuery = { offset: 0, limit: '10' };
// @ts-expect-error no such state
export const wrongStatus: SendStatus = 'delivered';
// @ts-expect-error the page's rows are typed
export const wrongRow: Promise<number> = client.listSendDetails(query).then((p) => p.send_details[0]!.msg_id);
`;

describe('@aimledger/client as a package', () => {
  const sqlite = BACKENDS[0]!;
  let store!: KyselyStore;
  useStore(sqlite, (opened) => (store = opened));
  let app: FastifyInstance;
  let endpoint: string;
  let dir: string;
  before(async () => {
    ({ app } = await testStack(store, { clock: systemClock }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'aimledger-client-package-'));
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('packs (built on prepack), installs from the tarball with no dependencies, imports from .mjs and type-checks from .ts', async () => {
    const packed = await run('npm', ['pack', '--workspace', 'packages/client', '--pack-destination', dir, '--json'], { maxBuffer: 1 << 24 });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path).sort();
    assert.deepEqual(files.filter((f) => !f.startsWith('dist/')), ['README.md', 'package.json']);
    for (const built of ['dist/index.js', 'dist/index.d.ts', 'dist/schema.d.ts', 'dist/canonical.js']) assert.ok(files.includes(built), built);
    assert.ok(!files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources shipped');

    const project = join(dir, 'app');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--offline', join(dir, info!.filename)], { cwd: project });
    assert.deepEqual(readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.')), ['@aimledger'], 'the package brings no dependencies');
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', '@aimledger', 'client', 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.dependencies, undefined);

    // Plain JavaScript, against a live server.
    const tenant = await tenantWithReferences(store, 'te_user');
    const admin = new IdentityAdmin(store, systemClock);
    await admin.createUser(tenant.account.name, 'carol', 'te_user', 'carol-password');
    const keys = await admin.createAccessKey(tenant.account.name, 'carol', testKeyring);
    const now = Date.now();
    const rows = Array.from({ length: 23 }, (_, i) => detail({ sendTime: now - 60_000 - i * 1000, sendStatus: i % 3 === 0 ? 'fail' : 'success' }));
    await insertSendDetails(store, tenant.account.id, rows, now);
    writeFileSync(join(project, 'app.mjs'), APP_MJS);
    const { stdout } = await run(process.execPath, ['app.mjs', endpoint, tenant.account.name, 'carol', 'carol-password', keys.accessKey, keys.secretKey, tenant.account.projectId], { cwd: project });
    const out = JSON.parse(stdout) as { constants: unknown; authorization: string; total: number; failed: string[]; error: unknown };
    assert.deepEqual(out.constants, { RESULT_WINDOW: 10_000, SEND_STATUSES: ['sending', 'success', 'fail'] });
    const expected = await signRequest({
      method: 'GET', url: new URL('http://aimledger.test/v1/aim/send-details?offset=0&limit=1'), headers: {}, body: '', accessKey: 'AK', secretKey: 'SK', now: 0,
    });
    assert.equal(out.authorization, expected.Authorization, 'the built package signs as the source does');
    assert.equal(out.total, 23);
    assert.deepEqual(out.failed, rows.filter((r) => r.sendStatus === 'fail').sort((a, b) => b.sendTime - a.sendTime).map((r) => r.msgId));
    assert.ok(out.failed.length > 0, 'the sample has failures to walk');
    assert.deepEqual(out.error, { isApiError: true, status: 400, code: 'KM.80000002' });

    // TypeScript, as a browser or Node.js application would compile it: DOM types, no Node types.
    writeFileSync(join(project, 'app.ts'), APP_TS);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2023', 'DOM'], types: [] },
      files: ['app.ts'],
    }));
    const tsc = join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).then(() => '', (e: { stdout?: string }) => e.stdout ?? String(e));
    assert.equal(checked, '', 'the application type-checks against the packed declarations');
  });
});
