import { monthsBefore } from '../domain/time.js';
import type { Store } from '../store/store.js';

/**
 * Hourly upkeep: partitions for the coming months, retention purge (older than
 * `retentionMonths`), expired tokens. Returns how many send details were purged.
 */
export async function runMaintenance(store: Store, now: number, retentionMonths: number): Promise<number> {
  await store.retention.maintainPartitions(now, retentionMonths);
  const purged = await store.retention.purge(monthsBefore(now, retentionMonths));
  await store.tokens.deleteExpired(now);
  return purged;
}
