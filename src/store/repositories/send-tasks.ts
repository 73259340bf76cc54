import { SEND_STATUSES } from '../../domain/send-detail.js';
import type { NewSendTask, SendTaskFilter, SendTaskSummary, TaskRecord } from '../../domain/send-task.js';
import { chunks } from '../compare.js';
import { inSnapshot, type StoreContext } from '../context.js';

const NO_DETAILS = (): SendTaskSummary['details'] => ({ total: 0, sending: 0, success: 0, fail: 0 });

/** Send tasks: those created through the API and those imported with their details. */
export class SendTasksRepository {
  constructor(private readonly ctx: StoreContext) {}

  async insert(accountId: number, task: NewSendTask): Promise<void> {
    await this.ctx.db.insertInto('send_tasks').values({
      account_id: accountId, task_id: task.taskId, task_name: task.taskName, tpl_id: task.tplId, sms_sign: task.smsSign,
      created_at: task.createdAt, sms_tpl_id: task.smsTplId, channel_number: task.channelNumber,
      sms_app_name: task.smsAppName, aim_code_type: task.aimCodeType, resolve_times: task.resolveTimes,
      expiration_time: task.expirationTime, generation_type: task.generationType, domain: task.domain,
      submission_count: task.submissionCount, task_state: task.taskState ?? 'Success',
    }).execute();
  }

  /** Adds imported tasks the account does not have yet; existing ones stay as they are. */
  async upsertImported(accountId: number, tasks: TaskRecord[]): Promise<void> {
    for (const part of chunks(tasks, 6, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('send_tasks')
        .values(part.map((t) => ({
          account_id: accountId, task_id: t.taskId, task_name: t.taskName, tpl_id: t.tplId,
          sms_sign: t.smsSign, created_at: t.createdAt,
        })))
        .onConflict((oc) => oc.columns(['account_id', 'task_id']).doNothing())
        .execute();
    }
  }

  /** Newest first (created_at desc, task_id asc), with counters from the tasks' details. */
  async list(accountId: number, filter: SendTaskFilter, offset: number, limit: number): Promise<{ rows: SendTaskSummary[]; total: number }> {
    return inSnapshot(this.ctx, async ({ db }) => {
      let q = db.selectFrom('send_tasks').where('account_id', '=', accountId)
        .where('created_at', '>=', filter.createdFrom).where('created_at', '<=', filter.createdTo);
      if (filter.taskId !== undefined) q = q.where('task_id', '=', filter.taskId);
      if (filter.taskName !== undefined) q = q.where('task_name', '=', filter.taskName);
      if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
      if (filter.taskState !== undefined) q = q.where('task_state', '=', filter.taskState);
      if (filter.tplName !== undefined) {
        const name = filter.tplName;
        q = q.where('tpl_id', 'in', (eb) => eb.selectFrom('templates').select('tpl_id')
          .where('account_id', '=', accountId).where('tpl_name', '=', name));
      }
      const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const total = Number(n);
      if (limit === 0 || offset >= total) return { rows: [], total };
      const tasks = await q.select([
        'task_id', 'task_name', 'tpl_id', 'sms_sign', 'sms_tpl_id', 'channel_number', 'sms_app_name', 'task_state',
        'created_at', 'submission_count',
      ]).orderBy('created_at', 'desc').orderBy('task_id', 'asc').limit(limit).offset(offset).execute();
      const counts = tasks.length === 0 ? [] : await db.selectFrom('send_details')
        .select(['task_id', 'send_status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('account_id', '=', accountId).where('task_id', 'in', tasks.map((t) => t.task_id))
        .groupBy(['task_id', 'send_status']).execute();
      const byTask = new Map<string, SendTaskSummary['details']>();
      for (const c of counts) {
        const entry = byTask.get(c.task_id as string) ?? NO_DETAILS();
        const name = SEND_STATUSES[c.send_status];
        if (name) entry[name] += Number(c.n);
        entry.total += Number(c.n);
        byTask.set(c.task_id as string, entry);
      }
      const resolved = await db.selectFrom('links').select(['task_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('account_id', '=', accountId).where('task_id', 'in', tasks.map((t) => t.task_id)).where('resolved_times', '>', 0)
        .groupBy('task_id').execute();
      const resolvedOf = new Map(resolved.map((r) => [r.task_id, Number(r.n)]));
      return {
        total,
        rows: tasks.map((t) => {
          const details = byTask.get(t.task_id) ?? NO_DETAILS();
          return {
            taskId: t.task_id, taskName: t.task_name, tplId: t.tpl_id, smsSign: t.sms_sign, smsTplId: t.sms_tpl_id,
            channelNumber: t.channel_number, smsAppName: t.sms_app_name, taskState: t.task_state, createdAt: t.created_at,
            submissionCount: t.submission_count ?? details.total, details, resolveCount: resolvedOf.get(t.task_id) ?? 0,
          };
        }),
      };
    });
  }
}
