import type { Clock } from '../domain/clock.js';
import {
  AMBIGUOUS_REPORT, decideReport, DUPLICATE_REPORT, PARKED_REPORT, parseDeliveryReport, receivedReport,
  type DeliveryReport, type ReceivedReport, type ReportResult, type ReportState,
} from '../domain/delivery-report.js';
import { JOB_KINDS } from '../domain/jobs.js';
import { RECEIPT_URL_TYPES, receiptRunAt, smsReceipt } from '../domain/receipt.js';
import { aimUrl } from '../domain/link.js';
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
 * message not stored yet is parked and applied when the message arrives (applyParked). The
 * decisions are made one by one, in order; their writes go to the database together (a batch of
 * reports costs a few statements, not a few per report).
 */
export async function ingestReports(store: Store, reports: ReceivedReport[], now: number): Promise<ReportResult[]> {
  return store.transaction(async (tx) => {
    const ids = await tx.deliveryReports.record(reports, now);
    const wanted = [...new Set(reports.flatMap((r, i) => (r.ok && ids[i] !== undefined ? [r.report.msgId] : [])))];
    const byMsgId = new Map<string, StoredMessage[]>();
    for (const message of wanted.length > 0 ? await tx.details.findMessages(wanted) : []) {
      byMsgId.set(message.msgId, [...(byMsgId.get(message.msgId) ?? []), message]);
    }
    const batch = new ReportWrites(tx, now);
    const results = reports.map((received, i): ReportResult => {
      const id = ids[i];
      if (!received.ok) return { outcome: 'rejected', reason: received.reason };
      if (id === undefined) return { outcome: 'duplicate', reason: DUPLICATE_REPORT };
      const messages = byMsgId.get(received.report.msgId) ?? [];
      if (messages.length === 0) return { outcome: 'parked', reason: PARKED_REPORT };
      if (messages.length > 1) {
        batch.settleReport(id, 'rejected', AMBIGUOUS_REPORT, null);
        return { outcome: 'rejected', reason: AMBIGUOUS_REPORT };
      }
      return batch.apply(id, received.report, messages[0] as StoredMessage);
    });
    await batch.write();
    return results;
  });
}

/** Applies reports parked for messages just inserted, in the order they arrived. */
export async function applyParked(tx: Repositories, inserted: StoredMessage[], now: number): Promise<void> {
  if (inserted.length === 0) return;
  const byId = new Map(inserted.map((m) => [m.msgId, m]));
  const batch = new ReportWrites(tx, now);
  for (const row of await tx.deliveryReports.parkedFor([...byId.keys()])) {
    const received = parseDeliveryReport(JSON.parse(row.raw));
    const message = byId.get(row.msgId);
    if (!received.ok || !message) continue;
    batch.apply(row.id, received.report, message);
  }
  await batch.write();
}

/**
 * The writes of applying reports, gathered and then written together: messages settled, reports
 * settled, and one receipt job per receipt URL of the account for each message that reached a
 * final status — in the same transaction, so no final status goes without its receipt.
 */
class ReportWrites {
  private readonly settled: Array<{ message: StoredMessage; change: NonNullable<ReturnType<typeof decideReport>['change']> }> = [];
  private readonly reports: Array<{ id: number; state: ReportState; reason: string | null; accountId: number | null }> = [];
  private readonly receipts: Array<{ message: StoredMessage; report: DeliveryReport; status: 'success' | 'fail' }> = [];

  constructor(private readonly tx: Repositories, private readonly now: number) {}

  settleReport(id: number, state: ReportState, reason: string | null, accountId: number | null): void {
    this.reports.push({ id, state, reason, accountId });
  }

  /** Decides one report (decideReport); a later report in the batch sees this one's outcome. */
  apply(reportId: number, report: DeliveryReport, message: StoredMessage): ReportResult {
    const decision = decideReport(message.status, report);
    if (!decision.change) {
      this.settleReport(reportId, decision.outcome, decision.reason, message.accountId);
      return { outcome: decision.outcome, reason: decision.reason };
    }
    this.settled.push({ message, change: decision.change });
    message.status = decision.change.status;
    this.settleReport(reportId, 'applied', null, message.accountId);
    this.receipts.push({ message, report, status: decision.change.status });
    return { outcome: 'applied' };
  }

  async write(): Promise<void> {
    const { tx, now } = this;
    await tx.details.settle(this.settled, now);
    await tx.deliveryReports.settle(this.reports, now);
    const targets = new Map<number, Array<{ urlType: number; domainId: string }>>();
    const links = new Map<string, { aimCode: string; aimUrl: string }>();
    for (const accountId of new Set(this.receipts.map((r) => r.message.accountId))) {
      const found = await tx.callbacks.targets(accountId, RECEIPT_URL_TYPES);
      targets.set(accountId, found);
      if (found.length === 0) continue;
      const ofAccount = this.receipts.filter((r) => r.message.accountId === accountId).map((r) => r.message.msgId);
      for (const [msgId, link] of await tx.links.byMessages(accountId, ofAccount)) links.set(msgId, { aimCode: link.aimCode, aimUrl: aimUrl(link.domain, link.aimCode) });
    }
    await tx.outbox.enqueue(this.receipts.flatMap(({ message, report, status }) => {
      const receipt = smsReceipt(message, report, status, links.get(message.msgId) ?? null);
      return (targets.get(message.accountId) ?? []).map((t) => ({
        kind: JOB_KINDS.receipt,
        accountId: message.accountId,
        payload: { urlType: t.urlType, domainId: t.domainId, receipt },
        runAt: receiptRunAt(t.urlType, now),
      }));
    }), now);
  }
}
