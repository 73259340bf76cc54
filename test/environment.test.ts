import assert from 'node:assert/strict';
import { it } from 'node:test';
import pg from 'pg';
import { PG_URL } from './helpers/backends.js';

/*
 * Without AIMLEDGER_TEST_PG_URL the PostgreSQL suites are not declared at all, so nothing else
 * would count them: this test stands for them, skipped (the runner's totals then say so), or,
 * with the variable set, checks that the server answers. The other optional parts (Chromium,
 * Kannel, the replica pair, Redis) skip their own tests.
 */
it('the PostgreSQL half: every store, API and pipeline suite again on PostgreSQL', { skip: PG_URL ? false : 'AIMLEDGER_TEST_PG_URL is not set' }, async () => {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    assert.equal((await client.query('select 1 as one')).rows[0]?.one, 1);
  } finally {
    await client.end();
  }
});
