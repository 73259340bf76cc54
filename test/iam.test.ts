import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { ClientBuilder } from '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../src/domain/clock.js';
import { systemClock } from '../src/domain/clock.js';
import type { CustomerRole, Role } from '../src/domain/identity.js';
import { requireOperation } from '../src/http/auth.js';
import { AuthThrottle } from '../src/identity/auth-throttle.js';
import { canonicalRequest, formatSdkDate, sign, stringToSign } from '../src/identity/signature.js';
import { Keyring } from '../src/identity/keyring.js';
import { identityFor } from '../src/server.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { detail, fixedClock, NOW, testApp, testKeyring } from './helpers/factories.js';
import { sdkSign, sendSigned, TEST_HOST } from './helpers/signing.js';
import { insertSendDetails } from '../src/service/ledger.js';

const PASSWORD = 'correct horse battery staple';
/** One answer for an unknown, disabled or deleted key and a wrong signature alike. */
const WRONG_SIGNATURE = /the access key or the signature is wrong/;

interface Tenant {
  name: string;
  domainId: string;
  projectId: string;
  accountId: number;
  token: string;
  ak: string;
  sk: string;
  admin: IdentityAdmin;
}

/** An account with user alice (password, CLI token, access key). */
async function tenant(store: KyselyStore, role: Role = 'readonly', clock: Clock = fixedClock): Promise<Tenant> {
  const admin = new IdentityAdmin(store, clock);
  const name = `acct-${randomBytes(4).toString('hex')}`;
  const account = await admin.createAccount(name);
  await admin.createUser(name, 'alice', role, PASSWORD);
  const { token } = await admin.createToken(name, 'alice');
  const { accessKey, secretKey } = await admin.createAccessKey(name, 'alice', testKeyring);
  return { name, domainId: account.domainId, projectId: account.projectId, accountId: account.id, token, ak: accessKey, sk: secretKey, admin };
}

function login(user: string, password: string, domain: { name: string } | { id: string }, scope?: unknown) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, password, domain } } },
      ...(scope ? { scope } : {}),
    },
  };
}

async function postToken(app: FastifyInstance, body: unknown, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: body as Record<string, unknown>, remoteAddress });
}

function assertIamError(res: { statusCode: number; json(): unknown }, status: number): string {
  assert.equal(res.statusCode, status);
  const body = res.json() as { error: { code: number; title: string; message: string } };
  assert.equal(body.error.code, status);
  assert.equal(typeof body.error.title, 'string');
  return body.error.message;
}

function assertUnauthenticated(res: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, why: RegExp, label = ''): void {
  assert.equal(res.statusCode, 401, `${label}: ${JSON.stringify(res.json())}`);
  const body = res.json() as { error_code: string; error_msg: string; request_id: string };
  assert.equal(body.error_code, 'APIG.0301', label);
  assert.match(body.error_msg, why, label);
  assert.equal(body.request_id, res.headers['x-request-id'], label);
}

const QUERY = { offset: '0', limit: '100' };

for (const backend of BACKENDS) {
  describe(`IAM tokens on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('GET /v3/projects answers the caller\'s one project (named after the region) in IAM\'s shape; filters it does not match answer none', async () => {
      const t = await tenant(store, 'readonly');
      const app = await testApp(store);
      const list = (query: string, headers: Record<string, string> = { 'x-auth-token': t.token }) => app.inject({ url: `/v3/projects${query}`, headers });
      const found = await list('?name=cn-north-4');
      assert.equal(found.statusCode, 200, found.body);
      assert.deepEqual(found.json(), {
        projects: [{
          id: t.projectId, name: 'cn-north-4', description: '', domain_id: t.domainId, parent_id: t.domainId, enabled: true, is_domain: false,
          links: { self: `http://localhost:80/v3/projects/${t.projectId}` },
        }],
        links: { self: 'http://localhost:80/v3/projects?name=cn-north-4', previous: null, next: null },
      });
      assert.equal((await list('')).json().projects.length, 1);
      for (const query of ['?name=cn-south-1', '?domain_id=other', '?enabled=false', '?is_domain=true', '?page=2']) {
        assert.deepEqual((await list(query)).json().projects, [], query);
      }
      assertIamError(await list('?per_page=0'), 400);
      assertIamError(await list('?name=cn-north-4', {}), 401);
    });

    it('POST /v3/auth/tokens issues a project-scoped token in X-Subject-Token that reads send-details', async () => {
      const t = await tenant(store, 'te_user');
      await insertSendDetails(store, t.accountId, [detail(), detail(), detail({ sendStatus: 'fail' })], NOW);
      const app = await testApp(store);
      const res = await postToken(app, login('alice', PASSWORD, { name: t.name }));
      assert.equal(res.statusCode, 201, res.body);
      const token = String(res.headers['x-subject-token']);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const body = res.json() as { token: Record<string, unknown> & { user: { id: string; name: string; domain: { id: string; name: string } }; project: { id: string; name: string }; roles: Array<{ id: string; name: string }> } };
      assert.deepEqual(body.token.methods, ['password']);
      assert.equal(body.token.issued_at, '2026-06-15T12:00:00.000000Z');
      assert.equal(body.token.expires_at, '2026-06-16T12:00:00.000000Z');
      assert.equal(body.token.user.name, 'alice');
      assert.match(body.token.user.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(body.token.user.domain, { id: t.domainId, name: t.name });
      assert.deepEqual(body.token.project, { id: t.projectId, name: 'cn-north-4', domain: { id: t.domainId, name: t.name } });
      assert.equal(body.token.domain, undefined);
      assert.deepEqual(body.token.roles.map((r) => r.name), ['te_user']);
      assert.ok(!res.body.includes(PASSWORD));

      const viaLogin = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=10', headers: { 'x-auth-token': token } });
      const viaCli = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=10', headers: { 'x-auth-token': t.token } });
      assert.equal(viaLogin.statusCode, 200);
      assert.equal((viaLogin.json() as { page_info: { total: number } }).page_info.total, 3);
      assert.equal(viaLogin.body, viaCli.body);

      // Domain by id, scope by project id or by the region name: all the same project token.
      for (const request of [
        login('alice', PASSWORD, { id: t.domainId }),
        login('alice', PASSWORD, { name: t.name }, { project: { id: t.projectId } }),
        login('alice', PASSWORD, { name: t.name }, { project: { name: 'cn-north-4' } }),
      ]) {
        const again = await postToken(app, request);
        assert.equal(again.statusCode, 201, again.body);
        assert.equal((again.json() as { token: { project: { id: string } } }).token.project.id, t.projectId);
      }
    });

    it('wrong user, password or domain: the same 401 that names none of them', async () => {
      const t = await tenant(store);
      const other = await tenant(store);
      await new IdentityAdmin(store, fixedClock).createUser(t.name, 'nopass', 'readonly', null);
      const app = await testApp(store);
      const messages = new Set<string>();
      for (const request of [
        login('alice', 'wrong password', { name: t.name }),
        login('bob', PASSWORD, { name: t.name }),
        login('alice', PASSWORD, { name: 'no-such-domain' }),
        login('alice', PASSWORD, { id: 'f'.repeat(32) }),
        // A user without a password (created for tokens or keys only) cannot sign in.
        login('nopass', 'anything', { name: t.name }),
        // alice exists in the other account too, with the same password: the domain decides.
        login('alice', 'wrong password', { name: other.name }),
      ]) {
        const res = await postToken(app, request);
        messages.add(assertIamError(res, 401));
        assert.equal(res.headers['x-subject-token'], undefined);
      }
      assert.deepEqual([...messages], ['The username or password is wrong.']);
    });

    it('malformed token requests are 400 with the IAM error body', async () => {
      const t = await tenant(store);
      const app = await testApp(store);
      const bad: unknown[] = [
        {},
        { auth: {} },
        { auth: { identity: { methods: ['token'], password: { user: { name: 'alice', password: PASSWORD, domain: { name: t.name } } } } } },
        login('alice', PASSWORD, {} as { name: string }),
        login('alice', PASSWORD, { name: t.name }, { project: { name: 'cn-north-4' }, domain: { name: t.name } }),
        login('alice', PASSWORD, { name: t.name }, { project: {} }),
        login('a'.repeat(65), PASSWORD, { name: t.name }),
      ];
      for (const body of bad) {
        const res = await postToken(app, body);
        const message = assertIamError(res, 400);
        assert.ok(message.length > 0);
      }
      const notJson = await app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/json' }, payload: '{"auth":' });
      assertIamError(notJson, 400);
      const text = await app.inject({ method: 'POST', url: '/v3/auth/tokens', headers: { 'content-type': 'application/xml' }, payload: '<auth/>' });
      assertIamError(text, 415);
    });

    it('scope: another project or domain is refused; a domain-scoped token does not reach KooMessage', async () => {
      const t = await tenant(store);
      const other = await tenant(store);
      const app = await testApp(store);
      for (const scope of [{ project: { id: other.projectId } }, { project: { name: 'cn-south-1' } }, { domain: { name: other.name } }, { domain: { id: other.domainId } }]) {
        const res = await postToken(app, login('alice', PASSWORD, { name: t.name }, scope));
        assert.match(assertIamError(res, 401), /project|domain/);
      }
      const domainScoped = await postToken(app, login('alice', PASSWORD, { name: t.name }, { domain: { name: t.name } }));
      assert.equal(domainScoped.statusCode, 201);
      const body = domainScoped.json() as { token: { domain?: { id: string }; project?: unknown } };
      assert.deepEqual(body.token.domain, { id: t.domainId, name: t.name });
      assert.equal(body.token.project, undefined);
      const token = String(domainScoped.headers['x-subject-token']);
      const details = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': token } });
      assertUnauthenticated(details, /scoped to a domain.*cn-north-4/);

      // X-Project-Id, when sent, must be the credentials' project.
      const wrongProject = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': t.token, 'x-project-id': other.projectId } });
      assertUnauthenticated(wrongProject, /X-Project-Id/);
      const rightProject = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': t.token, 'x-project-id': t.projectId } });
      assert.equal(rightProject.statusCode, 200);
    });

    it('GET /v3/auth/tokens validates a token of the same account; 404 for others, unknown or expired', async () => {
      const t = await tenant(store);
      const other = await tenant(store);
      const app = await testApp(store);
      const issued = await postToken(app, login('alice', PASSWORD, { name: t.name }));
      const subject = String(issued.headers['x-subject-token']);

      const ok = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': t.token, 'x-subject-token': subject } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.headers['x-subject-token'], subject);
      assert.deepEqual(ok.json(), issued.json());

      const self = await app.inject({ url: '/v3/auth/tokens?nocatalog=true', headers: { 'x-auth-token': t.token, 'x-subject-token': t.token } });
      assert.equal(self.statusCode, 200);
      assert.deepEqual((self.json() as { token: { methods: string[] } }).token.methods, ['token']);

      const foreign = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': other.token, 'x-subject-token': subject } });
      assertIamError(foreign, 404);
      const unknown = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': t.token, 'x-subject-token': 'nope' } });
      assertIamError(unknown, 404);
      const missing = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': t.token } });
      assertIamError(missing, 400);
      const anonymous = await app.inject({ url: '/v3/auth/tokens', headers: { 'x-subject-token': subject } });
      assertIamError(anonymous, 401);

      const later = await testApp(store, () => new Date(NOW + 25 * 3600_000));
      const expired = await later.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': other.token, 'x-subject-token': subject } });
      assertIamError(expired, 401);
      const expiredUse = await later.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': subject } });
      assertUnauthenticated(expiredUse, /expired/);
    });

    it('roles: readonly queries, te_user also sends, te_admin also manages callbacks; otherwise 403 KM.80020000', async () => {
      const app = await testApp(store);
      // Routes standing in for the send and callback operations, guarded exactly as theirs will be.
      const { authenticator: chain } = identityFor(store, fixedClock, testKeyring);
      app.post('/test/send', { preValidation: requireOperation(chain, 'send-tasks:create') }, async () => ({ ok: true }));
      app.post('/test/callbacks', { preValidation: requireOperation(chain, 'callbacks:manage') }, async () => ({ ok: true }));
      const expect: Record<CustomerRole, [number, number, number]> = {
        readonly: [200, 403, 403],
        te_user: [200, 200, 403],
        te_admin: [200, 200, 200],
      };
      for (const role of ['readonly', 'te_user', 'te_admin'] as const) {
        const t = await tenant(store, role);
        const statuses: number[] = [];
        for (const url of ['/v1/aim/send-details?offset=0&limit=1', '/test/send', '/test/callbacks']) {
          const signed = sdkSign(t.ak, t.sk, url.startsWith('/test')
            ? { method: 'POST', path: url, body: { task_name: 'x' } }
            : { method: 'GET', path: '/v1/aim/send-details', query: { offset: '0', limit: '1' } });
          const res = await sendSigned(app, url.startsWith('/test') ? 'POST' : 'GET', signed);
          statuses.push(res.statusCode);
          if (res.statusCode === 403) {
            const body = res.json() as { error_code: string; error_msg: string };
            assert.equal(body.error_code, 'KM.80020000');
            assert.match(body.error_msg, new RegExp(role));
          }
        }
        assert.deepEqual(statuses, expect[role], role);
      }
    });
  });

  describe(`AK/SK signatures on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('the official SDK core (HcClient, BasicCredentials) reads the same rows as a token, with and without a project id', async () => {
      // The SDK signs with the real time, so this server runs on the real clock.
      const t = await tenant(store, 'readonly', systemClock);
      const now = Date.now();
      const rows = Array.from({ length: 30 }, (_, i) => detail({ sendTime: now - 60_000 - i * 1000, smsSign: i % 2 ? '华为 云+&=' : 'plain' }));
      await insertSendDetails(store, t.accountId, rows, now);
      const app = await testApp(store, systemClock);
      await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        const client = (projectId?: string) => new ClientBuilder<HcClient>((c) => c)
          .withCredential(new BasicCredentials().withAk(t.ak).withSk(t.sk).withProjectId(projectId))
          .withEndpoint(endpoint)
          .build();
        const queries: Array<Record<string, string | number>> = [
          { offset: 0, limit: 100 },
          { offset: 3, limit: 7, sms_sign: '华为 云+&=' },
          { offset: 0, limit: 5, sms_sign: 'plain', begin_time: new Date(now - 3600_000).toISOString().replace(/\.\d+/, ''), end_time: new Date(now).toISOString().replace(/\.\d+/, '') },
        ];
        for (const projectId of [undefined, t.projectId]) {
          for (const queryParams of queries) {
            const viaSdk = await client(projectId).sendRequest({
              method: 'GET', url: '/v1/aim/send-details', pathParams: {}, headers: {}, queryParams, contentType: 'application/json',
            } as never) as unknown as Record<string, unknown>;
            assert.equal(viaSdk.httpStatusCode, 200);
            delete viaSdk.httpStatusCode;
            const search = new URLSearchParams(Object.entries(queryParams).map(([k, v]): [string, string] => [k, String(v)]));
            const viaToken = await fetch(`${endpoint}/v1/aim/send-details?${search}`, { headers: { 'X-Auth-Token': t.token } });
            assert.equal(viaToken.status, 200);
            const expected = await viaToken.json() as { send_details: unknown[] };
            assert.ok(expected.send_details.length > 0);
            assert.deepEqual(viaSdk, expected, `${JSON.stringify(queryParams)} project ${projectId}`);
          }
        }
      } finally {
        await app.close();
      }
    });

    it('every tampered part of a signed request is a 401 APIG.0301', async () => {
      const t = await tenant(store);
      const other = await tenant(store);
      // Generous limits: this test fails on purpose many times from one address.
      const app = await testApp(store, fixedClock, new AuthThrottle({ perSubjectAndAddress: 1000, perAddress: 1000, windowSeconds: 60, freeFailures: 1000, maxDelayMs: 0 }));
      const base = { method: 'GET' as const, path: '/v1/aim/send-details', query: { ...QUERY, sms_sign: '华为云' }, headers: { 'X-Project-Id': t.projectId } };
      const good = sdkSign(t.ak, t.sk, base);
      assert.equal((await sendSigned(app, 'GET', good)).statusCode, 200);

      const cases: Array<[string, RegExp, () => ReturnType<typeof sdkSign>, ('GET' | 'POST' | 'HEAD')?]> = [
        ['query value', WRONG_SIGNATURE, () => ({ ...good, url: good.url.replace('limit=100', 'limit=99') })],
        ['query added', WRONG_SIGNATURE, () => ({ ...good, url: `${good.url}&task_id=x` })],
        ['query removed', WRONG_SIGNATURE, () => ({ ...good, url: good.url.replace(/&sms_sign=[^&]*/, '') })],
        ['path', WRONG_SIGNATURE, () => ({ ...sdkSign(t.ak, t.sk, { ...base, path: '/v1/aim/send-tasks' }), url: good.url })],
        ['method', WRONG_SIGNATURE, () => good, 'HEAD'],
        ['host', WRONG_SIGNATURE, () => ({ ...good, headers: { ...good.headers, host: 'evil.test' } })],
        ['date', WRONG_SIGNATURE, () => ({ ...good, headers: { ...good.headers, 'X-Sdk-Date': formatSdkDate(NOW + 1000) } })],
        ['signed header value', WRONG_SIGNATURE, () => ({ ...good, headers: { ...good.headers, 'X-Project-Id': other.projectId } })],
        ['signed header dropped', /signed header x-project-id is not in the request/, () => {
          const headers = { ...good.headers };
          delete headers['X-Project-Id'];
          return { ...good, headers };
        }],
        ['signature', WRONG_SIGNATURE, () => ({ ...good, headers: { ...good.headers, Authorization: good.headers.Authorization!.replace(/Signature=(.)/, (_m, c: string) => `Signature=${c === '0' ? '1' : '0'}`) } })],
        ['secret key', WRONG_SIGNATURE, () => sdkSign(t.ak, `${t.sk.slice(0, -1)}${t.sk.endsWith('x') ? 'y' : 'x'}`, base)],
        ['another account\'s key with this signature', WRONG_SIGNATURE, () => ({ ...good, headers: { ...good.headers, Authorization: good.headers.Authorization!.replace(t.ak, other.ak) } })],
        ['unknown access key', WRONG_SIGNATURE, () => sdkSign('AAAAAAAAAAAAAAAAAAAA', t.sk, base)],
        ['stale date', /15 minutes/, () => sdkSign(t.ak, t.sk, { ...base, at: NOW - 16 * 60_000 })],
        ['future date', /15 minutes/, () => sdkSign(t.ak, t.sk, { ...base, at: NOW + 16 * 60_000 })],
        ['malformed date', /X-Sdk-Date must look like/, () => ({ ...good, headers: { ...good.headers, 'X-Sdk-Date': '2026-06-15T12:00:00Z' } })],
        ['no date', /X-Sdk-Date header/, () => {
          const headers = { ...good.headers };
          delete headers['X-Sdk-Date'];
          return { ...good, headers };
        }],
        ['security token', /X-Security-Token/, () => ({ ...good, headers: { ...good.headers, 'X-Security-Token': 'sts' } })],
        ['malformed header', /Access=/, () => ({ ...good, headers: { ...good.headers, Authorization: 'SDK-HMAC-SHA256 Access=x' } })],
      ];
      for (const [label, why, build, method] of cases) {
        const res = await sendSigned(app, method ?? 'GET', build());
        if (method === 'HEAD') {
          assert.equal(res.statusCode, 401, label);
          continue;
        }
        assertUnauthenticated(res, why, label);
      }

      // SignedHeaders must include host: a correct signature over the other headers is not enough.
      const date = formatSdkDate(NOW);
      const headers = { 'x-sdk-date': date, host: TEST_HOST };
      const canonical = canonicalRequest({ method: 'GET', url: '/v1/aim/send-details?limit=100&offset=0', headers, signedHeaders: ['x-sdk-date'], payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
      assert.ok('request' in canonical);
      const noHost = await app.inject({
        url: '/v1/aim/send-details?limit=100&offset=0',
        headers: { ...headers, authorization: `SDK-HMAC-SHA256 Access=${t.ak}, SignedHeaders=x-sdk-date, Signature=${sign(t.sk, stringToSign(date, canonical.request))}` },
      });
      assertUnauthenticated(noHost, /SignedHeaders must include host/);

      // A disabled key is refused until enabled again; a deleted one is unknown.
      await t.admin.setAccessKeyStatus(t.name, t.ak, 'inactive');
      assertUnauthenticated(await sendSigned(app, 'GET', good), WRONG_SIGNATURE);
      await t.admin.setAccessKeyStatus(t.name, t.ak, 'active');
      assert.equal((await sendSigned(app, 'GET', good)).statusCode, 200);
      await t.admin.deleteAccessKey(t.name, t.ak);
      assertUnauthenticated(await sendSigned(app, 'GET', good), WRONG_SIGNATURE);
    });

    it('a signed body is covered: tampering with it is a 401, the untouched body passes', async () => {
      const t = await tenant(store, 'te_user');
      const app = await testApp(store);
      const { authenticator } = identityFor(store, fixedClock, testKeyring);
      app.post('/test/echo', { preValidation: requireOperation(authenticator, 'send-tasks:create') }, async (request) => request.body);
      const body = { task_name: '双十一 活动', resolve_task: { params: [{ phone: '13100000000' }] } };
      const good = sdkSign(t.ak, t.sk, { method: 'POST', path: '/test/echo', body });
      const ok = await sendSigned(app, 'POST', good);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json(), body);
      const tampered = await sendSigned(app, 'POST', { ...good, payload: good.payload!.replace('13100000000', '13100000001') });
      assertUnauthenticated(tampered, WRONG_SIGNATURE);
      const declared = await sendSigned(app, 'POST', { ...good, headers: { ...good.headers, 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' } });
      assertUnauthenticated(declared, /X-Sdk-Content-Sha256/);
    });

    it('a signature covers the raw bytes of every body, whatever its media type', async () => {
      const t = await tenant(store, 'te_user');
      const app = await testApp(store);
      const { authenticator } = identityFor(store, fixedClock, testKeyring);
      app.post('/test/text', { preValidation: requireOperation(authenticator, 'send-tasks:create') }, async (request) => ({ got: request.body }));
      const signText = (body: string, payloadHash: string, declared?: string) => {
        const date = formatSdkDate(NOW);
        const headers: Record<string, string> = { 'x-sdk-date': date, host: TEST_HOST, 'content-type': 'text/plain', ...(declared ? { 'x-sdk-content-sha256': declared } : {}) };
        const signedHeaders = Object.keys(headers).sort();
        const canonical = canonicalRequest({ method: 'POST', url: '/test/text', headers, signedHeaders, payloadHash });
        assert.ok('request' in canonical);
        return { ...headers, authorization: `SDK-HMAC-SHA256 Access=${t.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${sign(t.sk, stringToSign(date, canonical.request))}` };
      };
      const body = 'pay 100 to 13100000000';
      const hash = createHash('sha256').update(body).digest('hex');
      const good = await app.inject({ method: 'POST', url: '/test/text', headers: signText(body, hash), payload: body });
      assert.equal(good.statusCode, 200, good.body);
      assert.deepEqual(good.json(), { got: body });
      const tampered = await app.inject({ method: 'POST', url: '/test/text', headers: signText(body, hash), payload: body.replace('100', '900') });
      assertUnauthenticated(tampered, WRONG_SIGNATURE);
      // Declaring the body unsigned does not take it out of the signature.
      const unsigned = await app.inject({ method: 'POST', url: '/test/text', headers: signText(body, 'UNSIGNED-PAYLOAD', 'UNSIGNED-PAYLOAD'), payload: body.replace('100', '900') });
      assertUnauthenticated(unsigned, /X-Sdk-Content-Sha256/);
    });

    it('the SK is stored encrypted: the row holds no secret and another master key cannot open it', async () => {
      const t = await tenant(store);
      const row = await store.db.selectFrom('access_keys').select(['secret_enc', 'status']).where('access_key', '=', t.ak).executeTakeFirstOrThrow();
      assert.ok(!row.secret_enc.includes(t.sk));
      assert.ok(!Buffer.from(row.secret_enc.split('.')[2] ?? '', 'base64url').toString('latin1').includes(t.sk));
      assert.equal(row.status, 'active');
      assert.equal(testKeyring.decrypt(row.secret_enc, t.ak), t.sk);
      assert.equal(new Keyring(randomBytes(32)).decrypt(row.secret_enc, t.ak), undefined);
    });
  });

  describe(`brute force on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));
    const limits = { perSubjectAndAddress: 3, perAddress: 6, windowSeconds: 120, freeFailures: 1, maxDelayMs: 400 };

    it('failed logins are slowed, then 429 with Retry-After for that user from that address only', async () => {
      const t = await tenant(store);
      await new IdentityAdmin(store, fixedClock).createUser(t.name, 'bob', 'readonly', PASSWORD);
      const app = await testApp(store, fixedClock, new AuthThrottle(limits));
      const attacker = '10.0.0.1';
      const durations: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        assertIamError(await postToken(app, login('alice', `guess ${i}`, { name: t.name }), attacker), 401);
        durations.push(performance.now() - started);
      }
      // The first failure is free; the next ones wait 100 ms, then 200 ms, on purpose.
      assert.ok(durations[2]! >= 190, `third failure was delayed (${durations.map(Math.round).join(', ')} ms)`);
      const blocked = await postToken(app, login('alice', PASSWORD, { name: t.name }), attacker);
      assert.match(assertIamError(blocked, 429), /too many/);
      const retryAfter = Number(blocked.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 120, `Retry-After ${blocked.headers['retry-after']}`);
      assert.equal(blocked.headers['x-subject-token'], undefined, 'the right password does not get through while refused');

      assert.equal((await postToken(app, login('alice', PASSWORD, { name: t.name }), '10.0.0.2')).statusCode, 201, 'alice from her own address');
      assert.equal((await postToken(app, login('bob', PASSWORD, { name: t.name }), attacker)).statusCode, 201, 'another user from the same address');
    });

    it('an address that fails for many users is refused as a whole; signatures count too', async () => {
      const t = await tenant(store);
      const app = await testApp(store, fixedClock, new AuthThrottle(limits));
      const sprayer = '10.0.0.3';
      for (let i = 0; i < limits.perAddress; i++) {
        assertIamError(await postToken(app, login(`user${i}`, 'x', { name: t.name }), sprayer), 401);
      }
      assertIamError(await postToken(app, login('alice', PASSWORD, { name: t.name }), sprayer), 429);
      const signedFromSprayer = await sendSigned(app, 'GET', sdkSign(t.ak, t.sk, { method: 'GET', path: '/v1/aim/send-details', query: QUERY }), { remoteAddress: sprayer });
      assert.equal(signedFromSprayer.statusCode, 429);
      const body = signedFromSprayer.json() as { error_code: string; request_id: string };
      assert.equal(body.error_code, 'APIG.0308');
      assert.equal(body.request_id, signedFromSprayer.headers['x-request-id']);

      const forger = '10.0.0.4';
      const wrong = sdkSign(t.ak, 'not the secret', { method: 'GET', path: '/v1/aim/send-details', query: QUERY });
      for (let i = 0; i < limits.perSubjectAndAddress; i++) {
        assertUnauthenticated(await sendSigned(app, 'GET', wrong, { remoteAddress: forger }), WRONG_SIGNATURE);
      }
      const refused = await sendSigned(app, 'GET', sdkSign(t.ak, t.sk, { method: 'GET', path: '/v1/aim/send-details', query: QUERY }), { remoteAddress: forger });
      assert.equal(refused.statusCode, 429);
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      const elsewhere = await sendSigned(app, 'GET', sdkSign(t.ak, t.sk, { method: 'GET', path: '/v1/aim/send-details', query: QUERY }), { remoteAddress: '10.0.0.5' });
      assert.equal(elsewhere.statusCode, 200);
      // Tokens are not guessable (256 bits) and never throttled: the refused address still uses one.
      const withToken = await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': t.token }, remoteAddress: sprayer });
      assert.equal(withToken.statusCode, 200);
    });
  });
}
