import { smsText } from '../domain/sms-text.js';
import type { Store } from '../store/store.js';
import type { ChannelAdapter, OutboundMessage } from './channel.js';

export interface KannelOptions {
  /** smsbox's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms */
  sendsmsUrl: string;
  username: string;
  password: string;
  /** Where Kannel reaches aimledger for delivery reports, e.g. http://127.0.0.1:8080 */
  dlrBaseUrl: string;
  /** Carried in every dlr-url and checked on every callback. */
  dlrSecret: string;
  timeoutMs?: number;
}

/** A message that no retry can send (its SMS template has no content): it fails at once. */
export class PermanentChannelError extends Error {
  constructor(readonly resultCode: string, message: string) {
    super(message);
  }
}

/** dlr-mask 31: delivered (1), failed (2), buffered (4), SMSC accepted (8), SMSC rejected (16). */
const DLR_MASK = 31;

/**
 * Submits through Kannel's HTTP sendsms: `from` = the channel number, the text as KooMessage builds
 * it in UTF-8 with `coding=2` (UCS-2 on the air, so Chinese arrives intact), and a dlr-url back to
 * `/v1/kannel/dlr` carrying the msg_id and the deployment's secret.
 */
export class KannelChannel implements ChannelAdapter {
  readonly name = 'kannel';

  constructor(private readonly options: KannelOptions, private readonly store: Store) {}

  async send(message: OutboundMessage): Promise<void> {
    const content = await this.store.smsTemplates.find(message.accountId, message.smsTplId);
    if (content === undefined) {
      throw new PermanentChannelError('SMS_TEMPLATE_MISSING', `SMS template ${message.smsTplId} has no content (aimledger sms-template add)`);
    }
    const dlr = new URL('/v1/kannel/dlr', this.options.dlrBaseUrl);
    dlr.search = `msg_id=${encodeURIComponent(message.msgId)}&secret=${encodeURIComponent(this.options.dlrSecret)}&type=%d&status=%A`;
    const url = new URL(this.options.sendsmsUrl);
    const params = new URLSearchParams({
      username: this.options.username, password: this.options.password, from: message.channelNumber, to: message.phone,
      text: smsText(message.smsSign, content, message.smsParams, message.aimUrl ?? null), coding: '2', charset: 'UTF-8',
      // Kannel fills in %d (the report type) and %A (the SMSC's answer) when it calls back.
      'dlr-mask': String(DLR_MASK), 'dlr-url': dlr.toString(),
    });
    url.search = params.toString();
    const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    const answer = (await response.text()).trim();
    // 202 "0: Accepted for delivery" or "3: Queued for later delivery"; anything else is retried.
    if (response.status !== 202 && response.status !== 200) throw new Error(`Kannel answered ${response.status} ${answer.slice(0, 200)}`);
  }
}
