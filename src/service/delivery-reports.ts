import type { Clock } from '../domain/clock.js';
import {
  AMBIGUOUS_REPORT, decideReport, DUPLICATE_REPORT, PARKED_REPORT, parseDeliveryReport, receivedReport,
  type DeliveryReport, type ReceivedReport, type ReportResult,
} from '../domain/delivery-report.js';
import { JOB_KINDS } from '../domain/jobs.js';
import { RECEIPT_URL_TYPES, receiptRunAt, smsReceipt } from '../domain/receipt.js';
import type { StoredMessage } from '../domain/send-detail.js';
import type { Metrics } from '../metrics.js';
import type { Repositories, Store } from '../store/store.js';

/** The one way delivery reports come in: the HTTP routes, the simulator and the dispatcher use it. */
export class DeliveryReports {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly metrics?: Pick<Metrics, 'reports'>) {}

  /** Validates each report (wire shape), stores all of them as received, applies the valid ones in order. */
  async ingest(items: unknown[]): Promise<ReportResult[]> {
    return this.ingestReceived(items.map(parseDeliveryReport));
  }

  /** Stores reports already validated (or rejected) and applies the valid ones, in one transaction. */
  async ingestReceived(reports: ReceivedReport[]): Promise<ReportResult[]> {
    const results = await ingestReports(this.store, reports, this.clock().getTime());
    for (const r of results) this.metrics?.reports.inc({ outcome: r.outcome });
    return results;
  }

  /** The platform gave up sending a message: it fails with `result_code` DISPATCH_FAILED (or the reason given). */
  async dispatchFailed(msgId: string, resultCode = 'DISPATCH_FAILED'): Promise<ReportResult> {
    const [result] = await this.ingestReceived([receivedReport({
      msgId, status: 'FAILED', resultCode, receiveTime: this.clock().getTime(), reportId: `dispatch-failed:${msgId}`,
    })]);
    if (!result) throw new Error('no result for the dispatch failure report');
    return result;
  }
}

/**
 * Stores every report as received and applies the valid ones in order, in one transaction: the
 * same report twice changes nothing, a final status never goes back (decideReport), a report for a
 * message not stored yet is parked and applied when the message arrives (applyParked).
 */
export async function ingestReports(store: Store, reports: ReceivedReport[], now: number): Promise<ReportResult[]> {
  return store.transaction(async (tx) => {
    const results: ReportResult[] = [];
    for (const received of reports) {
      const id = await tx.deliveryReports.record(received, now);
      if (!received.ok) {
        results.push({ outcome: 'rejected', reason: received.reason });
      } else if (id === undefined) {
        results.push({ outcome: 'duplicate', reason: DUPLICATE_REPORT });
      } else {
        const messages = await tx.details.findMessages([received.report.msgId]);
        if (messages.length === 0) {
          results.push({ outcome: 'parked', reason: PARKED_REPORT });
        } else if (messages.length > 1) {
          await tx.deliveryReports.settle(id, 'rejected', AMBIGUOUS_REPORT, null, now);
          results.push({ outcome: 'rejected', reason: AMBIGUOUS_REPORT });
        } else {
          results.push(await applyReport(tx, id, received.report, messages[0] as StoredMessage, now));
        }
      }
    }
    return results;
  });
}

/** Applies reports parked for messages just inserted, in the order they arrived. */
export async function applyParked(tx: Repositories, inserted: StoredMessage[], now: number): Promise<void> {
  if (inserted.length === 0) return;
  const byId = new Map(inserted.map((m) => [m.msgId, m]));
  for (const row of await tx.deliveryReports.parkedFor([...byId.keys()])) {
    const received = parseDeliveryReport(JSON.parse(row.raw));
    const message = byId.get(row.msgId);
    if (!received.ok || !message) continue;
    await applyReport(tx, row.id, received.report, message, now);
  }
}

/**
 * Applies one stored report to its message as decideReport rules. A message that reaches a final
 * status gets one receipt job per receipt URL its account has, in the same transaction, so no final
 * status goes without its receipt.
 */
async function applyReport(tx: Repositories, reportId: number, report: DeliveryReport, message: StoredMessage, now: number): Promise<ReportResult> {
  const decision = decideReport(message.status, report);
  if (!decision.change) {
    await tx.deliveryReports.settle(reportId, decision.outcome, decision.reason, message.accountId, now);
    return { outcome: decision.outcome, reason: decision.reason };
  }
  const { status } = decision.change;
  await tx.details.settle(message, decision.change, now);
  // Later reports for the same message in this transaction (parked ones) see the final status.
  message.status = status;
  await tx.deliveryReports.settle(reportId, 'applied', null, message.accountId, now);
  const targets = await tx.callbacks.targets(message.accountId, RECEIPT_URL_TYPES);
  if (targets.length > 0) {
    const receipt = smsReceipt(message, report, status);
    await tx.outbox.enqueue(targets.map((t) => ({
      kind: JOB_KINDS.receipt,
      accountId: message.accountId,
      payload: { urlType: t.urlType, domainId: t.domainId, receipt },
      runAt: receiptRunAt(t.urlType, now),
    })), now);
  }
  return { outcome: 'applied' };
}
