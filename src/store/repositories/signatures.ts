import type { SignatureRecord } from '../../domain/reference-data.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';

/** An account's SMS signatures, with the channel number and app each is bound to (if any). */
export class SignaturesRepository {
  constructor(private readonly ctx: StoreContext) {}

  async upsert(accountId: number, signatures: SignatureRecord[], now: number): Promise<void> {
    for (const part of chunks(signatures, 5, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('signatures')
        .values(part.map((s) => ({
          account_id: accountId, sms_sign: s.smsSign, channel_number: s.channelNumber,
          app_name: s.appName, created_at: now,
        })))
        .onConflict((oc) => oc.columns(['account_id', 'sms_sign']).doUpdateSet({
          channel_number: (eb) => eb.ref('excluded.channel_number'),
          app_name: (eb) => eb.ref('excluded.app_name'),
        }))
        .execute();
    }
  }

  async find(accountId: number, smsSign: string): Promise<SignatureRecord | undefined> {
    const row = await this.ctx.db.selectFrom('signatures').select(['sms_sign', 'channel_number', 'app_name'])
      .where('account_id', '=', accountId).where('sms_sign', '=', smsSign).executeTakeFirst();
    return row && { smsSign: row.sms_sign, channelNumber: row.channel_number, appName: row.app_name };
  }

  async list(accountId: number): Promise<SignatureRecord[]> {
    const rows = await this.ctx.db.selectFrom('signatures').select(['sms_sign', 'channel_number', 'app_name'])
      .where('account_id', '=', accountId).orderBy('sms_sign').execute();
    return rows.map((row) => ({ smsSign: row.sms_sign, channelNumber: row.channel_number, appName: row.app_name }));
  }
}
