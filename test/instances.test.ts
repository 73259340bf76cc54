import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../src/domain/clock.js';
import { IdentityAdmin } from '../src/service/identity-admin.js';
import { insertSendDetails } from '../src/service/ledger.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { openStore } from '../src/store/open-store.js';
import { BACKENDS, scratchDatabaseUrl } from './helpers/backends.js';
import { detail } from './helpers/factories.js';

const DAY_MS = 86_400_000;

/**
 * Several instances on one database: each opens its own store (its own connections), as separate
 * server processes do.
 */
for (const backend of BACKENDS) {
  describe(`several instances on one ${backend.name} database`, () => {
    it('three instances starting at once migrate once; on PostgreSQL three writers of the same new month\'s partition all succeed', { timeout: 120_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'aimledger-instances-'));
      const db = await scratchDatabaseUrl(backend.name, dir);
      const stores = [0, 1, 2].map(() => openStore({ url: db.url }) as KyselyStore);
      try {
        await Promise.all(stores.map((s) => s.migrate()));
        const first = stores[0] as KyselyStore;
        const applied = await first.db.selectFrom('kysely_migration' as never).select('name' as never).execute() as Array<{ name: string }>;
        assert.equal(new Set(applied.map((m) => m.name)).size, applied.length, 'each migration applied once');
        assert.ok(applied.some((m) => m.name === '0021_link_domains'));

        if (backend.name !== 'postgres') return;
        // A month none of them made ready (beyond the months kept ahead), written by all three at
        // once: each creates its partition, and the ones that lose the race carry on.
        const account = await new IdentityAdmin(first, systemClock).createAccount(`inst_${Date.now()}`);
        const month = Date.UTC(new Date().getUTCFullYear() + 1, new Date().getUTCMonth(), 1) + 200 * DAY_MS;
        const written = await Promise.all(stores.map((s, i) => insertSendDetails(s, account.id,
          Array.from({ length: 50 }, (_, n) => detail({ sendTime: month + i * 1000 + n, custFlag: `1310000${String(i * 100 + n).padStart(4, '0')}` })), Date.now())));
        assert.deepEqual(written, [50, 50, 50]);
        const { n } = await first.db.selectFrom('send_details').select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', account.id).where('send_time', '>=', month).executeTakeFirstOrThrow();
        assert.equal(Number(n), 150, 'every row landed');
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await db.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
