import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** What /readyz and /metrics say of the read replica. */
export interface ReplicaStatus {
  /** `up`: reads go to it; `lagging` (further behind than allowed) and `down`: reads go to the primary. */
  state: 'up' | 'lagging' | 'down';
  /** At most how far behind the primary its data is, to the probe's interval; null until known. */
  lagMs: number | null;
  /** WAL bytes it has yet to replay; null until known. */
  lagBytes: number | null;
  /** Reads that failed on it and were answered by the primary, since start. */
  fallbacks: number;
}

export interface ReplicaOptions {
  /** How often its state and lag are checked (default 1 s). */
  probeMs?: number;
  /** Further behind than this, reads go to the primary until it catches up (default 10 s). */
  maxLagMs?: number;
  /** True when an error means the replica cannot answer (connection refused, shut down, …). */
  isUnavailable(error: unknown): boolean;
}

const HISTORY_MS = 10 * 60_000;

/** `X/Y` (two hex halves) as one number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi ?? '0'}`) << 32n) + BigInt(`0x${lo ?? '0'}`);
}

/**
 * Sends reads to a streaming replica while it answers and keeps up, and to the primary otherwise.
 *
 * Every `probeMs` it notes the primary's WAL position and asks the replica how far it has
 * replayed. The replica then has everything the primary had at the last noted moment whose
 * position it has reached, so its lag is at most the time since then (to one probe interval).
 * A read that fails because the replica is down, or is cancelled by a conflict with recovery,
 * is run again on the primary.
 */
export class ReplicaRouter {
  private state: ReplicaStatus['state'] = 'down';
  private lagMs: number | null = null;
  private lagBytes: number | null = null;
  private fallbacks = 0;
  private readonly history: Array<{ at: number; lsn: bigint }> = [];
  private readonly timer: NodeJS.Timeout;
  private probing: Promise<void> = Promise.resolve();
  private inFlight = false;
  private readonly probeMs: number;
  private readonly maxLagMs: number;

  constructor(private readonly primary: Kysely<Database>, private readonly replica: Kysely<Database>, private readonly options: ReplicaOptions) {
    this.probeMs = options.probeMs ?? 1000;
    this.maxLagMs = options.maxLagMs ?? 10_000;
    // One probe at a time: a replica that does not answer holds a probe for the connect timeout
    // (5 s), and ticks meanwhile would pile more up behind it.
    const tick = () => {
      if (this.inFlight) return;
      this.inFlight = true;
      this.probing = this.probe().finally(() => { this.inFlight = false; });
    };
    this.timer = setInterval(tick, this.probeMs);
    this.timer.unref();
    tick();
  }

  /** Checks the replica once now (tests, and start-up). */
  async probe(): Promise<void> {
    let primaryLsn: bigint;
    try {
      const { rows } = await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(this.primary);
      primaryLsn = lsnBytes(rows[0]?.lsn ?? '0/0');
    } catch {
      return; // The primary's trouble is its own; the replica's state stays as last seen.
    }
    const now = Date.now();
    this.history.push({ at: now, lsn: primaryLsn });
    while ((this.history[0]?.at ?? now) < now - HISTORY_MS) this.history.shift();
    try {
      const { rows } = await sql<{ replay: string | null }>`select pg_last_wal_replay_lsn()::text as replay`.execute(this.replica);
      const replay = rows[0]?.replay;
      // Not in recovery (promoted): it has what it has, and takes no more from this primary.
      const replayed = replay ? lsnBytes(replay) : primaryLsn;
      this.lagBytes = Number(primaryLsn > replayed ? primaryLsn - replayed : 0n);
      if (this.lagBytes === 0) {
        this.lagMs = 0;
      } else {
        // The latest moment whose primary position the replica has reached.
        const reached = this.history.findLast((h) => h.lsn <= replayed);
        this.lagMs = now - (reached?.at ?? this.history[0]?.at ?? now);
      }
      this.state = this.lagMs > this.maxLagMs ? 'lagging' : 'up';
    } catch {
      this.state = 'down';
      this.lagMs = null;
      this.lagBytes = null;
    }
  }

  /** Where reads go now. */
  get useReplica(): boolean {
    return this.state === 'up';
  }

  /** Runs `work` on the replica when it is up, and again on the primary if the replica fails it. */
  async read<R, T>(replica: R, primary: R, work: (repositories: R) => Promise<T>): Promise<T> {
    if (this.state !== 'up') return work(primary);
    try {
      return await work(replica);
    } catch (error) {
      const unavailable = this.options.isUnavailable(error);
      // 40001 on a standby: cancelled by a conflict with recovery (the rows it read were vacuumed).
      if (!unavailable && (error as { code?: unknown } | null)?.code !== '40001') throw error;
      if (unavailable) this.state = 'down';
      this.fallbacks += 1;
      return work(primary);
    }
  }

  status(): ReplicaStatus {
    return { state: this.state, lagMs: this.lagMs, lagBytes: this.lagBytes, fallbacks: this.fallbacks };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.probing.catch(() => {});
  }
}
