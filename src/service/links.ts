import { randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { materialIdsOf } from '../domain/aim-template.js';
import { cardActionTargets, escapeHtml, renderCardBody } from '../domain/card-render.js';
import { JOB_KINDS } from '../domain/jobs.js';
import { isPersonOpening, openOutcome, shortChainReceipt, type Link } from '../domain/link.js';
import { RECEIPT_URL_TYPES, receiptRunAt } from '../domain/receipt.js';
import { dayStart } from '../domain/time.js';
import type { Repositories, Store } from '../store/store.js';

export interface LinkOptions {
  /** User-agent substrings treated as previews and scanners, beyond PREVIEW_AGENTS (AIMLEDGER_LINK_PREVIEW_AGENTS). */
  previewAgents: readonly string[];
}

/** What the link host answers to one request. */
export type LinkAnswer = (
  | { status: 404 | 410; title: string; message: string }
  | { status: 302; location: string }
  | { status: 200; title: string; card: string }
) & {
  /** A new visitor id for the link host's first-party cookie (group links' unique counts). */
  visitor?: string;
};

/** Who opened a link, for the unique counts: an individual link's recipient, or a group link's visitor by cookie. */
function visitorOf(link: Link, cookie: string | undefined): { id: string; fresh: boolean } {
  if (link.codeType === 'individual') return { id: `r:${link.custFlag}`, fresh: false };
  if (cookie) return { id: `v:${cookie}`, fresh: false };
  const id = randomBytes(16).toString('base64url');
  return { id: `v:${id}`, fresh: true };
}

/**
 * Opening a recipient's link: the card filled with the recipient's variables (or a redirect to
 * its custom_url), the first open by a person counted as the resolve with its `shortchain`
 * receipt queued in the same transaction; previews and scanners recorded apart, never counted.
 */
export class Links {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: LinkOptions) {}

  async open(domain: string, aimCode: string, method: string, userAgent: string | undefined, visitorCookie?: string): Promise<LinkAnswer> {
    const link = await this.store.links.find(domain, aimCode);
    if (!link) return { status: 404, title: 'Not found', message: 'This link does not exist.' };
    const now = this.clock().getTime();
    const person = isPersonOpening(method, userAgent, this.options.previewAgents);
    const outcome = openOutcome(link, now, person);
    const event = { accountId: link.accountId, domain, aimCode, userAgent: userAgent ?? null, at: now };
    if (outcome.kind !== 'open') {
      await this.store.transaction(async (tx) => {
        if (person) await tx.links.markFailed(domain, aimCode, now);
        await tx.links.recordEvent({ ...event, kind: person ? 'refused' : 'preview' });
      });
      return { status: 410, title: 'Link expired', message: outcome.kind === 'expired' ? 'This link has expired.' : 'This link has been used up.' };
    }
    const visitor = visitorOf(link, visitorCookie);
    const fresh = person && visitor.fresh ? { visitor: visitor.id.slice(2) } : {};
    await this.store.transaction(async (tx) => {
      const counted = outcome.resolve && await tx.links.resolve(domain, aimCode, now);
      await tx.links.recordEvent({ ...event, kind: counted ? 'resolve' : person ? 'reopen' : 'preview' });
      if (counted) {
        await tx.links.countResolve(link.accountId, link.tplId, dayStart(link.createdAt));
        await tx.templateReports.count(link.accountId, link.tplId, dayStart(now), 'resolve', null);
        await this.queueReceipts(tx, link, now);
      }
      // An exposure is the card shown to a person (a redirect shows none).
      if (person && !link.customUrl) {
        await tx.templateReports.count(link.accountId, link.tplId, dayStart(now), 'expose', { domain, aimCode, id: visitor.id });
      }
    });
    if (link.customUrl) return { status: 302, location: link.customUrl, ...fresh };
    const template = await this.store.templates.forLink(link.accountId, link.tplId);
    if (!template) return { status: 404, title: 'Not found', message: 'The card of this link is not available.' };
    const keys = await this.store.materials.objectKeys(link.accountId, materialIdsOf(template.pages));
    // Declared variables the recipient was given no value for show empty, never as ${name}.
    const values = { ...Object.fromEntries(template.params.map((p) => [p.key, ''])), ...(link.dyncParams ?? {}) };
    const card = renderCardBody(template, {
      values, materialUrl: (id) => (keys.has(id) ? `/materials/${keys.get(id) as string}` : null), track: (i) => `/${aimCode}/c/${i}`,
    });
    return { status: 200, title: template.tplName, card, ...fresh };
  }

  /**
   * A click on the card's `index`-th link: a redirect to its target, counted for the template
   * (a person's, once per visitor and day for the unique count).
   */
  async click(domain: string, aimCode: string, index: number, method: string, userAgent: string | undefined, visitorCookie?: string): Promise<LinkAnswer> {
    const link = await this.store.links.find(domain, aimCode);
    if (!link) return { status: 404, title: 'Not found', message: 'This link does not exist.' };
    const now = this.clock().getTime();
    if (now >= link.expiresAt) return { status: 410, title: 'Link expired', message: 'This link has expired.' };
    const template = await this.store.templates.forLink(link.accountId, link.tplId);
    const values = { ...Object.fromEntries((template?.params ?? []).map((p) => [p.key, ''])), ...(link.dyncParams ?? {}) };
    const target = template ? cardActionTargets(template, values)[index] : undefined;
    if (!target) return { status: 404, title: 'Not found', message: 'This card has no such link.' };
    const visitor = visitorOf(link, visitorCookie);
    if (isPersonOpening(method, userAgent, this.options.previewAgents)) {
      await this.store.transaction(async (tx) => {
        await tx.links.recordEvent({ accountId: link.accountId, domain, aimCode, kind: 'click', userAgent: userAgent ?? null, at: now });
        await tx.templateReports.count(link.accountId, link.tplId, dayStart(now), 'click', { domain, aimCode, id: visitor.id });
      });
      return { status: 302, location: target, ...(visitor.fresh ? { visitor: visitor.id.slice(2) } : {}) };
    }
    return { status: 302, location: target };
  }

  /** The shortchain receipt, one per registered url_type 0 and 2. */
  private async queueReceipts(tx: Repositories, link: Link, now: number): Promise<void> {
    const targets = await tx.callbacks.targets(link.accountId, RECEIPT_URL_TYPES);
    if (targets.length === 0) return;
    const receipt = shortChainReceipt(link);
    await tx.outbox.enqueue(targets.map((t) => ({
      kind: JOB_KINDS.receipt, accountId: link.accountId,
      payload: { urlType: t.urlType, domainId: t.domainId, callbackType: 'shortchain' as const, receipt },
      runAt: receiptRunAt(t.urlType, now),
    })), now);
  }
}

/** A small page for the link host's refusals. */
export function linkMessagePage(title: string, message: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body><p>${escapeHtml(message)}</p></body></html>`;
}
