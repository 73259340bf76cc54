import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Account, User } from '../src/domain/identity.js';
import { KyselyStore } from '../src/store/kysely-store.js';
import { adapterFor } from '../src/store/open-store.js';
import { BACKENDS, scratchDatabaseUrl } from './helpers/backends.js';
import { NOW } from './helpers/factories.js';

/**
 * Token look-ups are believed for 2 s. The store that revokes, disables or changes sees it at once;
 * another process on the same database (here: a second store) within those 2 s.
 */
for (const backend of BACKENDS) {
  describe(`token cache on ${backend.name}`, () => {
    let dir = '';
    let dispose: () => Promise<void> = async () => {};
    let server!: KyselyStore;
    let cli!: KyselyStore;
    let clock = NOW;
    let statements = 0;
    let account!: Account;
    let user!: User;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'aimledger-token-cache-'));
      const db = await scratchDatabaseUrl(backend.name, dir);
      dispose = db.dispose;
      server = new KyselyStore(adapterFor({ url: db.url }), { now: () => clock });
      await server.migrate();
      cli = new KyselyStore(adapterFor({ url: db.url }));
      server.onQuery(() => (statements += 1));
      account = await server.accounts.create({ name: 'acme', domainId: 'a'.repeat(32), projectId: 'b'.repeat(32), now: NOW });
      user = await server.users.create({ accountId: account.id, name: 'ann', publicId: 'c'.repeat(32), role: 'te_user', passwordHash: null, now: NOW });
    });
    after(async () => {
      await server.close();
      await cli.close();
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    });
    let n = 0;
    const token = async () => {
      const tokenHash = `hash-${++n}`;
      await server.tokens.insert({ tokenHash, userId: user.id, accountId: account.id, now: NOW, expiresAt: NOW + 86_400_000, scope: 'project', method: 'token' });
      return tokenHash;
    };

    it('a token found is found again without a statement', async () => {
      const hash = await token();
      assert.ok(await server.tokens.find(hash));
      const before = statements;
      assert.equal((await server.tokens.find(hash))?.user.id, user.id);
      assert.equal(statements, before, 'answered from the cache');
    });

    it('revoked or changed in the same process: refused at once', async () => {
      const one = await token();
      assert.ok(await server.tokens.find(one));
      await server.tokens.revoke(one);
      assert.equal(await server.tokens.find(one), undefined);
      const two = await token();
      assert.equal((await server.tokens.find(two))?.user.role, 'te_user');
      await server.users.update(user.id, { role: 'readonly' });
      assert.equal((await server.tokens.find(two))?.user.role, 'readonly', 'a role change shows at once');
      await server.users.update(user.id, { status: 'disabled' });
      assert.equal(await server.tokens.find(two), undefined);
      await server.users.update(user.id, { status: 'active', role: 'te_user' });
    });

    it('revoked by another process: refused within 2 s', async () => {
      const hash = await token();
      clock = NOW;
      assert.ok(await server.tokens.find(hash));
      await cli.tokens.revoke(hash);
      clock = NOW + 1999;
      assert.ok(await server.tokens.find(hash), 'believed for up to 2 s');
      clock = NOW + 2000;
      assert.equal(await server.tokens.find(hash), undefined, 'refused once 2 s have passed');
    });

    it('a user disabled by another process: refused within 2 s', async () => {
      const hash = await token();
      clock = NOW + 10_000;
      assert.ok(await server.tokens.find(hash));
      await cli.users.update(user.id, { status: 'disabled' });
      clock = NOW + 12_000;
      assert.equal(await server.tokens.find(hash), undefined);
      await cli.users.update(user.id, { status: 'active' });
    });
  });
}
