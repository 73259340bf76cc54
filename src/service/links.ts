import { randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { materialIdsOf } from '../domain/aim-template.js';
import { cardActionTargets, escapeHtml, renderCardBody } from '../domain/card-render.js';
import { cardPageParts, type PageParts } from '../domain/card-page.js';
import { JOB_KINDS, type OutboxJobInput } from '../domain/jobs.js';
import { isPersonOpening, openOutcome, shortChainReceipt, type Link, type LinkEventKind, type TemplateEventCount } from '../domain/link.js';
import type { StoredTemplate } from '../domain/aim-template.js';
import { RECEIPT_URL_TYPES, receiptRunAt } from '../domain/receipt.js';
import { dayStart } from '../domain/time.js';
import type { Repositories, Store } from '../store/store.js';
import { GroupCommit } from './group-commit.js';

export interface LinkOptions {
  /** User-agent substrings treated as previews and scanners, beyond PREVIEW_AGENTS (AIMLEDGER_LINK_PREVIEW_AGENTS). */
  previewAgents: readonly string[];
}

/** What the link host answers to one request. */
export type LinkAnswer = (
  | { status: 404 | 410; title: string; message: string }
  | { status: 302; location: string }
  /** The card's page, around the nonce the link host puts in. */
  | { status: 200; page: PageParts }
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

/** One open or click to record: what the link host saw, before the transaction decides what it counts. */
interface OpenWrite {
  link: Link;
  now: number;
  person: boolean;
  userAgent: string | null;
  /** open: the card (or custom_url) is to be shown; refused: expired or used up; click: a card's link. */
  kind: 'open' | 'refused' | 'click';
  /** Whether this open would be the link's resolve (openOutcome), if the link still has one to give. */
  wantsResolve: boolean;
  visitor: { id: string; fresh: boolean };
}

/** What the transaction decided for one write. */
interface WriteResult {
  resolved: boolean;
  /** A group link another open used up meanwhile: answered as used up. */
  usedUp: boolean;
}

/** How long a link read is used again, and how many are kept. */
const LINK_CACHE_MS = 1000;
const LINK_CACHE_SIZE = 10_000;

/** Bound of the rendered-card cache (templates' cards never change once created). */
const CARD_CACHE_SIZE = 1000;

/**
 * Opening a recipient's link: the card filled with the recipient's variables (or a redirect to
 * its custom_url), the first open by a person counted as the resolve with its `shortchain`
 * receipt queued in the same transaction; previews and scanners recorded apart, never counted.
 *
 * Opens are written by group commit: every open waits for its own durable write, and the opens
 * that arrive meanwhile are written together in the next transaction (one lock of each link row
 * for all its resolves, one insert of their events, one update of each counter). A group link
 * opened by many people at once therefore costs one transaction per batch, not one per person
 * queued on the link's row.
 */
export class Links {
  private readonly writes: GroupCommit<OpenWrite, WriteResult>;
  /** A template's card and material keys by account and tpl_id (a template's pages never change). */
  private readonly cards = new Map<string, { template: StoredTemplate; keys: Map<string, string> } | null>();
  /** Links read in the last LINK_CACHE_MS, by domain and code (see find()). */
  private readonly recent = new Map<string, { link: Link; at: number }>();
  /** Group links' pages (the same for every open of one link). */
  private readonly groupPages = new Map<string, PageParts>();

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: LinkOptions) {
    this.writes = new GroupCommit((batch) => this.store.transaction((tx) => applyWrites(tx, batch)));
  }

  async open(domain: string, aimCode: string, method: string, userAgent: string | undefined, visitorCookie?: string): Promise<LinkAnswer> {
    const link = await this.find(domain, aimCode);
    if (!link) return { status: 404, title: 'Not found', message: 'This link does not exist.' };
    const now = this.clock().getTime();
    const person = isPersonOpening(method, userAgent, this.options.previewAgents);
    const outcome = openOutcome(link, now, person);
    const visitor = visitorOf(link, visitorCookie);
    const write = { link, now, person, userAgent: userAgent ?? null, visitor };
    if (outcome.kind !== 'open') {
      await this.writes.submit({ ...write, kind: 'refused', wantsResolve: false });
      return { status: 410, title: 'Link expired', message: outcome.kind === 'expired' ? 'This link has expired.' : 'This link has been used up.' };
    }
    const result = await this.writes.submit({ ...write, kind: 'open', wantsResolve: outcome.resolve });
    if (result.usedUp) return { status: 410, title: 'Link expired', message: 'This link has been used up.' };
    const fresh = person && visitor.fresh ? { visitor: visitor.id.slice(2) } : {};
    if (link.customUrl) return { status: 302, location: link.customUrl, ...fresh };
    const page = await this.page(link);
    if (!page) return { status: 404, title: 'Not found', message: 'The card of this link is not available.' };
    return { status: 200, page, ...fresh };
  }

  /**
   * A click on the card's `index`-th link: a redirect to its target, counted for the template
   * (a person's, once per visitor and day for the unique count).
   */
  async click(domain: string, aimCode: string, index: number, method: string, userAgent: string | undefined, visitorCookie?: string): Promise<LinkAnswer> {
    const link = await this.find(domain, aimCode);
    if (!link) return { status: 404, title: 'Not found', message: 'This link does not exist.' };
    const now = this.clock().getTime();
    if (now >= link.expiresAt) return { status: 410, title: 'Link expired', message: 'This link has expired.' };
    const card = await this.card(link.accountId, link.tplId);
    const values = { ...Object.fromEntries((card?.template.params ?? []).map((p) => [p.key, ''])), ...(link.dyncParams ?? {}) };
    const target = card ? cardActionTargets(card.template, values)[index] : undefined;
    if (!target) return { status: 404, title: 'Not found', message: 'This card has no such link.' };
    const visitor = visitorOf(link, visitorCookie);
    if (isPersonOpening(method, userAgent, this.options.previewAgents)) {
      await this.writes.submit({ link, now, person: true, userAgent: userAgent ?? null, visitor, kind: 'click', wantsResolve: false });
      return { status: 302, location: target, ...(visitor.fresh ? { visitor: visitor.id.slice(2) } : {}) };
    }
    return { status: 302, location: target };
  }

  /**
   * A link as read at most LINK_CACHE_MS ago. What a stale copy says about resolves left only
   * decides whether an open asks to resolve: the transaction's locked claim decides whether it
   * does, so a link opened by many at once costs no read per open.
   */
  private async find(domain: string, aimCode: string): Promise<Link | undefined> {
    const key = `${domain}/${aimCode}`;
    const now = Date.now();
    const kept = this.recent.get(key);
    if (kept && now - kept.at < LINK_CACHE_MS) return kept.link;
    const link = await this.store.links.find(domain, aimCode);
    if (!link) {
      this.recent.delete(key);
      return undefined;
    }
    if (this.recent.size >= LINK_CACHE_SIZE) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, { link, at: now });
    return link;
  }

  /**
   * The link's card page: the template filled with the recipient's variables, its links through
   * the link host. A group link's page is the same for every open, so it is kept.
   */
  private async page(link: Link): Promise<PageParts | null> {
    const key = `${link.domain}/${link.aimCode}`;
    const kept = link.codeType === 'group' ? this.groupPages.get(key) : undefined;
    if (kept) return kept;
    const card = await this.card(link.accountId, link.tplId);
    if (!card) return null;
    // Declared variables the recipient was given no value for show empty, never as ${name}.
    const values = { ...Object.fromEntries(card.template.params.map((p) => [p.key, ''])), ...(link.dyncParams ?? {}) };
    const body = renderCardBody(card.template, {
      values, materialUrl: (id) => (card.keys.has(id) ? `/materials/${card.keys.get(id) as string}` : null), track: (i) => `/${link.aimCode}/c/${i}`,
    });
    const page = cardPageParts(card.template.tplName, body);
    if (link.codeType === 'group') {
      if (this.groupPages.size >= CARD_CACHE_SIZE) this.groupPages.delete(this.groupPages.keys().next().value as string);
      this.groupPages.set(key, page);
    }
    return page;
  }

  /** A template's card and its materials' keys, read once (a template's pages never change). */
  private async card(accountId: number, tplId: string): Promise<{ template: StoredTemplate; keys: Map<string, string> } | null> {
    const key = `${accountId}:${tplId}`;
    const cached = this.cards.get(key);
    if (cached !== undefined) return cached;
    const template = await this.store.templates.forLink(accountId, tplId);
    const card = template ? { template, keys: await this.store.materials.objectKeys(accountId, materialIdsOf(template.pages)) } : null;
    // A template not found may be created later under that id only by another account: not cached.
    if (card) {
      if (this.cards.size >= CARD_CACHE_SIZE) this.cards.delete(this.cards.keys().next().value as string);
      this.cards.set(key, card);
    }
    return card;
  }
}

/**
 * One transaction's worth of opens: resolves claimed per link (in one order for every writer),
 * refused attempts marking never-resolved links failed, then every event, counter and receipt
 * written together.
 */
async function applyWrites(tx: Repositories, batch: OpenWrite[]): Promise<WriteResult[]> {
  const results: WriteResult[] = batch.map(() => ({ resolved: false, usedUp: false }));
  const keyOf = (l: Link) => `${l.domain}\u0000${l.aimCode}`;
  // Every group link opened is looked at (a copy read earlier may not know it is used up); the
  // opens that ask to resolve a link claim its resolves together.
  const claims = new Map<string, number[]>();
  const refusals = new Map<string, OpenWrite>();
  batch.forEach((w, i) => {
    const key = keyOf(w.link);
    if (w.kind === 'open' && (w.wantsResolve || w.link.codeType === 'group')) claims.set(key, [...(claims.get(key) ?? []), i]);
    if (w.kind === 'refused' && w.person) refusals.set(key, w);
  });
  for (const key of [...new Set([...claims.keys(), ...refusals.keys()])].sort()) {
    const opens = claims.get(key) ?? [];
    if (opens.length > 0) {
      const wanting = opens.filter((i) => (batch[i] as OpenWrite).wantsResolve);
      const first = batch[opens[0] as number] as OpenWrite;
      const { granted, left } = await tx.links.claimResolves(first.link, wanting.length, first.now);
      wanting.forEach((i, n) => {
        (results[i] as WriteResult).resolved = n < granted;
      });
      for (const i of opens) {
        const r = results[i] as WriteResult;
        // A group link with no resolve left is used up for every open that did not get one; an
        // individual link's recipient just reopens.
        r.usedUp = !r.resolved && (batch[i] as OpenWrite).link.codeType === 'group' && left === 0;
      }
    }
    const refused = refusals.get(key);
    if (refused) await tx.links.markFailed(refused.link, refused.now);
  }

  const events = batch.map((w, i) => {
    const r = results[i] as WriteResult;
    const kind: LinkEventKind = w.kind === 'click' ? 'click'
      : w.kind === 'refused' || r.usedUp ? (w.person ? 'refused' : 'preview')
        : r.resolved ? 'resolve' : w.person ? 'reopen' : 'preview';
    return { accountId: w.link.accountId, domain: w.link.domain, aimCode: w.link.aimCode, kind, userAgent: w.userAgent, at: w.now };
  });
  await tx.links.recordEvents(events);

  const resolved = batch.filter((_, i) => (results[i] as WriteResult).resolved);
  await tx.links.countResolves(resolved.map((w) => ({ accountId: w.link.accountId, tplId: w.link.tplId, day: dayStart(w.link.createdAt), n: 1 })));
  const counts: TemplateEventCount[] = [];
  batch.forEach((w, i) => {
    const r = results[i] as WriteResult;
    const base = { accountId: w.link.accountId, tplId: w.link.tplId, day: dayStart(w.now) };
    const who = { domain: w.link.domain, aimCode: w.link.aimCode, id: w.visitor.id };
    if (r.resolved) counts.push({ ...base, event: 'resolve', visitor: null });
    // An exposure is the card shown to a person (a redirect shows none).
    if (w.kind === 'open' && w.person && !r.usedUp && !w.link.customUrl) counts.push({ ...base, event: 'expose', visitor: who });
    if (w.kind === 'click') counts.push({ ...base, event: 'click', visitor: who });
  });
  await tx.templateReports.count(counts);
  await queueReceipts(tx, resolved);
  return results;
}

/** The shortchain receipts of resolved links, one per registered url_type 0 and 2 of their account. */
async function queueReceipts(tx: Repositories, resolved: OpenWrite[]): Promise<void> {
  if (resolved.length === 0) return;
  const targets = new Map<number, Awaited<ReturnType<Repositories['callbacks']['targets']>>>();
  const jobs: OutboxJobInput[] = [];
  for (const w of resolved) {
    const accountId = w.link.accountId;
    if (!targets.has(accountId)) targets.set(accountId, await tx.callbacks.targets(accountId, RECEIPT_URL_TYPES));
    const receipt = shortChainReceipt(w.link);
    for (const t of targets.get(accountId) ?? []) {
      jobs.push({
        kind: JOB_KINDS.receipt, accountId,
        payload: { urlType: t.urlType, domainId: t.domainId, callbackType: 'shortchain' as const, receipt },
        runAt: receiptRunAt(t.urlType, w.now),
      });
    }
  }
  if (jobs.length > 0) await tx.outbox.enqueue(jobs, (resolved[0] as OpenWrite).now);
}

/** A small page for the link host's refusals. */
export function linkMessagePage(title: string, message: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body><p>${escapeHtml(message)}</p></body></html>`;
}
