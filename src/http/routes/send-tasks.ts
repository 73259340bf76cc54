import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { RawQuery } from '../../domain/query-params.js';
import { MAX_RECIPIENTS, parseSendTaskBody, parseSendTasksQuery, type SendTaskRequest, type SendTasksQuery } from '../../domain/send-task.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { Nullable, PageInfo, Str } from '../schemas.js';
import { errorResponses, validateWith } from './common.js';

const SmsChannel = Type.Object({
  channel_number: Str('SMS channel number; must match the signature\'s when it has one.', { maxLength: 21 }),
  sms_tpl_id: Type.Union([Type.String({ maxLength: 32 }), Type.Integer({ minimum: 0 })], { description: 'SMS template id; a JSON number is accepted as the official examples send it.' }),
  sms_sign: Str('SMS signature (1–18 characters), registered for the account.', { maxLength: 18 }),
  sms_app_name: Str('SMS application name; must match the signature\'s when it has one.', { maxLength: 64 }),
});

const RecipientParam = Type.Object({
  cust_flag: Str('The recipient\'s phone number: 5 to 15 digits, optional leading +.', { maxLength: 64 }),
  dync_params: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Template dynamic parameters.' })),
  custom_url: Type.Optional(Str('http(s) address the short link opens instead of the card.', { maxLength: 2048 })),
  custom_short_code: Type.Optional(Str('3–10 letters or digits; required when generation_type is 2.', { minLength: 3, maxLength: 10 })),
  sms_params: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 20 }), { maxItems: 19, description: 'SMS template variables in order, except the short link.' })),
});

/** CreateAimSendTask's body (documents the rules; the domain parser enforces them with KooMessage's codes). */
export const SendTaskBody = Type.Object({
  task_name: Str('Task name; not blank.', { maxLength: 255 }),
  sms_channel: SmsChannel,
  resolve_task: Type.Object({
    tpl_id: Str('9-digit AIM template id of the account.', { maxLength: 9 }),
    resolve_times: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Personalised links resolve once.' }),
    aim_code_type: Type.Literal('individual'),
    generation_type: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')], { description: '1 standard (default), 2 custom short code.' })),
    domain: Type.Optional(Str('Short-link domain; required when generation_type is 2.', { maxLength: 100 })),
    expiration_time: Type.Integer({ minimum: 1, maximum: 7, description: 'Days the link stays valid.' }),
    params: Type.Array(RecipientParam, { minItems: 1, maxItems: MAX_RECIPIENTS, description: `1 to ${MAX_RECIPIENTS} recipients.` }),
  }),
}, { $id: 'CreateAimSendTaskRequestBody', title: 'CreateAimSendTaskRequestBody' });

const ParamEcho = Type.Object({
  cust_flag: Type.String(),
  msg_id: Type.String({ description: 'Extension: the msg_id of this recipient\'s message, as send-details and receipts show it.' }),
  dync_params: Type.Optional(Type.Record(Type.String(), Type.String())),
  custom_url: Type.Optional(Type.String()),
  custom_short_code: Type.Optional(Type.String()),
  sms_params: Type.Optional(Type.Array(Type.String())),
});

export const SendTaskCreated = Type.Object({
  task_name: Type.String(),
  sms_channel: Type.Object({ channel_number: Type.String(), sms_tpl_id: Type.String(), sms_sign: Type.String(), sms_app_name: Type.String() }),
  resolve_task: Type.Object({
    tpl_id: Type.String(),
    resolve_times: Type.Integer(),
    aim_code_type: Type.String(),
    generation_type: Type.String(),
    domain: Type.Optional(Type.String()),
    expiration_time: Type.Integer(),
    params: Type.Array(ParamEcho),
  }),
  task_id: Type.String(),
  task_state: Type.String({ description: 'Submission state only (Success); delivery comes from send-details or receipts.' }),
  creation_time: Type.String({ examples: ['2026-06-15T12:00:00.522Z'] }),
  submission_count: Type.Integer(),
  send_count: Type.Integer(),
  resolve_count: Type.Integer(),
  support_resolve_count: Type.Integer({ description: '-1: API-sent tasks get no resolve-capability check.' }),
  failed_short_chains: Type.Array(Type.Unknown()),
}, { $id: 'CreateAIMSendTaskRsp', title: 'CreateAIMSendTaskRsp' });

export type SendTaskCreatedBody = Static<typeof SendTaskCreated>;

export const SendTasksQuerystring = Type.Object({
  task_id: Type.Optional(Type.String({ maxLength: 64 })),
  task_name: Type.Optional(Type.String({ maxLength: 255, description: 'Exact match.' })),
  tpl_id: Type.Optional(Type.String({ maxLength: 9 })),
  tpl_name: Type.Optional(Type.String({ maxLength: 100, description: 'Exact match.' })),
  begin_time: Type.Optional(Type.String({ maxLength: 30, description: 'Task creation time, UTC; with end_time; default the last 7 days; at most a year back.' })),
  end_time: Type.Optional(Type.String({ maxLength: 30 })),
  task_status: Type.Optional(Type.Union([Type.Literal('Success'), Type.Literal('Fail')])),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const SendTaskItem = Type.Object({
  task_name: Type.String(),
  sms_channel: Type.Object({
    channel_number: Nullable(Type.String()), sms_tpl_id: Nullable(Type.String()), sms_sign: Nullable(Type.String()), sms_app_name: Nullable(Type.String()),
  }),
  resolve_task: Type.Object({ tpl_id: Nullable(Type.String()) }),
  task_id: Type.String(),
  task_state: Type.String(),
  creation_time: Type.String(),
  submission_count: Type.Integer(),
  send_count: Type.Integer({ description: 'Messages handed to sending (one per recipient).' }),
  resolve_count: Type.Integer(),
  support_resolve_count: Type.Integer(),
  failed_short_chains: Type.Null(),
  success_number: Type.Integer({ description: 'Messages delivered.' }),
  fail_number: Type.Integer({ description: 'Extension: messages that failed.' }),
  sending_number: Type.Integer({ description: 'Extension: messages still sending.' }),
}, { $id: 'AIMSendTasksMode', title: 'AIMSendTasksMode' });

export const SendTasksResponse = Type.Object({ aim_send_tasks: Type.Array(SendTaskItem), page_info: PageInfo });

export type SendTasksResponseBody = Static<typeof SendTasksResponse>;

/** CreateAimSendTask and ListAimSendTasks. */
export async function sendTaskRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.post('/v1/aim/send-tasks', {
    schema: {
      operationId: 'CreateAimSendTask',
      summary: 'Send AIM messages (up to 100 recipients)',
      description: 'One transaction stores the task, one `sending` detail per recipient and their dispatch. 200 means accepted: delivery shows in send-details and receipts. Role te_user or te_admin.',
      tags: ['send tasks'],
      body: SendTaskBody,
      response: { 200: SendTaskCreated, ...errorResponses },
    },
    validatorCompiler: validateWith('body', parseSendTaskBody),
    preValidation: requireOperation(deps.authenticator, 'send-tasks:create'),
  }, async (request) => {
    const req = request.body as SendTaskRequest;
    const { task, details } = await deps.sendTasks.create(principalOf(request), req);
    const r = req.resolveTask;
    return {
      task_name: task.taskName,
      sms_channel: {
        channel_number: task.channelNumber, sms_tpl_id: task.smsTplId, sms_sign: task.smsSign, sms_app_name: task.smsAppName,
      },
      resolve_task: {
        tpl_id: r.tplId, resolve_times: r.resolveTimes, aim_code_type: r.aimCodeType, generation_type: r.generationType,
        ...(r.domain !== null ? { domain: r.domain } : {}),
        expiration_time: r.expirationTime,
        params: r.params.map((p, i) => ({
          cust_flag: p.custFlag,
          msg_id: details[i]?.msgId as string,
          ...(p.dyncParams ? { dync_params: p.dyncParams } : {}),
          ...(p.customUrl !== null ? { custom_url: p.customUrl } : {}),
          ...(p.customShortCode !== null ? { custom_short_code: p.customShortCode } : {}),
          ...(p.smsParams ? { sms_params: p.smsParams } : {}),
        })),
      },
      task_id: task.taskId,
      task_state: 'Success',
      creation_time: formatIsoMillis(task.createdAt),
      submission_count: task.submissionCount,
      send_count: details.length,
      resolve_count: 0,
      support_resolve_count: -1,
      failed_short_chains: [],
    } satisfies SendTaskCreatedBody;
  });

  app.get('/v1/aim/send-tasks', {
    schema: {
      operationId: 'ListAimSendTasks',
      summary: 'Query send tasks with their counters',
      description: 'Newest first. Counters are counted from the tasks\' send details in the same snapshot, so they always agree with them.',
      tags: ['send tasks'],
      querystring: SendTasksQuerystring,
      response: { 200: SendTasksResponse, ...errorResponses },
    },
    validatorCompiler: validateWith('querystring', (data) => parseSendTasksQuery((data ?? {}) as RawQuery, deps.clock())),
    preValidation: requireOperation(deps.authenticator, 'send-tasks:list'),
  }, async (request) => {
    const query = request.query as SendTasksQuery;
    const page = await deps.sendTasks.list(principalOf(request), query);
    return {
      aim_send_tasks: page.rows.map((t) => ({
        task_name: t.taskName,
        sms_channel: { channel_number: t.channelNumber, sms_tpl_id: t.smsTplId, sms_sign: t.smsSign, sms_app_name: t.smsAppName },
        resolve_task: { tpl_id: t.tplId },
        task_id: t.taskId,
        task_state: t.taskState,
        creation_time: formatIsoMillis(t.createdAt),
        submission_count: t.submissionCount,
        send_count: t.details.total,
        resolve_count: 0,
        support_resolve_count: -1,
        failed_short_chains: null,
        success_number: t.details.success,
        fail_number: t.details.fail,
        sending_number: t.details.sending,
      })),
      page_info: { offset: query.offset, limit: query.limit, total: page.total },
    } satisfies SendTasksResponseBody;
  });
}
