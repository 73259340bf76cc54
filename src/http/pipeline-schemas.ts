import { Type, type Static } from 'typebox';
import { MAX_REPORTS_PER_REQUEST } from '../domain/delivery-report.js';
import { MAX_RECIPIENTS } from '../domain/send-task.js';
import { PageInfo } from './schemas.js';

const Str = (description: string, extra: Record<string, unknown> = {}) => Type.String({ description, ...extra });
const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

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

export const SendReportsBody = Type.Object({
  report_type: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2')], { description: '1 daily (default), 2 monthly.' })),
  tpl_id: Type.Optional(Type.String({ maxLength: 9 })),
  tpl_name: Type.Optional(Type.String({ maxLength: 100 })),
  begin_time: Type.Optional(Type.String({ maxLength: 30, description: 'With end_time; whole UTC days; default the last 30 days (12 months when monthly).' })),
  end_time: Type.Optional(Type.String({ maxLength: 30 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
}, { $id: 'ListAimSendReportsRequestBody', title: 'ListAimSendReportsRequestBody' });

const SendReport = Type.Object({
  report_time: Type.String({ examples: ['2026-06-15', '2026-06'] }),
  tpl_id: Type.String(),
  tpl_name: Nullable(Type.String()),
  submission_count: Type.Integer(),
  support_resolve_count: Type.Integer(),
  send_count: Type.Integer(),
  send_success_count: Type.Integer(),
  send_fail_count: Type.Integer({ description: 'Extension: messages that failed.' }),
  resolve_success_count: Type.Integer(),
});

export const SendReportsResponse = Type.Object({
  status: Type.String({ examples: ['200'] }),
  message: Type.String({ examples: ['success'] }),
  data: Type.Object({ data_list: Type.Array(SendReport), page_info: PageInfo }),
});
export type SendReportsResponseBody = Static<typeof SendReportsResponse>;

export const TemplatesQuerystring = Type.Object({
  tpl_id: Type.Optional(Type.String({ maxLength: 36 })),
  tpl_name: Type.Optional(Type.String({ maxLength: 100 })),
  tpl_type: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')], { description: 'Every template here is private.' })),
  factory_type: Type.Optional(Type.Array(Type.String(), { maxItems: 5, description: 'HUAWEI, XIAOMI, OPPO, MEIZU, VIVO; accepted, no effect.' })),
  has_param: Type.Optional(Type.Boolean({ description: 'Templates here carry no variables: true matches none.' })),
  begin_time: Type.Optional(Type.String({ maxLength: 30, description: 'Creation time, with end_time.' })),
  end_time: Type.Optional(Type.String({ maxLength: 30 })),
  is_only_status: Type.Optional(Type.Boolean()),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

const TemplateItem = Type.Object({
  tpl_id: Type.String(),
  tpl_name: Type.String(),
  tpl_state: Type.Integer({ description: '1 enabled, 0 disabled.' }),
  audit_state: Type.Integer({ description: '2: approved.' }),
  audit_desc: Type.Null(),
  description: Nullable(Type.String()),
  tpl_type: Type.String(),
  creation_time: Type.String(),
  update_time: Type.Null(),
});

export const TemplatesResponse = Type.Object({ templates: Type.Array(TemplateItem), page_info: PageInfo });
export type TemplatesResponseBody = Static<typeof TemplatesResponse>;

export const DeliveryReportsBody = Type.Object({
  reports: Type.Array(Type.Object({
    msg_id: Type.String({ maxLength: 64 }),
    status: Type.String({ maxLength: 32, description: 'The carrier\'s word: DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ACCEPTD, ENROUTE, or a code such as MK:0001.' }),
    result_code: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    receive_time: Type.String({ maxLength: 30, examples: ['2026-06-15T12:00:11Z'] }),
    report_id: Type.Optional(Type.String({ maxLength: 64, description: 'The gateway\'s id for the report; the idempotency key when given.' })),
  }), { minItems: 1, maxItems: MAX_REPORTS_PER_REQUEST }),
}, { $id: 'DeliveryReportsBody', title: 'DeliveryReportsBody' });

export const DeliveryReportsResponse = Type.Object({
  results: Type.Array(Type.Object({
    msg_id: Nullable(Type.String()),
    outcome: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('parked'), Type.Literal('rejected')]),
    reason: Type.Optional(Type.String()),
  })),
  applied: Type.Integer(),
  duplicate: Type.Integer(),
  parked: Type.Integer(),
  rejected: Type.Integer(),
});
export type DeliveryReportsResponseBody = Static<typeof DeliveryReportsResponse>;

export const CallbackBody = Type.Object({
  callback_url: Type.String({ minLength: 1, maxLength: 1000, description: 'http:// or https:// URL.' }),
  url_type: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { description: '0 single receipts (default), 1 template status, 2 batch receipts.' })),
}, { $id: 'AddCallBackRequestBody', title: 'AddCallBackRequestBody' });

const Callback = Type.Object({ callback_url: Type.String(), id: Type.String(), url_type: Type.Integer() });

export const CallbackAdded = Type.Object({
  status: Type.String({ examples: ['200'] }),
  message: Type.String({ examples: ['success'] }),
  data: Type.Object({ ...Callback.properties, replaced: Type.Boolean({ description: 'Extension: true when this replaced the URL the url_type had.' }) }),
});

export const CallbackList = Type.Object({ status: Type.String(), message: Type.String(), data: Type.Array(Callback) });
