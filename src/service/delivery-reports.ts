import type { Clock } from '../domain/clock.js';
import { parseDeliveryReport } from '../domain/delivery-report.js';
import { formatContractTime } from '../domain/time.js';
import type { Metrics } from '../metrics.js';
import type { ReportResult, Store } from '../store/store.js';

/** The one way delivery reports come in: the HTTP route, the simulator and the dispatcher use it. */
export class DeliveryReports {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly metrics?: Pick<Metrics, 'reports'>) {}

  /** Validates each report, stores all of them as received, applies the valid ones in order. */
  async ingest(items: unknown[]): Promise<ReportResult[]> {
    const results = await this.store.ingestDeliveryReports(items.map(parseDeliveryReport), this.clock().getTime());
    for (const r of results) this.metrics?.reports.inc({ outcome: r.outcome });
    return results;
  }

  /** The platform gave up sending a message: it fails with `result_code` DISPATCH_FAILED (or the reason given). */
  async dispatchFailed(msgId: string, resultCode = 'DISPATCH_FAILED'): Promise<ReportResult> {
    const [result] = await this.ingest([{
      msg_id: msgId, status: 'FAILED', result_code: resultCode,
      receive_time: formatContractTime(this.clock().getTime()), report_id: `dispatch-failed:${msgId}`,
    }]);
    if (!result) throw new Error('no result for the dispatch failure report');
    return result;
  }
}
