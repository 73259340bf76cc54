import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ErrorCodes } from '../../domain/errors.js';
import { LIMITS } from '../../domain/send-detail.js';
import { MAX_RECIPIENTS, SEND_TASK_PATTERNS, sendTaskRequest, sendTasksQuery } from '../../domain/send-task.js';
import { aimUrl } from '../../domain/link.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, PageInfo, RequiredText, Text } from '../schemas.js';
import { errorResponses } from './common.js';

const inputEmpty = { required: ErrorCodes.inputEmpty };

const SmsChannel = Type.Object({
  sms_sign: RequiredText(LIMITS.smsSign, {
    description: 'SMS signature (1–18 characters), registered for the account.',
    'x-codes': { required: ErrorCodes.signatureEmpty, length: ErrorCodes.signatureLength },
  }),
  sms_tpl_id: Type.Union([
    RequiredText(32, { pattern: SEND_TASK_PATTERNS.smsTemplateId }),
    Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  ], {
    description: 'SMS template id; a JSON number is accepted as the official examples send it.',
    'x-codes': inputEmpty, 'x-rule': 'an SMS template id: letters, digits, _ or -',
  }),
  channel_number: RequiredText(21, { description: 'SMS channel number; must match the signature\'s when it has one.', 'x-codes': inputEmpty }),
  sms_app_name: RequiredText(64, { description: 'SMS application name; must match the signature\'s when it has one.', 'x-codes': inputEmpty }),
}, { 'x-codes': inputEmpty });

const RecipientParam = Type.Object({
  cust_flag: RequiredText(LIMITS.custFlag, {
    pattern: SEND_TASK_PATTERNS.phone, description: 'The recipient\'s phone number: 5 to 15 digits, optional leading +.',
    'x-codes': inputEmpty, 'x-rule': 'the recipient\'s phone number (5 to 15 digits, optional leading +)',
  }),
  dync_params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), {
    description: 'Template dynamic parameters.', 'x-rule': 'an object mapping names (≤ 64 characters) to strings (≤ 512 characters)',
  })),
  custom_url: Type.Optional(Text(2048, {
    pattern: SEND_TASK_PATTERNS.url, description: 'http(s) address the short link opens instead of the card.', 'x-rule': 'an http:// or https:// address',
  })),
  custom_short_code: Type.Optional(Text(10, {
    minLength: 3, pattern: SEND_TASK_PATTERNS.shortCode, description: '3–10 letters or digits; required when generation_type is 2.',
    'x-rule': '3 to 10 letters or digits',
  })),
  sms_params: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 20 }), {
    maxItems: 19, description: 'SMS template variables in order, except the short link.', 'x-rule': 'an array of at most 19 strings of 1 to 20 characters',
  })),
});

/** CreateAimSendTask's body: its fields in the order they are checked, with KooMessage's codes (`x-codes`). */
export const SendTaskBody = Type.Object({
  task_name: RequiredText(LIMITS.taskName, { description: 'Task name; not blank.', 'x-codes': inputEmpty }),
  sms_channel: SmsChannel,
  resolve_task: Type.Object({
    tpl_id: RequiredText(LIMITS.tplId, {
      pattern: SEND_TASK_PATTERNS.templateId, description: '9-digit AIM template id of the account.',
      'x-codes': { required: ErrorCodes.templateIdEmpty, value: ErrorCodes.templateNotFound }, 'x-rule': 'the 9-digit AIM template id',
    }),
    resolve_times: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Personalised links resolve once.', 'x-codes': inputEmpty }),
    aim_code_type: Type.Literal('individual', {
      'x-codes': { default: ErrorCodes.invalidAimCodeType }, 'x-rule': '"individual" for send tasks',
    }),
    generation_type: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')], {
      description: '1 standard (default), 2 custom short code.', 'x-rule': '"1" (standard) or "2" (custom short code)',
    })),
    domain: Type.Optional(Text(100, {
      pattern: SEND_TASK_PATTERNS.domain, description: 'Short-link domain; required when generation_type is 2.', 'x-rule': 'a host name such as km2n.cn',
    })),
    expiration_time: Type.Integer({ minimum: 1, maximum: 7, description: 'Days the link stays valid.', 'x-codes': inputEmpty }),
    params: Type.Array(RecipientParam, {
      minItems: 1, maxItems: MAX_RECIPIENTS, description: `1 to ${MAX_RECIPIENTS} recipients.`,
      'x-codes': { required: ErrorCodes.phoneListEmpty, count: ErrorCodes.tooManyShortLinks },
    }),
  }, {
    'x-codes': inputEmpty,
    // Custom short codes need a domain, and a code for every recipient.
    if: { properties: { generation_type: { const: '2' } }, required: ['generation_type'] },
    then: {
      required: ['domain'], 'x-rule': 'when generation_type is 2',
      properties: { params: { items: { required: ['custom_short_code'], 'x-rule': 'when generation_type is 2' } } },
    },
  }),
}, { $id: 'CreateAimSendTaskRequestBody', title: 'CreateAimSendTaskRequestBody', 'x-codes': inputEmpty });

const ParamEcho = Type.Object({
  cust_flag: Type.String(),
  msg_id: Type.String({ description: 'Extension: the msg_id of this recipient\'s message, as send-details and receipts show it.' }),
  aim_code: Type.String({ description: 'Extension: the code of this recipient\'s link.' }),
  aim_url: Type.String({ description: 'Extension: this recipient\'s link, <domain>/<aim_code>, as the SMS carries it.' }),
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
  task_state: Type.String({ description: 'Submission state only: Success, or Failed when no recipient\'s link could be made; delivery comes from send-details or receipts.' }),
  creation_time: Type.String({ examples: ['2026-06-15T12:00:00.522Z'] }),
  submission_count: Type.Integer(),
  send_count: Type.Integer(),
  resolve_count: Type.Integer(),
  support_resolve_count: Type.Integer({ description: '-1: API-sent tasks get no resolve-capability check.' }),
  failed_short_chains: Type.Array(Type.Object({
    cust_flag: Type.String(),
    dync_params: Type.Optional(Type.Record(Type.String(), Type.String())),
    custom_url: Type.Optional(Type.String()),
    custom_short_code: Type.Optional(Type.String()),
    result_code: Type.String({ description: 'Not "0": the link could not be made.' }),
    error_message: Type.String({ description: 'Why, e.g. the custom short code is taken in the domain.' }),
  }, { description: 'Recipients whose link could not be made (a custom short code given twice or taken in the domain): they get no SMS and no detail.' })),
}, { $id: 'CreateAIMSendTaskRsp', title: 'CreateAIMSendTaskRsp' });

export type SendTaskCreatedBody = Static<typeof SendTaskCreated>;

export const SendTasksQuerystring = Type.Object({
  task_id: Type.Optional(Text(64)),
  task_name: Type.Optional(Text(LIMITS.taskName, { description: 'Exact match.' })),
  tpl_id: Type.Optional(Text(LIMITS.tplId)),
  tpl_name: Type.Optional(Text(100, { description: 'Exact match.' })),
  begin_time: Type.Optional(ContractTime('Task creation time, UTC; with end_time; default the last 7 days; at most a year back.')),
  end_time: Type.Optional(ContractTime('Task creation time, UTC; with begin_time.')),
  task_status: Type.Optional(Type.Union([Type.Literal('Success'), Type.Literal('Fail'), Type.Literal('Failed')], { 'x-rule': 'Success or Fail' })),
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
export async function sendTaskRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/send-tasks', {
    schema: {
      operationId: 'CreateAimSendTask',
      summary: 'Send AIM messages (up to 100 recipients)',
      description: 'One transaction stores the task, one `sending` detail per recipient and their dispatch. 200 means accepted: delivery shows in send-details and receipts. Role te_user or te_admin.',
      tags: ['send tasks'],
      body: SendTaskBody,
      response: { 200: SendTaskCreated, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'send-tasks:create'),
  }, async (request) => {
    const req = sendTaskRequest(request.body);
    const { task, details, links, failures } = await deps.sendTasks.create(principalOf(request), req);
    const r = req.resolveTask;
    const optional = (p: (typeof r.params)[number]) => ({
      ...(p.dyncParams ? { dync_params: p.dyncParams } : {}),
      ...(p.customUrl !== null ? { custom_url: p.customUrl } : {}),
      ...(p.customShortCode !== null ? { custom_short_code: p.customShortCode } : {}),
    });
    return {
      task_name: task.taskName,
      sms_channel: {
        channel_number: task.channelNumber, sms_tpl_id: task.smsTplId, sms_sign: task.smsSign, sms_app_name: task.smsAppName,
      },
      resolve_task: {
        tpl_id: r.tplId, resolve_times: r.resolveTimes, aim_code_type: r.aimCodeType, generation_type: r.generationType,
        ...(r.domain !== null ? { domain: r.domain } : {}),
        expiration_time: r.expirationTime,
        params: r.params.flatMap((p, i) => {
          const link = links[i];
          const detail = details[i];
          if (!link || !detail) return [];
          return [{
            cust_flag: p.custFlag, msg_id: detail.msgId, aim_code: link.aimCode, aim_url: aimUrl(link.domain, link.aimCode),
            ...optional(p), ...(p.smsParams ? { sms_params: p.smsParams } : {}),
          }];
        }),
      },
      task_id: task.taskId,
      task_state: task.taskState ?? 'Success',
      creation_time: formatIsoMillis(task.createdAt),
      submission_count: task.submissionCount,
      send_count: task.submissionCount - failures.length,
      resolve_count: 0,
      support_resolve_count: -1,
      failed_short_chains: failures.map((f) => {
        const p = r.params[f.index] as (typeof r.params)[number];
        return { cust_flag: p.custFlag, ...optional(p), result_code: ErrorCodes.invalidParameter, error_message: f.reason };
      }),
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
    preValidation: requireOperation(deps.authenticator, 'send-tasks:list'),
  }, async (request) => {
    const q = request.query;
    const query = sendTasksQuery({
      taskId: q.task_id, taskName: q.task_name, tplId: q.tpl_id, tplName: q.tpl_name, beginTime: q.begin_time, endTime: q.end_time,
      taskStatus: q.task_status, offset: q.offset, limit: q.limit,
    }, deps.clock());
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
        resolve_count: t.resolveCount,
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
