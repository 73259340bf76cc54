import type { OutboundMessage } from '../domain/jobs.js';

export type { OutboundMessage } from '../domain/jobs.js';

/**
 * Hands messages to an SMS gateway. `send` resolves once the gateway has accepted the message
 * (delivery is reported later, through the delivery-report path) and throws when it did not, so
 * the dispatcher retries. A message may be offered more than once after a crash; adapters pass
 * `msgId` on where the gateway can deduplicate, and reports are applied once either way.
 */
export interface ChannelAdapter {
  readonly name: string;
  send(message: OutboundMessage): Promise<void>;
  /**
   * Hands over several messages at once where the channel can (one durable write for all);
   * throwing means none was accepted. Channels without it get `send` for each message.
   */
  sendMany?(messages: OutboundMessage[]): Promise<void>;
}
