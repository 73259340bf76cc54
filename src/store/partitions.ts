import type { QueryExecutorProvider } from 'kysely';

/** One range partition of send_details: rows with from ≤ send_time < to. */
export interface Partition {
  name: string;
  from: number;
  to: number;
}

/**
 * Monthly range partitions of send_details, on backends that have them. Retention then drops whole
 * months instead of deleting rows one by one.
 */
export interface PartitionManager {
  /** Creates the monthly partitions covering [from, to) that do not exist yet. */
  ensure(db: QueryExecutorProvider, from: number, to: number): Promise<void>;
  /** Monthly partitions that end at or before `before`, oldest first. */
  endingBy(db: QueryExecutorProvider, before: number): Promise<Partition[]>;
  /** Drops one partition (its rows go with it). */
  drop(db: QueryExecutorProvider, partition: Partition): Promise<void>;
}

/** UTC month starts (epoch ms) covering [from, to). */
export function monthStarts(from: number, to: number): number[] {
  const out: number[] = [];
  const d = new Date(from);
  let month = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  while (month < to) {
    out.push(month);
    const m = new Date(month);
    month = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
  }
  return out;
}
