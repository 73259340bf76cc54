import { randomInt } from 'node:crypto';

/**
 * Per-recipient short links (`aim_url`): what a link is, how its code is drawn, and what opening
 * it does. The link host serves `/<aim_code>` for the domain in `aim_url`.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Characters of a generated code, as KooMessage's examples (`PDiWqc`): 62^6 ≈ 5.7e10 codes. */
export const AIM_CODE_LENGTH = 6;

/** The mark an SMS template puts where the recipient's link goes. */
export const LINK_MARK = '${aim_url}';

/** A cryptographically random base62 code. */
export function newAimCode(length = AIM_CODE_LENGTH): string {
  let code = '';
  for (let i = 0; i < length; i++) code += BASE62[randomInt(0, 62)];
  return code;
}

/** `<domain>/<aim_code>`, without a scheme, as KooMessage's examples give aim_url. */
export function aimUrl(domain: string, aimCode: string): string {
  return `${domain}/${aimCode}`;
}

/**
 * A short-link domain an account registered with the operator (`aimledger domain add`). Links on
 * a `custom` domain carry the customer's own codes (generation_type 2); links on a `standard`
 * one drawn codes (generation_type 1 with that domain). Either way the domain's DNS points at the
 * link host, which tells domains apart by the Host header.
 */
export interface LinkDomain {
  domain: string;
  accountId: number;
  codes: 'custom' | 'standard';
  createdAt: number;
}

/** A host name as links store it: lower case, without a trailing dot. */
export function normaliseDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/** Why a recipient's link could not be made (failed_short_chains, or a resolve task's param). */
export interface LinkFailure {
  /** The index of the recipient's param. */
  index: number;
  reason: string;
}

export type ResolvedStatus = 'unresolved' | 'success' | 'fail';

/**
 * What an open of a link was: its resolve, a later open by a person (reopen), a preview or
 * scanner, a person refused (expired or used up), or a click on the card.
 */
export type LinkEventKind = 'resolve' | 'reopen' | 'preview' | 'refused' | 'click';

/** A stored link. */
export interface Link {
  domain: string;
  aimCode: string;
  accountId: number;
  /** The id of its resolve-details row. */
  resolveId: string;
  /** The send task (or resolve task) that made it. */
  taskId: string;
  taskName: string;
  tplId: string;
  tplName: string;
  custFlag: string;
  /** The user name that sent it. */
  sendAccount: string;
  /** The message that carries it (send tasks). */
  msgId: string | null;
  dyncParams: Record<string, string> | null;
  /** Where it redirects instead of rendering the card. */
  customUrl: string | null;
  smsSign: string | null;
  codeType: 'individual' | 'group';
  expiresAt: number;
  /** Resolves it allows (1 for an individual link). */
  resolvingTimes: number;
  resolvedTimes: number;
  resolvedStatus: ResolvedStatus;
  resolvedTime: number | null;
  createdAt: number;
}

/**
 * User agents that fetch a link without a person opening it: link previews of messaging apps and
 * social networks, mail and SMS security scanners, search crawlers, and HTTP libraries. Matched
 * case-insensitively as substrings; AIMLEDGER_LINK_PREVIEW_AGENTS adds more.
 */
export const PREVIEW_AGENTS: readonly string[] = [
  'bot', 'crawler', 'spider', 'preview', 'facebookexternalhit', 'whatsapp', 'telegram', 'slack', 'discord', 'skypeuripreview',
  'linkedin', 'vkshare', 'embedly', 'iframely', 'quora link', 'pinterest', 'bitlybot', 'outbrain', 'google-safety',
  'safebrowsing', 'proofpoint', 'mimecast', 'barracuda', 'zscaler', 'symantec', 'forcepoint', 'trendmicro', 'sophos',
  'checkpoint', 'fortiguard', 'headlesschrome', 'phantomjs', 'curl/', 'wget/', 'python-requests', 'python-urllib', 'go-http-client',
  'okhttp', 'java/', 'apache-httpclient', 'node-fetch', 'undici', 'axios/', 'libwww-perl', 'httpclient',
];

/** Whether a request is a person opening the link (a GET from a browser), not a preview or a scanner. */
export function isPersonOpening(method: string, userAgent: string | undefined, extraAgents: readonly string[] = []): boolean {
  if (method !== 'GET') return false;
  const agent = (userAgent ?? '').toLowerCase();
  if (agent.trim() === '') return false;
  return ![...PREVIEW_AGENTS, ...extraAgents].some((needle) => needle !== '' && agent.includes(needle.toLowerCase()));
}

/** What opening a link does. */
export type OpenOutcome =
  | { kind: 'expired' }
  | { kind: 'used-up' }
  /** Show the card (or redirect to custom_url); `resolve` when this open counts as the link's resolve. */
  | { kind: 'open'; resolve: boolean };

/**
 * The rule of one open at `now`: an expired link is gone; a person's first open of an individual
 * link is its resolve, and later opens show the card again without counting; a group link counts
 * every person's open until it has been resolved `resolvingTimes` times. Previews never count.
 */
export function openOutcome(link: Pick<Link, 'expiresAt' | 'codeType' | 'resolvingTimes' | 'resolvedTimes'>, now: number, person: boolean): OpenOutcome {
  if (now >= link.expiresAt) return { kind: 'expired' };
  if (link.codeType === 'individual') return { kind: 'open', resolve: person && link.resolvedTimes === 0 };
  if (link.resolvedTimes >= link.resolvingTimes) return { kind: 'used-up' };
  return { kind: 'open', resolve: person };
}

/** KooMessage's ShortChainCallback: sent when a link is resolved. */
export interface ShortChainReceipt {
  task_id: string;
  cust_flag: string;
  tpl_id: string;
  aim_url: string;
  aim_code: string;
  /** 0 success. */
  status: number;
  describe: string;
}

export function shortChainReceipt(link: Link): ShortChainReceipt {
  return {
    task_id: link.taskId, cust_flag: link.custFlag, tpl_id: link.tplId, aim_url: aimUrl(link.domain, link.aimCode),
    aim_code: link.aimCode, status: 0, describe: 'resolved',
  };
}

/** What template reports count. */
export type TemplateEvent = 'resolve' | 'expose' | 'click';

/** One event for a template's day; exposures and clicks name who, for the unique counts. */
export interface TemplateEventCount {
  accountId: number;
  tplId: string;
  /** The UTC day it happened. */
  day: number;
  event: TemplateEvent;
  visitor: { domain: string; aimCode: string; id: string } | null;
}
