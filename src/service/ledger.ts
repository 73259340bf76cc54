import type { SendDetail, StoredMessage } from '../domain/send-detail.js';
import type { Repositories, Store } from '../store/store.js';
import { applyParked } from './delivery-reports.js';

/**
 * Records details in the caller's transaction: the ones whose msg_id the account does not have yet
 * are inserted and counted, and reports that waited for them apply. Returns the messages inserted.
 * The caller prepares storage first (`details.prepareFor`).
 */
export async function recordDetails(tx: Repositories, accountId: number, details: SendDetail[], now: number): Promise<StoredMessage[]> {
  const added = await tx.details.insertNew(accountId, details, now);
  await applyParked(tx, added, now);
  return added;
}

/**
 * Inserts details, skipping any whose msg_id the account already has (idempotent import), in one
 * transaction. Returns how many rows were new.
 */
export async function insertSendDetails(store: Store, accountId: number, details: SendDetail[], now: number): Promise<number> {
  if (details.length === 0) return 0;
  await store.details.prepareFor(details);
  return store.transaction(async (tx) => (await recordDetails(tx, accountId, details, now)).length);
}
