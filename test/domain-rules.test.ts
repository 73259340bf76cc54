import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideReport, receivedReport, type DeliveryReport } from '../src/domain/delivery-report.js';
import { JOB_KINDS } from '../src/domain/jobs.js';
import { BATCH_GATHER_MS, receiptEnvelope, receiptRunAt, smsReceipt, type SmsReceipt } from '../src/domain/receipt.js';
import type { SendStatus, StoredMessage } from '../src/domain/send-detail.js';

const NOW = Date.parse('2026-06-15T12:00:00Z');

function report(status: string, resultCode: string | null = null): DeliveryReport {
  const received = receivedReport({ msgId: 'm1', status, resultCode, receiveTime: NOW + 400, reportId: 'r1' });
  assert.ok(received.ok, status);
  return received.report;
}

const message: StoredMessage = {
  accountId: 1, msgId: 'm1', sendTime: NOW - 11_000, tplId: '100000001', status: 'sending', taskId: 't1', custFlag: '13100000000', smsSign: '华为云',
};

describe('delivery-report rules (no database)', () => {
  it('a final status never changes: every report for a final message is a duplicate', () => {
    for (const current of ['success', 'fail'] as SendStatus[]) {
      for (const word of ['DELIVRD', 'UNDELIV', 'ENROUTE']) {
        const decision = decideReport(current, report(word));
        assert.equal(decision.outcome, 'duplicate');
        assert.equal(decision.change, undefined);
        assert.match(decision.reason ?? '', new RegExp(`already ${current}`));
      }
    }
  });

  it('the first final report wins; a pending word is recorded and changes nothing', () => {
    assert.deepEqual(decideReport('sending', report('DELIVRD')).change, { status: 'success', receiveTime: NOW, resultCode: null });
    const pending = decideReport('sending', report('ENROUTE'));
    assert.deepEqual([pending.outcome, pending.change], ['applied', undefined]);
    assert.match(pending.reason ?? '', /not final/);
  });

  it('a failure keeps the carrier\'s result code, or its status word when it gave none; a success keeps none', () => {
    assert.equal(decideReport('sending', report('UNDELIV', 'MK:0001')).change?.resultCode, 'MK:0001');
    assert.equal(decideReport('sending', report('EXPIRED')).change?.resultCode, 'EXPIRED');
    assert.equal(decideReport('sending', report('DELIVRD', 'IGNORED')).change?.resultCode, null);
  });

  it('reports the platform makes follow the wire rules: an unknown word is rejected, times are whole seconds', () => {
    const odd = receivedReport({ msgId: 'm1', status: 'XYZ', resultCode: null, receiveTime: NOW, reportId: 'k' });
    assert.equal(odd.ok, false);
    assert.equal(JSON.parse(odd.raw).status, 'XYZ', 'kept as received');
    const ok = receivedReport({ msgId: 'm1', status: 'FAILED', resultCode: 'DISPATCH_FAILED', receiveTime: NOW + 999, reportId: 'k' });
    assert.ok(ok.ok);
    assert.equal(ok.report.receiveTime, NOW);
    assert.deepEqual(JSON.parse(ok.raw), { msg_id: 'm1', status: 'FAILED', result_code: 'DISPATCH_FAILED', receive_time: '2026-06-15T12:00:00Z', report_id: 'k' });
  });
});

describe('receipts (no database)', () => {
  it('the SmsCallback of a message: its fields, times in the contract format, the description by outcome', () => {
    const delivered = smsReceipt(message, report('DELIVRD'), 'success');
    assert.deepEqual(delivered, {
      task_id: 't1', cust_flag: '13100000000', msg_id: 'm1', tpl_id: '100000001', sms_sign: '华为云', aim_code: null, aim_url: null,
      send_time: '2026-06-15T11:59:49Z', receive_time: '2026-06-15T12:00:00Z', send_status: 'DELIVRD', send_status_desc: '发送成功',
      total: 1, sequence: 1,
    } satisfies SmsReceipt);
    assert.equal(smsReceipt(message, report('UNDELIV', 'MK:0001'), 'fail').send_status_desc, '发送失败: MK:0001');
    assert.equal(smsReceipt(message, report('EXPIRED'), 'fail').send_status_desc, '发送失败: EXPIRED');
  });

  it('single receipts go at once, batch receipts after the gathering second; the envelope carries one or an array', () => {
    assert.equal(receiptRunAt(0, NOW), NOW);
    assert.equal(receiptRunAt(2, NOW), NOW + BATCH_GATHER_MS);
    const receipt = smsReceipt(message, report('DELIVRD'), 'success');
    const single = receiptEnvelope('req', 0, 'd'.repeat(32), [receipt], false);
    assert.deepEqual({ ...single, body: JSON.parse(single.body) }, { request_id: 'req', domain_id: 'd'.repeat(32), callback_type: 'sms', body: receipt, retry: false });
    const batch = receiptEnvelope('req', 2, 'd'.repeat(32), [receipt, receipt], true);
    assert.deepEqual(JSON.parse(batch.body), [receipt, receipt]);
    assert.equal(batch.retry, true);
  });

  it('job kinds are one table', () => {
    assert.deepEqual(Object.values(JOB_KINDS).sort(), ['dispatch', 'receipt', 'report', 'template-status']);
  });
});
