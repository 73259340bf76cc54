import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { buildApp } from '../src/http/app.js';
import { AuthThrottle } from '../src/identity/auth-throttle.js';
import { loggerOptions, servicesFor } from '../src/server.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { fixedClock, TEST_SIMULATOR, testKeyring } from './helpers/factories.js';
import { sdkSign, sendSigned } from './helpers/signing.js';

for (const backend of BACKENDS) {
  describe(`log secrecy on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('passwords, tokens, secret keys and signatures never reach the log, even at trace level', async () => {
      const lines: string[] = [];
      const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
      const services = servicesFor(store, fixedClock, testKeyring, {
        simulator: TEST_SIMULATOR,
        throttle: new AuthThrottle({ perSubjectAndAddress: 2, perAddress: 100, windowSeconds: 60, freeFailures: 5, maxDelayMs: 0 }),
      });
      const app = await buildApp({ ...services.deps, logger: loggerOptions('trace', sink) });

      const admin = new IdentityAdmin(store, fixedClock);
      const name = `acct-${randomBytes(4).toString('hex')}`;
      await admin.createAccount(name);
      const password = `pw-${randomBytes(12).toString('hex')}`;
      await admin.createUser(name, 'alice', 'te_admin', password);
      const { token: cliToken } = await admin.createToken(name, 'alice');
      const { accessKey, secretKey } = await admin.createAccessKey(name, 'alice', testKeyring);

      const loginBody = { auth: { identity: { methods: ['password'], password: { user: { name: 'alice', password, domain: { name } } } } } };
      const issued = await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: loginBody });
      assert.equal(issued.statusCode, 201);
      const iamToken = String(issued.headers['x-subject-token']);
      const wrong = structuredClone(loginBody);
      wrong.auth.identity.password.user.password = `${password}-wrong`;
      for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/v3/auth/tokens', payload: wrong });
      await app.inject({ url: '/v3/auth/tokens', headers: { 'x-auth-token': cliToken, 'x-subject-token': iamToken } });
      await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': iamToken } });
      await app.inject({ url: '/v1/aim/send-details?offset=0&limit=1', headers: { 'x-auth-token': `${cliToken}x` } });
      const signed = sdkSign(accessKey, secretKey, { method: 'GET', path: '/v1/aim/send-details', query: { offset: '0', limit: '1' } });
      assert.equal((await sendSigned(app, 'GET', signed)).statusCode, 200);
      const forged = sdkSign(accessKey, `${secretKey}x`, { method: 'GET', path: '/v1/aim/send-details', query: { offset: '0', limit: '1' } });
      assert.equal((await sendSigned(app, 'GET', forged)).statusCode, 401);
      await app.close();

      const log = lines.join('');
      assert.match(log, /incoming request/, 'the log captured the requests');
      assert.ok(lines.length >= 18, `expected two log lines for each of the nine requests, got ${lines.length}`);
      const signature = /Signature=([0-9a-f]{64})/.exec(signed.headers.Authorization ?? '')?.[1];
      assert.ok(signature);
      for (const [what, secret] of Object.entries({ password, cliToken, iamToken, secretKey, signature })) {
        assert.ok(!log.includes(secret), `the log contains the ${what}`);
      }
    });
  });
}
