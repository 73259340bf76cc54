import { randomBytes } from 'node:crypto';
import {
  checkTemplate, DISABLE_DESC, materialIdsOf, templateStatusReceipt, VENDORS, type NewTemplateInput, type StoredTemplate, type Vendor,
} from '../domain/aim-template.js';
import { renderCardBody } from '../domain/card-render.js';
import { cardPageParts, type PageParts } from '../domain/card-page.js';
import type { Clock } from '../domain/clock.js';
import { ErrorCodes, InvalidParameter } from '../domain/errors.js';
import { JOB_KINDS } from '../domain/jobs.js';
import type { TemplateInfo } from '../domain/reference-data.js';
import type { Repositories, Store } from '../store/store.js';

export interface TemplateOptions {
  /** Approve every vendor at creation (AIMLEDGER_TEMPLATE_AUTO_APPROVE; on in the demo). */
  autoApprove: boolean;
}

/** A preview page's template, its account and its materials' object keys (material id → key). */
export interface PreviewCard {
  accountId: number;
  template: StoredTemplate;
  /** The preview page, its variables showing their examples, around its nonce. */
  page: PageParts;
}

/** How long a preview's template is kept in memory, and how many are. */
const PREVIEW_CACHE_MS = 2000;
const PREVIEW_CACHE_SIZE = 1000;

/** The url_type whose URL gets template-status receipts. */
const TEMPLATE_STATUS_URL_TYPE = 1;

/** A template links and messages may name: the account's, not deleted, approved and enabled. */
export async function sendableTemplate(store: Store, accountId: number, tplId: string): Promise<TemplateInfo> {
  const template = await store.templates.find(accountId, tplId);
  if (!template) throw new InvalidParameter(`template ${tplId} does not exist`, ErrorCodes.templateNotFound);
  if (template.tplState !== 1) throw new InvalidParameter(`template ${tplId} is disabled`, ErrorCodes.templateUnavailable);
  if (template.auditState !== 2) {
    throw new InvalidParameter(`template ${tplId} is ${template.auditState === 3 ? 'rejected' : 'still under review'}: only approved templates are sent`, ErrorCodes.templateUnavailable);
  }
  return template;
}

function notFound(tplId: string): InvalidParameter {
  return new InvalidParameter(`template ${tplId} does not exist`, ErrorCodes.templateNotFound);
}

/**
 * AIM card templates: creation (checked against the definition's rules and the account's
 * signatures and materials), state, soft deletion and the operator's review. Every change of a
 * template's state, overall or per vendor, queues a template-status receipt in the same
 * transaction, so none is lost.
 */
export class Templates {
  /** Preview pages' templates by preview key, kept briefly (a template's pages never change). */
  private readonly previews = new Map<string, { card: PreviewCard; at: number }>();

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: TemplateOptions) {}

  /**
   * The template a preview URL names (not deleted) with its materials' object keys. Kept for
   * PREVIEW_CACHE_MS: a deletion through this process ends its preview at once, one through
   * another process within that time.
   */
  async previewCard(previewKey: string): Promise<PreviewCard | undefined> {
    const now = Date.now();
    const cached = this.previews.get(previewKey);
    if (cached && now - cached.at < PREVIEW_CACHE_MS) return cached.card;
    const found = await this.store.templates.byPreviewKey(previewKey);
    if (!found) {
      this.previews.delete(previewKey);
      return undefined;
    }
    const { template } = found;
    const keys = await this.store.materials.objectKeys(found.accountId, materialIdsOf(template.pages));
    const body = renderCardBody(template, {
      values: Object.fromEntries(template.params.map((p) => [p.key, p.example])),
      materialUrl: (id) => (keys.has(id) ? `/materials/${keys.get(id) as string}` : null),
    });
    const card = { ...found, page: cardPageParts(template.tplName, body, `Preview of template ${template.tplId}: variables show their examples`) };
    if (this.previews.size >= PREVIEW_CACHE_SIZE) this.previews.delete(this.previews.keys().next().value as string);
    this.previews.set(previewKey, { card, at: now });
    return card;
  }

  async create(accountId: number, input: NewTemplateInput): Promise<string> {
    const checked = checkTemplate(input);
    for (const [i, sign] of (input.sms_signs ?? []).entries()) {
      if (!(await this.store.signatures.find(accountId, sign))) throw new InvalidParameter(`sms_signs[${i}] "${sign}" is not a signature of this account`);
    }
    const kinds = await this.store.materials.kinds(accountId, checked.materialIds);
    for (const ref of checked.materialRefs) {
      const kind = kinds.get(ref.id);
      if (!kind) throw new InvalidParameter(`${ref.field} names ${ref.id}, which is not a material of this account (src_type 1)`);
      if (!ref.kinds.includes(kind)) throw new InvalidParameter(`${ref.field} names ${ref.id}, a${kind === 'image' ? 'n' : ''} ${kind}; it takes ${ref.kinds.map((k) => `a${k === 'image' ? 'n' : ''} ${k}`).join(' or ')}`);
    }
    const now = this.clock().getTime();
    const review = this.options.autoApprove ? 'approved' as const : 'reviewing' as const;
    return this.store.transaction(async (tx) => {
      const tplId = await tx.templates.create(accountId, {
        tplName: input.tpl_name, cardId: input.card_id, scene: input.scene ?? null, useId: input.use_id, subType: input.sub_type ?? null,
        pages: JSON.stringify(input.pages), params: checked.params, smsSigns: input.sms_signs ?? [], smsExample: input.sms_example ?? null,
        smsTemplate: input.sms_template ?? null, vendors: checked.vendors, materialIds: checked.materialIds, review, previewKey: randomBytes(18).toString('base64url'),
      }, now);
      if (review === 'approved') await this.queueStatus(tx, accountId, tplId, now);
      return tplId;
    });
  }

  async get(accountId: number, tplId: string): Promise<StoredTemplate> {
    const template = await this.store.templates.get(accountId, tplId);
    if (!template) throw notFound(tplId);
    return template;
  }

  /** UpdatePersonalTemplateState: 0 disables (disable_time now), 1 enables (both cleared). */
  async setState(accountId: number, tplId: string, state: 0 | 1): Promise<void> {
    const now = this.clock().getTime();
    await this.store.transaction(async (tx) => {
      const current = await tx.templates.find(accountId, tplId);
      if (!current) throw notFound(tplId);
      if (current.tplState === state) return;
      await tx.templates.setState(accountId, tplId, state, DISABLE_DESC, now);
      await this.queueStatus(tx, accountId, tplId, now);
    });
  }

  /** DeleteAimPersonalTemplate: gone from lists and sends; what names it keeps its id and name. */
  async remove(accountId: number, tplId: string): Promise<void> {
    if (!(await this.store.templates.softDelete(accountId, tplId, this.clock().getTime()))) throw notFound(tplId);
    for (const [key, { card }] of this.previews) if (card.accountId === accountId && card.template.tplId === tplId) this.previews.delete(key);
  }

  /**
   * The operator's review: approves or rejects the named vendors (all of the template's without
   * one). Answers the template as it is afterwards.
   */
  async review(accountId: number, tplId: string, decision: 'approve' | 'reject', options: { reason?: string; vendor?: string } = {}): Promise<StoredTemplate> {
    let vendors: Vendor[] | null = null;
    if (options.vendor !== undefined) {
      const vendor = options.vendor.toUpperCase();
      if (!(VENDORS as readonly string[]).includes(vendor)) throw new InvalidParameter(`factory must be one of ${VENDORS.join(', ')}`);
      vendors = [vendor as Vendor];
    }
    const reason = options.reason?.trim() || null;
    if (reason !== null && reason.length > 200) throw new InvalidParameter('the reason must be at most 200 characters');
    const now = this.clock().getTime();
    await this.store.transaction(async (tx) => {
      const template = await tx.templates.get(accountId, tplId);
      if (!template) throw notFound(tplId);
      if (vendors && !template.vendors.some((v) => v.vendor === vendors[0])) {
        throw new InvalidParameter(`template ${tplId} was not submitted to ${vendors[0]} (its vendors: ${template.vendors.map((v) => v.vendor).join(', ') || 'none'})`);
      }
      const changed = await tx.templates.review(accountId, tplId, vendors, decision === 'approve' ? 'approved' : 'rejected', reason, now);
      if (changed) await this.queueStatus(tx, accountId, tplId, now);
    });
    return this.get(accountId, tplId);
  }

  /** Queues the template's status for the account's url_type 1 URL, if it has one. */
  private async queueStatus(tx: Repositories, accountId: number, tplId: string, now: number): Promise<void> {
    if ((await tx.callbacks.targets(accountId, [TEMPLATE_STATUS_URL_TYPE])).length === 0) return;
    const template = await tx.templates.get(accountId, tplId);
    if (!template) return;
    await tx.outbox.enqueue([{ kind: JOB_KINDS.templateStatus, accountId, payload: { receipt: templateStatusReceipt(template) }, runAt: now }], now);
  }
}
