import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { ErrorCodes, InvalidParameter } from '../domain/errors.js';
import type { Principal } from '../domain/identity.js';
import type { Link, LinkFailure } from '../domain/link.js';
import { RESOLVE_EXPIRY_DAYS, type ResolveTask, type ResolveTaskFilter } from '../domain/resolve-task.js';
import type { Store } from '../store/store.js';
import { insertLinks, linkDomainFor } from './link-codes.js';
import { sendableTemplate } from './templates.js';

const DAY_MS = 86_400_000;

/** CreateResolveTask's body, its shape already checked. */
export interface ResolveTaskInput {
  tpl_id: string;
  aim_code_type: 'group' | 'individual';
  expiration_time: number;
  resolving_times: number;
  sms_signs: string[];
  generation_type?: '1' | '2';
  domain?: string;
  params: Array<{ cust_flag: string; dync_params?: Record<string, string>; custom_url?: string; custom_short_code?: string }>;
}

/**
 * CreateResolveTask and ListResolveTasks: links for customers who send the SMS through their own
 * channel. A group task makes one link that resolves up to `resolving_times` times; an individual
 * task one link per param, each resolving once.
 */
export class ResolveTasks {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: { linkDomain: () => string }) {}

  async create(principal: Principal, input: ResolveTaskInput): Promise<{ task: ResolveTask; links: Link[]; failures: LinkFailure[] }> {
    const accountId = principal.account.id;
    const group = input.aim_code_type === 'group';
    if (input.expiration_time > RESOLVE_EXPIRY_DAYS[input.aim_code_type]) {
      throw new InvalidParameter(`expiration_time must be 1 to ${RESOLVE_EXPIRY_DAYS[input.aim_code_type]} days for ${input.aim_code_type} links`);
    }
    if (group && input.resolving_times < 2) throw new InvalidParameter('resolving_times must be at least 2 for group links');
    if (group && input.params.length !== 1) throw new InvalidParameter('a group task makes exactly one link: give one param', ErrorCodes.tooManyShortLinks);
    const custom = input.generation_type === '2';
    const missing = custom ? input.params.findIndex((p) => p.custom_short_code === undefined) : -1;
    if (missing >= 0) throw new InvalidParameter(`params[${missing}].custom_short_code is required when generation_type is 2`);
    const template = await sendableTemplate(this.store, accountId, input.tpl_id);
    if (group && (await this.store.templates.get(accountId, input.tpl_id))?.params.length) {
      throw new InvalidParameter(`aim_code_type must be individual: template ${input.tpl_id} has variables`, ErrorCodes.invalidAimCodeType);
    }
    const domain = await linkDomainFor(this.store, accountId, input.generation_type ?? '1', input.domain, this.options.linkDomain());
    const now = this.clock().getTime();
    const task: ResolveTask = {
      taskId: randomUUID(), tplId: template.tplId, aimCodeType: input.aim_code_type, domain: input.domain ? domain : null, expirationTime: input.expiration_time,
      resolvingTimes: group ? input.resolving_times : 1, smsSigns: input.sms_signs, createdAt: now,
    };
    // With custom codes (generation_type 2) custom_url is not used, as the definition says.
    const links: Link[] = input.params.map((p) => ({
      domain, aimCode: '', accountId, resolveId: randomUUID().replaceAll('-', ''), taskId: task.taskId, taskName: '', tplId: template.tplId,
      tplName: template.tplName, custFlag: p.cust_flag, sendAccount: principal.user.name, msgId: null, dyncParams: p.dync_params ?? null,
      customUrl: custom ? null : p.custom_url ?? null, smsSign: input.sms_signs[0] ?? null, codeType: input.aim_code_type, expiresAt: now + input.expiration_time * DAY_MS,
      resolvingTimes: task.resolvingTimes, resolvedTimes: 0, resolvedStatus: 'unresolved', resolvedTime: null, createdAt: now,
    }));
    const failures = await this.store.transaction(async (tx) => {
      await tx.resolveTasks.insert(accountId, task);
      return insertLinks(tx, links, custom ? input.params.map((p) => p.custom_short_code ?? null) : null);
    });
    return { task, links, failures };
  }

  async list(principal: Principal, filter: ResolveTaskFilter, offset: number, limit: number) {
    return this.store.read((r) => r.resolveTasks.list(principal.account.id, filter, offset, limit));
  }

  /** The first link of each task (ListResolveTasks shows one, as the definition says). */
  async firstLinks(principal: Principal, taskIds: string[]): Promise<Map<string, Link>> {
    return this.store.links.firstOfTasks(principal.account.id, taskIds);
  }

}
