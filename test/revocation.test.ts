import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { AuthThrottle } from '../src/identity/auth-throttle.js';
import { newToken } from '../src/identity/secrets.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { fixedClock, testApp, testKeyring } from './helpers/factories.js';
import { sdkSign, sendSigned } from './helpers/signing.js';

const PASSWORD = 'correct horse battery staple';
const QUERY = { offset: '0', limit: '1' };

/** An account with user alice (te_user, a password), a token and an access key. */
async function setUp(store: KyselyStore) {
  const admin = new IdentityAdmin(store, fixedClock);
  const name = `acct-${randomBytes(4).toString('hex')}`;
  await admin.createAccount(name);
  await admin.createUser(name, 'alice', 'te_user', PASSWORD);
  await admin.createUser(name, 'bob', 'te_user', null);
  const { token } = await admin.createToken(name, 'alice');
  const second = (await admin.createToken(name, 'alice')).token;
  const bobToken = (await admin.createToken(name, 'bob')).token;
  const key = await admin.createAccessKey(name, 'alice', testKeyring);
  return { admin, name, token, second, bobToken, key };
}

function withToken(app: FastifyInstance, token: string) {
  return app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': token } });
}

function withKey(app: FastifyInstance, key: { accessKey: string; secretKey: string }) {
  return sendSigned(app, 'GET', sdkSign(key.accessKey, key.secretKey, { method: 'GET', path: '/v1/aim/send-details', query: QUERY }));
}

function signIn(app: FastifyInstance, name: string, password: string) {
  return app.inject({
    method: 'POST', url: '/v3/auth/tokens',
    payload: { auth: { identity: { methods: ['password'], password: { user: { name: 'alice', password, domain: { name } } } } } },
  });
}

for (const backend of BACKENDS) {
  describe(`taking access back on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));
    const generous = () => new AuthThrottle({ perSubjectAndAddress: 1000, perAddress: 1000, windowSeconds: 60, freeFailures: 1000, maxDelayMs: 0 });

    it('a revoked token stops working at once; the user\'s other tokens and keys do not', async () => {
      const t = await setUp(store);
      const app = await testApp(store, fixedClock, generous());
      assert.equal((await withToken(app, t.token)).statusCode, 200);
      assert.equal(await t.admin.revokeToken(t.token), true);
      assert.equal((await withToken(app, t.token)).statusCode, 401);
      assert.equal(await t.admin.revokeToken(t.token), false, 'revoking twice says there was no such token');
      assert.equal((await withToken(app, t.second)).statusCode, 200);
      assert.equal((await withKey(app, t.key)).statusCode, 200);
    });

    it('revoking a user\'s tokens takes every one of them and no one else\'s', async () => {
      const t = await setUp(store);
      const app = await testApp(store, fixedClock, generous());
      assert.equal(await t.admin.revokeUserTokens(t.name, 'alice'), 2);
      assert.equal((await withToken(app, t.token)).statusCode, 401);
      assert.equal((await withToken(app, t.second)).statusCode, 401);
      assert.equal((await withToken(app, t.bobToken)).statusCode, 200);
    });

    it('a disabled user cannot sign in and its tokens and keys are refused; enabled again, its keys work, old tokens do not', async () => {
      const t = await setUp(store);
      const app = await testApp(store, fixedClock, generous());
      assert.equal((await signIn(app, t.name, PASSWORD)).statusCode, 201);
      await t.admin.setUserStatus(t.name, 'alice', 'disabled');
      assert.equal((await withToken(app, t.token)).statusCode, 401);
      assert.equal((await withKey(app, t.key)).statusCode, 401);
      assert.equal((await signIn(app, t.name, PASSWORD)).statusCode, 401);
      assert.equal((await withToken(app, t.bobToken)).statusCode, 200, 'another user is not affected');
      assert.deepEqual((await t.admin.listUsers(t.name)).map((u) => [u.name, u.status, u.hasPassword]), [['alice', 'disabled', true], ['bob', 'active', false]]);

      await t.admin.setUserStatus(t.name, 'alice', 'active');
      assert.equal((await withKey(app, t.key)).statusCode, 200);
      assert.equal((await withToken(app, t.token)).statusCode, 401, 'disabling deleted the tokens for good');
      assert.equal((await signIn(app, t.name, PASSWORD)).statusCode, 201);
    });

    it('a deleted user is gone with its tokens and keys; a new user of the same name gets none of them', async () => {
      const t = await setUp(store);
      const app = await testApp(store, fixedClock, generous());
      await t.admin.deleteUser(t.name, 'alice');
      assert.equal((await withToken(app, t.token)).statusCode, 401);
      assert.equal((await withKey(app, t.key)).statusCode, 401);
      assert.deepEqual((await t.admin.listUsers(t.name)).map((u) => u.name), ['bob']);
      await t.admin.createUser(t.name, 'alice', 'te_user', PASSWORD);
      assert.equal((await withToken(app, t.token)).statusCode, 401);
      assert.equal((await withKey(app, t.key)).statusCode, 401);
      await assert.rejects(t.admin.deleteUser(t.name, 'nobody'), /no user named nobody/);
    });

    it('a new password replaces the old one; a new role applies to the next request', async () => {
      const t = await setUp(store);
      const app = await testApp(store, fixedClock, generous());
      await t.admin.setPassword(t.name, 'alice', 'a new passphrase');
      assert.equal((await signIn(app, t.name, PASSWORD)).statusCode, 401);
      assert.equal((await signIn(app, t.name, 'a new passphrase')).statusCode, 201);

      const callbacks = () => app.inject({ url: '/v1/aim/callbacks', headers: { 'x-auth-token': t.token } });
      assert.equal((await callbacks()).statusCode, 403, 'te_user may not manage callbacks');
      await t.admin.setRole(t.name, 'alice', 'te_admin');
      assert.equal((await callbacks()).statusCode, 200);
      await t.admin.setRole(t.name, 'alice', 'readonly');
      assert.equal((await callbacks()).statusCode, 403);
    });
  });
}

describe('tokens on a command line', () => {
  it('never start with a dash, so no command takes one for an option', () => {
    // One base64url draw in 64 starts with '-': 5000 draws without the rule hold one almost surely.
    for (let i = 0; i < 5000; i++) assert.ok(!newToken().startsWith('-'));
  });
});
