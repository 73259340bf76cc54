import { createHash } from 'node:crypto';
import { formatContractTime } from '../domain/time.js';
import type { Clock } from '../domain/clock.js';
import type { ChannelAdapter, OutboundMessage } from './channel.js';

export interface SimulatorOptions {
  /** How long after acceptance the delivery report arrives. */
  delayMs: number;
  /** Share of messages that fail, 0 to 1. */
  failRatio: number;
  /** Same seed, same msg_id: same outcome. */
  seed: number;
}

/** A delivery report as a gateway posts it to `/v1/aim/delivery-reports`. */
export interface GatewayReport {
  msg_id: string;
  status: string;
  result_code: string | null;
  receive_time: string;
  report_id: string;
}

/** Failure words and codes carriers report, as the simulator draws them. */
export const SIMULATED_FAILURES = ['UNDELIV', 'EXPIRED', 'REJECTD', 'MK:0001', 'MK:0005', 'M2:0045', 'ID:0076'] as const;

/** The outcome the simulator reports for a message: a pure function of the seed and the msg_id. */
export function simulatedOutcome(seed: number, msgId: string, failRatio: number): { status: string; resultCode: string } {
  const digest = createHash('sha256').update(`${seed}:${msgId}`).digest();
  const draw = digest.readUInt32BE(0) / 2 ** 32;
  if (draw >= failRatio) return { status: 'DELIVRD', resultCode: '000' };
  const code = SIMULATED_FAILURES[digest.readUInt32BE(4) % SIMULATED_FAILURES.length] as string;
  return { status: code, resultCode: code };
}

/**
 * The default channel: accepts every message and, `delayMs` later, reports its delivery through
 * the same ingestion path a real gateway uses. The report is scheduled durably (`schedule`), so a
 * restart does not lose it.
 */
export class SimulatorChannel implements ChannelAdapter {
  readonly name = 'simulator';

  constructor(
    private readonly options: SimulatorOptions,
    private readonly clock: Clock,
    private readonly schedule: (reports: GatewayReport[], at: number) => Promise<void>,
  ) {}

  async send(message: OutboundMessage): Promise<void> {
    await this.sendMany([message]);
  }

  /** One scheduled job reports every message handed over together. */
  async sendMany(messages: OutboundMessage[]): Promise<void> {
    const at = this.clock().getTime() + this.options.delayMs;
    await this.schedule(messages.map((message) => {
      const outcome = simulatedOutcome(this.options.seed, message.msgId, this.options.failRatio);
      return {
        msg_id: message.msgId,
        status: outcome.status,
        result_code: outcome.resultCode,
        receive_time: formatContractTime(at),
        // The same message offered twice gets the same report, which is applied once.
        report_id: `sim:${message.msgId}`,
      };
    }), at);
  }
}
