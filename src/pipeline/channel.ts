/** One message as a channel sends it. */
export interface OutboundMessage {
  msgId: string;
  /** The sending account (its SMS templates give the text). */
  accountId: number;
  /** The recipient's phone number. */
  phone: string;
  smsSign: string;
  channelNumber: string;
  smsTplId: string;
  smsAppName: string;
  /** The AIM template the message links to. */
  tplId: string;
  smsParams: string[] | null;
}

/**
 * Hands messages to an SMS gateway. `send` resolves once the gateway has accepted the message
 * (delivery is reported later, through the delivery-report path) and throws when it did not, so
 * the dispatcher retries. A message may be offered more than once after a crash; adapters pass
 * `msgId` on where the gateway can deduplicate, and reports are applied once either way.
 */
export interface ChannelAdapter {
  readonly name: string;
  send(message: OutboundMessage): Promise<void>;
}
