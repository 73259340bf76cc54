import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { Region } from '@huaweicloud/huaweicloud-sdk-core/region/region.js';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody } from './helpers/card-body.js';
import { testKeyring, testStack } from './helpers/factories.js';
import { tenantWithReferences } from './helpers/pipeline.js';

type Json = Record<string, unknown>;

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** The app listening on the real clock (the SDK signs with the real time), a te_user tenant and an access key of its. */
async function withSdkServer(store: KyselyStore, work: (ctx: { endpoint: string; tenant: Awaited<ReturnType<typeof tenantWithReferences>>; keys: { accessKey: string; secretKey: string } }) => Promise<void>): Promise<void> {
  const { app } = await testStack(store, { clock: systemClock });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const tenant = await tenantWithReferences(store, 'te_user');
    const keys = await new IdentityAdmin(store, systemClock).createAccessKey(tenant.account.name, 'alice', testKeyring);
    await work({ endpoint, tenant, keys });
  } finally {
    await app.close();
  }
}

for (const backend of BACKENDS) {
  describe(`the official SDK core on ${backend.name}: templates, materials, region discovery`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('every operation, sent as the generated SDKs send it (JSON content type on every call, DELETE without a body), AK/SK-signed', async () => {
      await withSdkServer(store, async ({ endpoint, tenant, keys }) => {
        const client = new ClientBuilder<HcClient>((c) => c)
          .withCredential(new BasicCredentials().withAk(keys.accessKey).withSk(keys.secretKey).withProjectId(tenant.account.projectId))
          .withEndpoint(endpoint)
          .build();
        const send = async (method: string, url: string, options: { data?: unknown; queryParams?: Json; pathParams?: Json } = {}) => {
          const answer = await client.sendRequest({
            method, url, pathParams: options.pathParams ?? {}, headers: {}, queryParams: options.queryParams ?? {},
            contentType: 'application/json', ...(options.data !== undefined ? { data: options.data } : {}),
          } as never) as unknown as Json;
          assert.equal(answer.httpStatusCode, 200, `${method} ${url}`);
          delete answer.httpStatusCode;
          return answer as Json & { data: Json };
        };

        const uploaded = await send('POST', '/v1/aim/template-materials', {
          data: { resource_type: 'image', file_type: 'stream', file_name: 'a.png', image_rate: 'sixteenToNine', file_stream: `data:image/png;base64,${PNG.toString('base64')}` },
        });
        const resourceId = uploaded.data.aim_resource_id as string;
        const materials = await send('GET', '/v1/aim/template-materials', { queryParams: { resource_type: 'image', offset: 1, limit: 10 } });
        assert.equal(((materials.data.results as Json[])[0] as Json).aim_resource_id, resourceId);

        const body = cardBody();
        const pages = body.pages as Array<{ contents: Json[] }>;
        pages[0]!.contents[0] = { ...pages[0]!.contents[0], src: resourceId, src_type: 1 };
        const created = await send('POST', '/v1/aim/templates', { data: body });
        const tplId = created.data.tpl_id as string;
        const listed = await send('GET', '/v1/aim/templates', { queryParams: { tpl_id: tplId, factory_type: ['HUAWEI', 'OPPO'], has_param: true } });
        assert.equal((listed.page_info as Json).total, 1);
        assert.deepEqual(await send('PUT', '/v1/aim/template-state/{tpl_id}', { pathParams: { tpl_id: tplId }, data: { tpl_state: 0 } }), { status: '200', message: 'success', data: null });

        const refused = await client.sendRequest({
          method: 'GET', url: '/v1/aim/template-material-thumbnails', pathParams: {}, headers: {}, queryParams: { aim_resource_id: resourceId }, contentType: 'application/json',
        } as never).then(() => undefined, (error: unknown) => error as { httpStatusCode: number; errorCode: string; errorMsg: string; requestId: string });
        assert.equal(refused?.httpStatusCode, 400);
        assert.match(refused?.requestId ?? "", /^[0-9a-f]{32}$/);
        assert.equal(refused?.errorCode, 'KM.80000002');
        assert.match(refused?.errorMsg ?? '', /is not a video of this account/);

        assert.deepEqual(await send('DELETE', '/v1/aim/template/{tpl_id}', { pathParams: { tpl_id: tplId } }), { status: '200', message: 'success', data: null });
        assert.deepEqual(await send('POST', '/v1/aim/template-materials/delete', { data: { material_ids: [uploaded.data.material_id] } }), { status: '200', message: 'success', data: null });
      });
    });

    it('given a region and no project id, the SDK finds the project through GET /v3/projects (IAM endpoint pointed at the server) and calls on', async () => {
      await withSdkServer(store, async ({ endpoint, tenant, keys }) => {
        const credentials = new BasicCredentials().withAk(keys.accessKey).withSk(keys.secretKey).withIamEndpoint(endpoint);
        const client = new ClientBuilder<HcClient>((c) => c).withCredential(credentials).withRegion(new Region('cn-north-4', endpoint)).build();
        const answer = await client.sendRequest({
          method: 'GET', url: '/v1/aim/send-details', pathParams: {}, headers: {}, queryParams: { offset: 0, limit: 1 }, contentType: 'application/json',
        } as never) as unknown as Json;
        assert.equal(answer.httpStatusCode, 200);
        assert.equal((credentials.getPathParams() as { project_id?: string }).project_id, tenant.account.projectId, 'the project id came from /v3/projects');
      });
    });
  });
}

