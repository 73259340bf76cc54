import { monthsBefore } from '../store/partitions.js';
import type { Store } from '../store/store.js';

/**
 * Hourly upkeep: partitions for the coming months, retention purge (older than
 * `retentionMonths`), expired tokens. Returns how many send details were purged.
 */
export async function runMaintenance(store: Store, now: number, retentionMonths: number): Promise<number> {
  await store.maintainPartitions(now, retentionMonths);
  const purged = await store.purge(monthsBefore(now, retentionMonths));
  await store.deleteExpiredTokens(now);
  return purged;
}
