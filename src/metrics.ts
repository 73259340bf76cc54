import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from './store/store.js';

/**
 * What an operator watches, in Prometheus' format at `/metrics` (prom-client): requests by route
 * and status, database queries, the outbox, receipt pushes, delivery-report outcomes, and the
 * process (memory, event-loop delay, from prom-client's defaults). One registry per app.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'aimledger_http_requests_total', help: 'HTTP requests by method, route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'aimledger_http_request_duration_seconds', help: 'HTTP request duration by method, route and status', labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  readonly queryDuration = new Histogram({
    name: 'aimledger_db_query_duration_seconds', help: 'Database statement duration', labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [this.registry],
  });
  readonly receipts = new Counter({ name: 'aimledger_receipt_pushes_total', help: 'Receipt pushes by outcome (a batch counts once)', labelNames: ['outcome'], registers: [this.registry] });
  readonly receiptLag = new Histogram({
    name: 'aimledger_receipt_lag_seconds', help: 'From a final status to its receipt acknowledged by the customer',
    buckets: [0.1, 0.5, 1, 2, 5, 15, 60, 300, 1800, 3600, 21600, 86400, 259200], registers: [this.registry],
  });
  readonly reports = new Counter({ name: 'aimledger_delivery_reports_total', help: 'Delivery reports by outcome', labelNames: ['outcome'], registers: [this.registry] });

  constructor(store: Store, clock: () => Date) {
    collectDefaultMetrics({ register: this.registry, prefix: 'aimledger_' });
    // Read at scrape time, one query per scrape: the first gauge (collected first) reads, the next
    // reuses it. A database that does not answer shows no outbox figures (alert on /readyz for that).
    let snapshot: Promise<Array<{ kind: string; jobs: number; oldestCreatedAt: number }>> = Promise.resolve([]);
    const stats = () => snapshot;
    new Gauge({
      name: 'aimledger_outbox_jobs', help: 'Outbox jobs not yet done, by kind', labelNames: ['kind'], registers: [this.registry],
      async collect() {
        snapshot = store.outbox.stats().catch(() => []);
        this.reset();
        for (const s of await stats()) this.set({ kind: s.kind }, s.jobs);
      },
    });
    new Gauge({
      name: 'aimledger_outbox_oldest_job_age_seconds', help: 'Age of the oldest outbox job, by kind', labelNames: ['kind'], registers: [this.registry],
      async collect() {
        this.reset();
        const now = clock().getTime();
        for (const s of await stats()) this.set({ kind: s.kind }, Math.max(0, (now - s.oldestCreatedAt) / 1000));
      },
    });
    new Gauge({
      name: 'aimledger_db_pool_connections', help: 'Database pool connections by state (PostgreSQL)', labelNames: ['state'], registers: [this.registry],
      collect() {
        const p = store.poolStats();
        if (p) for (const [state, n] of Object.entries(p)) this.set({ state }, n);
      },
    });
    // The read replica, when there is one: whether reads go to it, how far behind it is, and how
    // many reads it failed that the primary answered.
    if (store.replicaStatus()) {
      const replica = () => store.replicaStatus();
      new Gauge({
        name: 'aimledger_replica_up', help: 'Reads go to the read replica (1), or to the primary because it is down or lagging (0)', registers: [this.registry],
        collect() { this.set(replica()?.state === 'up' ? 1 : 0); },
      });
      // Absent while unknown (before the first check, or while the replica does not answer).
      const known = (name: string, help: string, value: () => number | null | undefined) => new Gauge({
        name, help, registers: [this.registry],
        collect() {
          this.reset();
          const v = value();
          if (v !== null && v !== undefined) this.set(v);
        },
      });
      known('aimledger_replica_lag_seconds', 'At most how far the read replica\'s data is behind the primary', () => {
        const ms = replica()?.lagMs;
        return ms === null || ms === undefined ? ms : ms / 1000;
      });
      known('aimledger_replica_lag_bytes', 'WAL the read replica has yet to replay', () => replica()?.lagBytes);
      new Counter({
        name: 'aimledger_replica_fallbacks_total', help: 'Reads the read replica failed that the primary answered', registers: [this.registry],
        collect() {
          this.reset();
          this.inc(replica()?.fallbacks ?? 0);
        },
      });
    }
    store.onQuery((ms, ok) => this.queryDuration.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000));
  }
}
