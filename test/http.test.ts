import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { createTenant, getDetails, testApp } from './helpers/factories.js';

for (const backend of BACKENDS) {
  describe(`HTTP service endpoints on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('/healthz and /readyz answer when the database does', async () => {
      const app = await testApp(store);
      const health = await app.inject('/healthz');
      assert.equal(health.statusCode, 200);
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(ready.json(), { status: 'ready', database: backend.name });
      assert.match(String(ready.headers['x-request-id']), /^[0-9a-f]{32}$/);
      // A browser pointed at the server lands in the console, with the product's icon.
      const root = await app.inject('/');
      assert.deepEqual([root.statusCode, root.headers.location], [302, '/console']);
      for (const path of ['/favicon.ico', '/favicon.svg']) {
        const icon = await app.inject(path);
        assert.deepEqual([icon.statusCode, icon.headers['content-type']], [200, 'image/svg+xml'], path);
        assert.match(icon.body, /^<svg [^>]*viewBox="0 0 32 32"/);
      }
    });

    it('/openapi.json documents send-details from the route schemas; /docs renders', async () => {
      const app = await testApp(store);
      const res = await app.inject('/openapi.json');
      assert.equal(res.statusCode, 200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, { get: { operationId: string; parameters: Array<{ name: string; in: string; required?: boolean; schema: Record<string, unknown> }>; responses: Record<string, unknown> } }>;
        components: { schemas: Record<string, { required: string[] }> };
      };
      assert.equal(doc.openapi, '3.1.0');
      const op = doc.paths['/v1/aim/send-details']?.get;
      assert.ok(op, 'send-details is documented');
      assert.equal(op.operationId, 'ListAimSendDetails');
      const params = Object.fromEntries(op.parameters.map((p) => [p.name, p]));
      assert.deepEqual(Object.keys(params).sort(), ['begin_time', 'cust_flag', 'end_time', 'limit', 'msg_id', 'offset', 'send_status', 'sms_sign', 'task_id', 'tpl_id']);
      assert.equal(params.offset?.required, true);
      assert.equal(params.limit?.schema.maximum, 100);
      assert.equal(params.task_id?.schema.maxLength, 36);
      assert.deepEqual(Object.keys(op.responses).sort(), ['200', '400', '401', '403', '404', '409', '429', '500', '503']);
      assert.equal(doc.components.schemas.AIMSendDetail?.required.length, 11);
      assert.ok(doc.components.schemas.ErrorBody);
      const iam = doc.paths['/v3/auth/tokens'] as unknown as Record<string, { operationId: string; security?: unknown[]; responses: Record<string, unknown> }>;
      assert.equal(iam.post?.operationId, 'KeystoneCreateUserTokenByPassword');
      assert.deepEqual(iam.post?.security, [], 'signing in needs no credentials');
      assert.ok(iam.post?.responses['201'] && iam.post.responses['429']);
      assert.equal(iam.get?.operationId, 'KeystoneValidateToken');
      const ops = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId?: string }>).map((o) => o.operationId)).filter(Boolean).sort();
      assert.deepEqual(ops, ['AddCallBack', 'CheckMobileCapability', 'CreateAimPersonalTemplate', 'CreateAimSendTask', 'CreateResolveTask', 'DeleteAimPersonalTemplate', 'DeleteTemplateMaterial', 'ExportAimSendDetails',
        'Healthz', 'IngestDeliveryReports', 'KeystoneCreateUserTokenByPassword', 'KeystoneListProjects', 'KeystoneValidateToken', 'ListAimCallbacks', 'ListAimResolveDetails', 'ListAimSendDetails', 'ListAimSendReports',
        'ListAimSendTasks', 'ListAimTemplateMaterials', 'ListAimTemplateReports', 'ListAimTemplates', 'ListResolveTasks', 'Metrics', 'Readyz', 'ReviewAimTemplate',
        'SetPrimaryVideoThumbnail', 'ShowTemplateVideoThumbnail', 'UpdatePersonalTemplateState', 'UploadAimTemplateMaterial']);
      // The operations endpoints need no credentials; the export says what it streams.
      const paths = doc.paths as unknown as Record<string, Record<string, { security?: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>>;
      for (const path of ['/healthz', '/readyz', '/metrics']) assert.deepEqual(paths[path]?.get?.security, [], path);
      assert.deepEqual(Object.keys(paths['/metrics']?.get?.responses['200']?.content ?? {}), ['text/plain']);
      assert.deepEqual(Object.keys(paths['/v1/aim/send-details/export']?.get?.responses['200']?.content ?? {}).sort(), ['application/x-ndjson', 'text/csv']);
      const schemes = (doc as unknown as { components: { securitySchemes: Record<string, unknown> } }).components.securitySchemes;
      assert.deepEqual(Object.keys(schemes).sort(), ['akskSignature', 'iamToken']);
      const docs = await app.inject('/docs/');
      assert.equal(docs.statusCode, 200);
      assert.match(docs.headers['content-type'] as string, /text\/html/);
      assert.match(docs.body, /swagger/i);
      const json = await app.inject('/docs/json');
      assert.equal(json.statusCode, 200);
    });

    it('unknown routes answer 404 with the error body', async () => {
      const app = await testApp(store);
      const res = await app.inject('/v1/aim/nothing-here');
      assert.equal(res.statusCode, 404);
      assert.equal(res.headers['content-type'], 'application/json;charset=UTF-8');
      const body = res.json() as Record<string, string>;
      assert.equal(body.error_code, 'APIG.0101');
      assert.equal(body.error_msg, body.error_message);
    });

    it('a database that cannot answer gives a generic 500 and a not-ready probe, leaking nothing', async () => {
      const own = await backend.open();
      const tenant = await createTenant(own.store);
      const app = await testApp(own.store);
      assert.equal((await getDetails(app, tenant.token, 'offset=0&limit=1')).status, 200);
      await own.store.db.destroy();
      const res = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': tenant.token } });
      assert.equal(res.statusCode, 500);
      const body = res.json() as Record<string, string>;
      assert.equal(body.error_code, 'KM.80000001');
      assert.equal(body.error_msg, body.error_message);
      assert.doesNotMatch(res.body, /select|driver|destroy|sqlite|postgres|stack|at /i);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/);
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 503);
      assert.equal((ready.json() as Record<string, string>).error_code, 'KM.80000001');
      await own.dispose().catch(() => {});
    });
  });
}
