import { optionalTime, pairedRange } from './query-params.js';

/** Most recipients one `POST /v1/aim/send-tasks` may carry (KooMessage's limit). */
export const MAX_RECIPIENTS = 100;

/** One recipient of a send task. */
export interface Recipient {
  /** The phone number; KooMessage requires cust_flag to be it for sends. */
  custFlag: string;
  dyncParams: Record<string, string> | null;
  customUrl: string | null;
  customShortCode: string | null;
  smsParams: string[] | null;
}

/** A validated CreateAimSendTask body. */
export interface SendTaskRequest {
  taskName: string;
  smsChannel: { channelNumber: string; smsTplId: string; smsSign: string; smsAppName: string };
  resolveTask: {
    tplId: string;
    resolveTimes: number;
    aimCodeType: 'individual';
    generationType: '1' | '2';
    domain: string | null;
    expirationTime: number;
    params: Recipient[];
  };
}

/** The forms of a CreateAimSendTask body's fields (JSON Schema patterns; the HTTP layer checks them). */
export const SEND_TASK_PATTERNS = {
  /** Phone numbers as carriers take them: digits, an optional leading +, 5 to 15 digits (E.164). */
  phone: '^\\+?[0-9]{5,15}$',
  domain: '^[a-zA-Z0-9][-a-zA-Z0-9]{0,62}(\\.[a-zA-Z0-9][-a-zA-Z0-9]{0,62})+\\.?$',
  url: '^https?://([\\w-]+\\.)+[\\w-]+(/[\\w\\-./?%&=]*)?$',
  shortCode: '^[A-Za-z0-9]{3,10}$',
  templateId: '^[0-9]{9}$',
  smsTemplateId: '^[A-Za-z0-9_-]+$',
} as const;

/** A CreateAimSendTask body whose fields the HTTP layer validated. */
export interface SendTaskInput {
  task_name: string;
  sms_channel: { sms_sign: string; sms_tpl_id: string | number; channel_number: string; sms_app_name: string };
  resolve_task: {
    tpl_id: string;
    resolve_times: number;
    aim_code_type: 'individual';
    generation_type?: '1' | '2' | undefined;
    domain?: string | undefined;
    expiration_time: number;
    params: Array<{
      cust_flag: string;
      dync_params?: Record<string, string> | undefined;
      custom_url?: string | undefined;
      custom_short_code?: string | undefined;
      sms_params?: string[] | undefined;
    }>;
  };
}

/**
 * The send task a validated body asks for. Both official examples send the SMS template id as a
 * JSON number; it is kept as text. With custom short codes (generation_type 2) a recipient's
 * custom_url is not used.
 */
export function sendTaskRequest(body: SendTaskInput): SendTaskRequest {
  const c = body.sms_channel;
  const r = body.resolve_task;
  const generationType = r.generation_type ?? '1';
  return {
    taskName: body.task_name,
    smsChannel: { channelNumber: c.channel_number, smsTplId: String(c.sms_tpl_id), smsSign: c.sms_sign, smsAppName: c.sms_app_name },
    resolveTask: {
      tplId: r.tpl_id, resolveTimes: r.resolve_times, aimCodeType: 'individual', generationType, domain: r.domain ?? null,
      expirationTime: r.expiration_time,
      params: r.params.map((p) => ({
        custFlag: p.cust_flag,
        dyncParams: p.dync_params ?? null,
        customUrl: generationType === '2' ? null : p.custom_url ?? null,
        customShortCode: p.custom_short_code ?? null,
        smsParams: p.sms_params ?? null,
      })),
    },
  };
}

/** A validated `GET /v1/aim/send-tasks` query. */
export interface SendTasksQuery {
  taskId?: string;
  taskName?: string;
  tplId?: string;
  tplName?: string;
  /** 'Success' or 'Failed' (the filter also accepts KooMessage's spelling `Fail`). */
  taskState?: 'Success' | 'Failed';
  createdFrom: number;
  createdTo: number;
  offset: number;
  limit: number;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * ListAimSendTasks' query, its fields already validated: creation-time range both bounds or
 * neither (default the last 7 days; at most a year back); task_status Success, or Fail (KooMessage's
 * spelling) or Failed; offset default 0, limit default 20.
 */
export function sendTasksQuery(input: {
  taskId?: string; taskName?: string; tplId?: string; tplName?: string; beginTime?: string; endTime?: string;
  taskStatus?: 'Success' | 'Fail' | 'Failed'; offset?: number; limit?: number;
}, now: Date): SendTasksQuery {
  const range = pairedRange(optionalTime(input.beginTime, 'begin_time'), optionalTime(input.endTime, 'end_time'), now, 'send tasks');
  const query: SendTasksQuery = {
    createdFrom: range?.from ?? now.getTime() - WEEK_MS,
    createdTo: range?.to ?? now.getTime(),
    offset: input.offset ?? 0,
    limit: input.limit ?? 20,
  };
  if (input.taskId !== undefined) query.taskId = input.taskId;
  if (input.taskName !== undefined) query.taskName = input.taskName;
  if (input.tplId !== undefined) query.tplId = input.tplId;
  if (input.tplName !== undefined) query.tplName = input.tplName;
  if (input.taskStatus !== undefined) query.taskState = input.taskStatus === 'Success' ? 'Success' : 'Failed';
  return query;
}

/** A send task created through the API, as stored in the same transaction as its details. */
export interface NewSendTask {
  taskId: string;
  taskName: string;
  tplId: string;
  smsSign: string;
  createdAt: number;
  smsTplId: string;
  channelNumber: string;
  smsAppName: string;
  aimCodeType: string;
  resolveTimes: number;
  expirationTime: number;
  generationType: string;
  domain: string | null;
  submissionCount: number;
  /** Success, or Failed when no recipient's link could be made. */
  taskState?: 'Success' | 'Failed';
}

export interface SendTaskFilter {
  taskId?: string;
  taskName?: string;
  tplId?: string;
  tplName?: string;
  /** 'Success' or 'Failed'. */
  taskState?: string;
  /** Inclusive creation-time bounds. */
  createdFrom: number;
  createdTo: number;
}

/** A task with its counters, counted from its details in the same snapshot. */
export interface SendTaskSummary {
  taskId: string;
  taskName: string;
  tplId: string | null;
  smsSign: string | null;
  smsTplId: string | null;
  channelNumber: string | null;
  smsAppName: string | null;
  taskState: string;
  createdAt: number;
  /** Recipients submitted (details for imported tasks). */
  submissionCount: number;
  details: { total: number; sending: number; success: number; fail: number };
  /** Links of the task that were resolved. */
  resolveCount: number;
}

export interface TaskRecord {
  taskId: string;
  taskName: string;
  tplId: string | null;
  smsSign: string | null;
  createdAt: number;
}
