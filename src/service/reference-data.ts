import type { Clock } from '../domain/clock.js';
import { Conflict, InvalidParameter } from '../domain/errors.js';
import { LIMITS } from '../domain/send-detail.js';
import type { Store } from '../store/store.js';
import type { SignatureRecord, TemplateInfo } from '../domain/reference-data.js';
import { normaliseDomain, type LinkDomain } from '../domain/link.js';
import { SEND_TASK_PATTERNS } from '../domain/send-task.js';

const TEMPLATE_ID = /^[0-9]{9}$/;

/** Templates and signatures of an account: what a send task must name. */
export class ReferenceData {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  async addTemplate(accountId: number, input: { tplId: string; tplName: string; description?: string | null }): Promise<TemplateInfo> {
    if (!TEMPLATE_ID.test(input.tplId)) throw new InvalidParameter('the template id must be 9 digits, e.g. 600000001');
    const name = input.tplName.trim();
    if (name.length === 0 || name.length > 100) throw new InvalidParameter('the template name must be 1 to 100 characters');
    if (await this.store.templates.find(accountId, input.tplId)) throw new Conflict(`template ${input.tplId} already exists`);
    await this.store.templates.upsert(accountId, [{ tplId: input.tplId, tplName: name }], this.clock().getTime());
    const created = await this.store.templates.find(accountId, input.tplId);
    if (!created) throw new Error(`template ${input.tplId} vanished after it was stored`);
    return created;
  }

  async addSignature(accountId: number, input: SignatureRecord): Promise<SignatureRecord> {
    const sign = input.smsSign.trim();
    if (sign.length === 0 || sign.length > LIMITS.smsSign) throw new InvalidParameter(`the signature must be 1 to ${LIMITS.smsSign} characters`);
    if (input.channelNumber !== null && !/^[0-9A-Za-z]{1,21}$/.test(input.channelNumber)) {
      throw new InvalidParameter('the channel number must be 1 to 21 letters or digits');
    }
    if (input.appName !== null && (input.appName.length === 0 || input.appName.length > 64)) {
      throw new InvalidParameter('the app name must be 1 to 64 characters');
    }
    if (await this.store.signatures.find(accountId, sign)) throw new Conflict(`signature ${sign} already exists`);
    const record = { smsSign: sign, channelNumber: input.channelNumber, appName: input.appName };
    await this.store.signatures.upsert(accountId, [record], this.clock().getTime());
    return record;
  }

  /**
   * Registers a short-link domain for an account: `custom` for the customer's own codes
   * (generation_type 2), `standard` for drawn codes on that domain. A domain belongs to one account.
   */
  async addDomain(accountId: number, domain: string, codes: LinkDomain['codes']): Promise<LinkDomain> {
    if (domain.length > 100 || !new RegExp(SEND_TASK_PATTERNS.domain).test(domain)) throw new InvalidParameter(`${JSON.stringify(domain)} is not a host name such as km2n.cn`);
    if (codes !== 'custom' && codes !== 'standard') throw new InvalidParameter('codes must be custom or standard');
    const record: LinkDomain = { domain: normaliseDomain(domain), accountId, codes, createdAt: this.clock().getTime() };
    if (!(await this.store.links.addDomain(record))) throw new Conflict(`domain ${record.domain} is registered already`);
    return record;
  }
}
