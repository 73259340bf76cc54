import type { Selectable } from 'kysely';
import type { ResolveTask, ResolveTaskFilter } from '../../domain/resolve-task.js';
import type { StoreContext } from '../context.js';
import type { Database } from '../schema.js';

const COLUMNS = ['task_id', 'tpl_id', 'aim_code_type', 'domain', 'expiration_time', 'resolving_times', 'sms_signs', 'created_at'] as const;

function toTask(r: Pick<Selectable<Database['resolve_tasks']>, (typeof COLUMNS)[number]>): ResolveTask {
  return {
    taskId: r.task_id, tplId: r.tpl_id, aimCodeType: r.aim_code_type as ResolveTask['aimCodeType'], domain: r.domain,
    expirationTime: r.expiration_time, resolvingTimes: r.resolving_times, smsSigns: JSON.parse(r.sms_signs) as string[], createdAt: Number(r.created_at),
  };
}

/** Resolve tasks (their links are in `links`, under the task's id). */
export class ResolveTasksRepository {
  constructor(private readonly ctx: StoreContext) {}

  async insert(accountId: number, t: ResolveTask): Promise<void> {
    await this.ctx.db.insertInto('resolve_tasks').values({
      account_id: accountId, task_id: t.taskId, tpl_id: t.tplId, aim_code_type: t.aimCodeType, domain: t.domain, expiration_time: t.expirationTime,
      resolving_times: t.resolvingTimes, sms_signs: JSON.stringify(t.smsSigns), created_at: t.createdAt,
    }).execute();
  }

  /** Newest first (created_at desc, task_id), the exact total, and each task's resolves so far. */
  async list(accountId: number, f: ResolveTaskFilter, offset: number, limit: number): Promise<{ rows: Array<ResolveTask & { resolvedTimes: number }>; total: number }> {
    let q = this.ctx.db.selectFrom('resolve_tasks as t').where('t.account_id', '=', accountId)
      .where('t.created_at', '>=', f.createdFrom).where('t.created_at', '<=', f.createdTo);
    if (f.taskId !== undefined) q = q.where('t.task_id', '=', f.taskId);
    if (f.tplId !== undefined) q = q.where('t.tpl_id', '=', f.tplId);
    if (f.tplName !== undefined) {
      const name = f.tplName;
      q = q.where('t.tpl_id', 'in', (eb) => eb.selectFrom('templates').select('tpl_id').where('account_id', '=', accountId).where('tpl_name', '=', name));
    }
    if (f.custFlag !== undefined || f.aimCode !== undefined) {
      const { custFlag, aimCode, domain } = f;
      q = q.where(({ exists, selectFrom }) => {
        let links = selectFrom('links as l').select('l.aim_code').whereRef('l.account_id', '=', 't.account_id').whereRef('l.task_id', '=', 't.task_id');
        if (custFlag !== undefined) links = links.where('l.cust_flag', '=', custFlag);
        if (aimCode !== undefined) links = links.where('l.aim_code', '=', aimCode).where('l.domain', '=', domain ?? '');
        return exists(links);
      });
    }
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (limit === 0) return { rows: [], total: Number(n) };
    const rows = await q.select(COLUMNS.map((c) => `t.${c}` as const)).orderBy('t.created_at', 'desc').orderBy('t.task_id', 'asc').limit(limit).offset(offset).execute();
    const ids = rows.map((r) => r.task_id);
    const sums = ids.length === 0 ? [] : await this.ctx.db.selectFrom('links').select(['task_id', (eb) => eb.fn.sum<number | string>('resolved_times').as('n')])
      .where('account_id', '=', accountId).where('task_id', 'in', ids).groupBy('task_id').execute();
    const resolved = new Map(sums.map((s) => [s.task_id, Number(s.n)]));
    return { rows: rows.map((r) => ({ ...toTask(r), resolvedTimes: resolved.get(r.task_id) ?? 0 })), total: Number(n) };
  }
}
