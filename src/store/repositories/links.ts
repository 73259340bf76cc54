import type { Selectable } from 'kysely';
import type { Link, LinkDomain, LinkEventKind, ResolvedStatus } from '../../domain/link.js';
import type { ResolveDetailsFilter } from '../../domain/resolve-details-query.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';
import type { Database } from '../schema.js';

const COLUMNS = [
  'domain', 'aim_code', 'account_id', 'resolve_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'cust_flag', 'send_account', 'msg_id', 'dync_params', 'custom_url', 'sms_sign', 'code_type',
  'expires_at', 'resolving_times', 'resolved_times', 'resolved_status', 'resolved_time', 'created_at',
] as const;

type Row = Pick<Selectable<Database['links']>, (typeof COLUMNS)[number]>;

function toLink(r: Row): Link {
  return {
    domain: r.domain, aimCode: r.aim_code, accountId: r.account_id, resolveId: r.resolve_id, taskId: r.task_id, taskName: r.task_name, tplId: r.tpl_id,
    tplName: r.tpl_name, custFlag: r.cust_flag, sendAccount: r.send_account, msgId: r.msg_id,
    dyncParams: r.dync_params ? JSON.parse(r.dync_params) as Record<string, string> : null, customUrl: r.custom_url, smsSign: r.sms_sign,
    codeType: r.code_type as Link['codeType'], expiresAt: Number(r.expires_at), resolvingTimes: r.resolving_times, resolvedTimes: r.resolved_times,
    resolvedStatus: r.resolved_status as ResolvedStatus, resolvedTime: r.resolved_time === null ? null : Number(r.resolved_time), createdAt: Number(r.created_at),
  };
}

/** A link's key: its account, then its code in its domain. */
export interface LinkKey {
  accountId: number;
  domain: string;
  aimCode: string;
}

/** Short links and their opens. */
export class LinksRepository {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Stores the links whose codes are free in their domain; answers the codes that were taken
   * (draw again for those). A code is taken in link_codes first (its account's look-up), then
   * the link is stored under its account.
   */
  async insert(links: Link[]): Promise<Set<string>> {
    const taken = new Set<string>();
    for (const part of chunks(links, COLUMNS.length, this.ctx.adapter.maxParameters)) {
      const claimed = await this.ctx.db.insertInto('link_codes').values(part.map((l) => ({ domain: l.domain, aim_code: l.aimCode, account_id: l.accountId })))
        .onConflict((oc) => oc.columns(['domain', 'aim_code']).doNothing()).returning(['domain', 'aim_code']).execute();
      const free = new Set(claimed.map((r) => `${r.domain}\u0000${r.aim_code}`));
      const fresh = part.filter((l) => free.has(`${l.domain}\u0000${l.aimCode}`));
      for (const l of part) if (!free.has(`${l.domain}\u0000${l.aimCode}`)) taken.add(l.aimCode);
      if (fresh.length === 0) continue;
      await this.ctx.db.insertInto('links').values(fresh.map((l) => ({
        domain: l.domain, aim_code: l.aimCode, account_id: l.accountId, resolve_id: l.resolveId, task_id: l.taskId, task_name: l.taskName, tpl_id: l.tplId,
        tpl_name: l.tplName, cust_flag: l.custFlag, send_account: l.sendAccount, msg_id: l.msgId,
        dync_params: l.dyncParams ? JSON.stringify(l.dyncParams) : null, custom_url: l.customUrl, sms_sign: l.smsSign, code_type: l.codeType,
        expires_at: l.expiresAt, resolving_times: l.resolvingTimes, resolved_times: l.resolvedTimes, resolved_status: l.resolvedStatus,
        resolved_time: l.resolvedTime, created_at: l.createdAt,
      }))).execute();
    }
    return taken;
  }

  /** Registers a domain for an account; answers false when the domain is registered already. */
  async addDomain(d: LinkDomain): Promise<boolean> {
    const rows = await this.ctx.db.insertInto('link_domains').values({ domain: d.domain, account_id: d.accountId, codes: d.codes, created_at: d.createdAt })
      .onConflict((oc) => oc.column('domain').doNothing()).returning('domain').execute();
    return rows.length > 0;
  }

  async domain(domain: string): Promise<LinkDomain | undefined> {
    const r = await this.ctx.db.selectFrom('link_domains').selectAll().where('domain', '=', domain).executeTakeFirst();
    return r && { domain: r.domain, accountId: r.account_id, codes: r.codes as LinkDomain['codes'], createdAt: Number(r.created_at) };
  }

  /** Registered domains, of one account or all, by name. */
  async domains(accountId?: number): Promise<LinkDomain[]> {
    let q = this.ctx.db.selectFrom('link_domains').selectAll().orderBy('domain');
    if (accountId !== undefined) q = q.where('account_id', '=', accountId);
    return (await q.execute()).map((r) => ({ domain: r.domain, accountId: r.account_id, codes: r.codes as LinkDomain['codes'], createdAt: Number(r.created_at) }));
  }

  /** Unregisters a domain (its links stay and keep resolving until they expire); answers whether it was registered. */
  async removeDomain(domain: string): Promise<boolean> {
    const r = await this.ctx.db.deleteFrom('link_domains').where('domain', '=', domain).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async find(domain: string, aimCode: string): Promise<Link | undefined> {
    // The code's account first (the look-up table), then the link under it: two statements that
    // each reach one account's data, as on a schema distributed by account.
    const code = await this.ctx.db.selectFrom('link_codes').select('account_id').where('domain', '=', domain).where('aim_code', '=', aimCode).executeTakeFirst();
    if (!code) return undefined;
    const row = await this.ctx.db.selectFrom('links').select(COLUMNS)
      .where('account_id', '=', code.account_id).where('domain', '=', domain).where('aim_code', '=', aimCode).executeTakeFirst();
    return row ? toLink(row) : undefined;
  }

  /** The links of these messages, by msg_id. */
  async byMessages(accountId: number, msgIds: string[]): Promise<Map<string, Link>> {
    const out = new Map<string, Link>();
    for (const part of chunks(msgIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('links').select(COLUMNS).where('account_id', '=', accountId).where('msg_id', 'in', part).execute();
      for (const r of rows) out.set(r.msg_id as string, toLink(r));
    }
    return out;
  }

  /** ListAimResolveDetails: newest first (created_at desc, aim_code), with the exact total. */
  async list(accountId: number, f: ResolveDetailsFilter, offset: number, limit: number): Promise<{ rows: Link[]; total: number }> {
    let q = this.ctx.db.selectFrom('links').where('account_id', '=', accountId)
      .where('created_at', '>=', f.createdFrom).where('created_at', '<=', f.createdTo);
    if (f.taskId !== undefined) q = q.where('task_id', '=', f.taskId);
    if (f.taskName !== undefined) q = q.where('task_name', '=', f.taskName);
    if (f.tplId !== undefined) q = q.where('tpl_id', '=', f.tplId);
    if (f.tplName !== undefined) q = q.where('tpl_name', '=', f.tplName);
    if (f.custFlag !== undefined) q = q.where('cust_flag', '=', f.custFlag);
    if (f.smsSign !== undefined) q = q.where('sms_sign', '=', f.smsSign);
    if (f.domain !== undefined) q = q.where('domain', '=', f.domain);
    if (f.aimCode !== undefined) q = q.where('aim_code', '=', f.aimCode);
    if (f.resolvedStatus !== undefined) q = q.where('resolved_status', '=', f.resolvedStatus);
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(COLUMNS).orderBy('created_at', 'desc').orderBy('aim_code', 'asc').limit(limit).offset(offset).execute();
    return { rows: rows.map(toLink), total: Number(n) };
  }

  /** The first link (in the order they were made) of each of these tasks, in one statement. */
  async firstOfTasks(accountId: number, taskIds: string[]): Promise<Map<string, Link>> {
    const out = new Map<string, Link>();
    for (const part of chunks(taskIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('links').select(COLUMNS).where('account_id', '=', accountId).where('task_id', 'in', part)
        .orderBy('task_id').orderBy('created_at').orderBy('cust_flag').orderBy('aim_code').execute();
      for (const r of rows) if (!out.has(r.task_id)) out.set(r.task_id, toLink(r));
    }
    return out;
  }

  /**
   * Grants up to `wanted` (0 or more) resolves of a link that has not expired at `now`, as many as
   * it has left, and marks it resolved: answers how many were granted and how many it has left
   * then (0 for a link gone or expired). The link's row stays locked until the transaction ends
   * (PostgreSQL), so concurrent claims never grant more than resolving_times.
   */
  async claimResolves(link: LinkKey, wanted: number, now: number): Promise<{ granted: number; left: number }> {
    const { accountId, domain, aimCode } = link;
    const row = await this.ctx.db.selectFrom('links').select(['resolved_times', 'resolving_times', 'expires_at'])
      .where('account_id', '=', accountId).where('domain', '=', domain).where('aim_code', '=', aimCode)
      .$if(this.ctx.adapter.backend === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return { granted: 0, left: 0 };
    const left = Math.max(0, row.resolving_times - row.resolved_times);
    const granted = Math.min(wanted, left);
    if (granted > 0) {
      await this.ctx.db.updateTable('links')
        .set((eb) => ({ resolved_times: eb('resolved_times', '+', granted), resolved_status: 'success', resolved_time: eb.fn.coalesce('resolved_time', eb.val(now)) }))
        .where('account_id', '=', accountId).where('domain', '=', domain).where('aim_code', '=', aimCode)
        .execute();
    }
    return { granted, left: left - granted };
  }

  /** Counts resolves for their template and the day their link was made (summed per key first). */
  async countResolves(entries: Array<{ accountId: number; tplId: string; day: number; n: number }>): Promise<void> {
    const sums = new Map<string, { account_id: number; tpl_id: string; day: number; n: number }>();
    for (const e of entries) {
      const key = `${e.accountId}\u0000${e.tplId}\u0000${e.day}`;
      const row = sums.get(key) ?? { account_id: e.accountId, tpl_id: e.tplId, day: e.day, n: 0 };
      row.n += e.n;
      sums.set(key, row);
    }
    // One order for every writer, so two transactions never wait on each other's rows.
    const rows = [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
    for (const part of chunks(rows, 4, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('link_resolve_counts').values(part)
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id', 'day']).doUpdateSet({ n: (eb) => eb('link_resolve_counts.n', '+', eb.ref('excluded.n')) }))
        .execute();
    }
  }

  /** An attempt refused (expired, used up) on a link never resolved: its status becomes fail. */
  async markFailed(link: LinkKey, now: number): Promise<void> {
    await this.ctx.db.updateTable('links').set({ resolved_status: 'fail', resolved_time: now })
      .where('account_id', '=', link.accountId).where('domain', '=', link.domain).where('aim_code', '=', link.aimCode)
      .where('resolved_status', '=', 'unresolved').execute();
  }

  /** Records opens, in one statement per few thousand. */
  async recordEvents(events: Array<{ accountId: number; domain: string; aimCode: string; kind: LinkEventKind; userAgent: string | null; at: number }>): Promise<void> {
    for (const part of chunks(events, 6, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('link_events').values(part.map((e) => ({
        account_id: e.accountId, domain: e.domain, aim_code: e.aimCode, kind: e.kind, user_agent: e.userAgent?.slice(0, 300) ?? null, at: e.at,
      }))).execute();
    }
  }

  /** How often each kind of event happened to a link. */
  async eventCounts(link: LinkKey): Promise<Record<string, number>> {
    const rows = await this.ctx.db.selectFrom('link_events').select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('account_id', '=', link.accountId).where('domain', '=', link.domain).where('aim_code', '=', link.aimCode).groupBy('kind').execute();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
  }
}
