import assert from 'node:assert/strict';
import { systemClock } from '../../src/domain/clock.js';
import { IdentityAdmin } from '../../src/service/identity-admin.js';
import { ReferenceData } from '../../src/service/reference-data.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { openStore } from '../../src/store/open-store.js';
import { APP_NAME, CHANNEL, SIGN, TPL_ID, TPL_NAME } from './task-body.js';
import type { Receiver } from './receiver.js';
import { until } from './poll.js';

/**
 * Prepares a database a server will use (on the real clock): migrates it and makes account
 * `name` with a te_user, the test template and signature, and a url_type 0 receipt URL when
 * given. Returns the user's token.
 */
export async function provisionSender(url: string, name: string, receiptUrl?: string): Promise<string> {
  const setup = openStore({ url }) as KyselyStore;
  try {
    await setup.migrate();
    const admin = new IdentityAdmin(setup, systemClock);
    const account = await admin.createAccount(name);
    await admin.createUser(name, 'sender', 'te_user', null);
    const refs = new ReferenceData(setup, systemClock);
    await refs.addTemplate(account.id, { tplId: TPL_ID, tplName: TPL_NAME });
    await refs.addSignature(account.id, { smsSign: SIGN, channelNumber: CHANNEL, appName: APP_NAME });
    if (receiptUrl) await setup.callbacks.upsert(account.id, 0, receiptUrl, Date.now());
    return (await admin.createToken(name, 'sender')).token;
  } finally {
    await setup.close();
  }
}

/** How many of `msgIds` are still sending (no final state yet). */
export async function stillSending(store: KyselyStore, msgIds: string[]): Promise<number> {
  return Number((await store.db.selectFrom('send_details').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('msg_id', 'in', msgIds).where('send_status', '=', 0).executeTakeFirstOrThrow()).n);
}

/** Waits until every one of `msgIds` is final and the outbox is empty, or fails after `ms`. */
export async function waitSettled(store: KyselyStore, msgIds: string[], ms: number): Promise<void> {
  let state = '';
  await until(async () => {
    const [n, jobs] = [await stillSending(store, msgIds), await store.outbox.pending()];
    state = `${n} messages still sending, ${jobs} jobs pending`;
    return n === 0 && jobs === 0;
  }, { timeoutMs: ms, intervalMs: 250, what: () => state });
}

/**
 * Nothing lost, nothing doubled: every message exists, changed state exactly once, and its
 * receipt reached `receiver` at `path`; a receipt that arrived more than once was marked a re-send.
 */
export async function assertDeliveredOnce(store: KyselyStore, msgIds: string[], receiver: Receiver, path: string): Promise<void> {
  const details = await store.db.selectFrom('send_details').select(['msg_id', 'send_status']).where('msg_id', 'in', msgIds).execute();
  assert.equal(details.length, msgIds.length, 'every message of every acknowledged task exists');
  assert.ok(details.every((d) => d.send_status !== 0), 'every one reached a final state');
  const applied = await store.db.selectFrom('delivery_reports').select(['msg_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', '=', 'applied').where('msg_id', 'in', msgIds).groupBy('msg_id').execute();
  assert.equal(applied.length, msgIds.length);
  assert.ok(applied.every((r) => Number(r.n) === 1), 'each message changed state exactly once');
  const receipts = receiver.receipts(path);
  const got = new Set(receipts.map((r) => r.receipt.msg_id));
  assert.ok(msgIds.every((id) => got.has(id)), `${msgIds.filter((id) => !got.has(id)).length} receipts missing`);
  const seen = new Set<unknown>();
  for (const r of receipts) {
    if (seen.has(r.receipt.msg_id)) assert.equal(r.retry, true, 'a receipt sent again is marked retry: true');
    seen.add(r.receipt.msg_id);
  }
}
