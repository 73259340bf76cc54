import { ErrorCodes, InvalidParameter } from './errors.js';
import { integerParam, pairedRange, textParam, type RawQuery } from './query-params.js';
import { LIMITS } from './send-detail.js';

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

/** Phone numbers as carriers take them: digits, an optional leading +, 5 to 15 digits (E.164). */
const PHONE = /^\+?[0-9]{5,15}$/;
const DOMAIN = /^[a-zA-Z0-9][-a-zA-Z0-9]{0,62}(\.[a-zA-Z0-9][-a-zA-Z0-9]{0,62})+\.?$/;
const URL = /^https?:\/\/([\w-]+\.)+[\w-]+(\/[\w\-./?%&=]*)?$/;
const SHORT_CODE = /^[A-Za-z0-9]{3,10}$/;
const TEMPLATE_ID = /^[0-9]{9}$/;

function fail(message: string, code: string = ErrorCodes.invalidParameter): never {
  throw new InvalidParameter(message, code);
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined || value === null) fail(`${name} is required`, ErrorCodes.inputEmpty);
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function string(value: unknown, name: string, max: number, code: string = ErrorCodes.inputEmpty): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) fail(`${name} is required and must not be blank`, code);
  if (typeof value !== 'string') fail(`${name} must be a string`);
  if (value.length > max) fail(`${name} must be at most ${max} characters`);
  if (value.includes('\u0000')) fail(`${name} must not contain NUL characters`);
  return value;
}

function optionalString(value: unknown, name: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(`${name} must be a string`);
  if (value.length > max) fail(`${name} must be at most ${max} characters`);
  if (value.includes('\u0000')) fail(`${name} must not contain NUL characters`);
  return value;
}

function integer(value: unknown, name: string, min: number, max: number): number {
  if (value === undefined || value === null) fail(`${name} is required`, ErrorCodes.inputEmpty);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

function recipient(value: unknown, i: number, generationType: '1' | '2'): Recipient {
  const name = `resolve_task.params[${i}]`;
  const p = object(value, name);
  const custFlag = string(p.cust_flag, `${name}.cust_flag`, LIMITS.custFlag);
  if (!PHONE.test(custFlag)) fail(`${name}.cust_flag must be the recipient's phone number (5 to 15 digits, optional leading +)`);
  let dyncParams: Record<string, string> | null = null;
  if (p.dync_params !== undefined && p.dync_params !== null) {
    const d = object(p.dync_params, `${name}.dync_params`);
    dyncParams = {};
    for (const [k, v] of Object.entries(d)) {
      if (typeof v !== 'string' || k.length > 64 || v.length > 512) fail(`${name}.dync_params must map names (≤ 64 characters) to strings (≤ 512 characters)`);
      dyncParams[k] = v;
    }
  }
  const customUrl = optionalString(p.custom_url, `${name}.custom_url`, 2048);
  if (customUrl !== null && !URL.test(customUrl)) fail(`${name}.custom_url must be an http:// or https:// address`);
  const customShortCode = optionalString(p.custom_short_code, `${name}.custom_short_code`, 10);
  if (customShortCode !== null && !SHORT_CODE.test(customShortCode)) fail(`${name}.custom_short_code must be 3 to 10 letters or digits`);
  if (generationType === '2' && customShortCode === null) fail(`${name}.custom_short_code is required when generation_type is 2`);
  let smsParams: string[] | null = null;
  if (p.sms_params !== undefined && p.sms_params !== null) {
    if (!Array.isArray(p.sms_params) || p.sms_params.length > 19) fail(`${name}.sms_params must be an array of at most 19 strings`);
    smsParams = p.sms_params.map((v: unknown, j: number) => {
      if (typeof v !== 'string' || v.length < 1 || v.length > 20) fail(`${name}.sms_params[${j}] must be a string of 1 to 20 characters`);
      return v;
    });
  }
  return { custFlag, dyncParams, customUrl: generationType === '2' ? null : customUrl, customShortCode, smsParams };
}

/**
 * Validates a CreateAimSendTask body with KooMessage's error codes: blank fields KM.90016414, empty
 * signature KM.00001075 (too long KM.00001076), empty template id KM.00001081, no recipients
 * KM.00001083, more than 100 KM.90016416, a code type other than `individual` KM.90016418, any
 * other rule KM.80000002. Whether the template and signature exist is the service's to check.
 */
export function parseSendTaskBody(body: unknown): SendTaskRequest {
  const b = object(body, 'the request body');
  const taskName = string(b.task_name, 'task_name', LIMITS.taskName);

  const c = object(b.sms_channel, 'sms_channel');
  if (c.sms_sign === undefined || c.sms_sign === null || c.sms_sign === '') fail('sms_channel.sms_sign is empty', ErrorCodes.signatureEmpty);
  if (typeof c.sms_sign !== 'string') fail('sms_channel.sms_sign must be a string');
  if (c.sms_sign.length > LIMITS.smsSign) fail(`sms_channel.sms_sign must be 1 to ${LIMITS.smsSign} characters`, ErrorCodes.signatureLength);
  const smsSign = string(c.sms_sign, 'sms_channel.sms_sign', LIMITS.smsSign, ErrorCodes.signatureEmpty);
  // Both official examples send the SMS template id as a JSON number.
  const rawTpl = typeof c.sms_tpl_id === 'number' && Number.isSafeInteger(c.sms_tpl_id) && c.sms_tpl_id >= 0 ? String(c.sms_tpl_id) : c.sms_tpl_id;
  const smsTplId = string(rawTpl, 'sms_channel.sms_tpl_id', 32);
  if (!/^[A-Za-z0-9_-]+$/.test(smsTplId)) fail('sms_channel.sms_tpl_id must be letters, digits, _ or -');
  const channelNumber = string(c.channel_number, 'sms_channel.channel_number', 21);
  const smsAppName = string(c.sms_app_name, 'sms_channel.sms_app_name', 64);

  const r = object(b.resolve_task, 'resolve_task');
  if (r.tpl_id === undefined || r.tpl_id === null || r.tpl_id === '') fail('resolve_task.tpl_id is empty', ErrorCodes.templateIdEmpty);
  const tplId = string(r.tpl_id, 'resolve_task.tpl_id', LIMITS.tplId, ErrorCodes.templateIdEmpty);
  if (!TEMPLATE_ID.test(tplId)) fail('resolve_task.tpl_id must be the 9-digit AIM template id', ErrorCodes.templateNotFound);
  const resolveTimes = integer(r.resolve_times, 'resolve_task.resolve_times', 1, 10_000_000);
  if (r.aim_code_type !== 'individual') fail('resolve_task.aim_code_type must be "individual" for send tasks', ErrorCodes.invalidAimCodeType);
  const generationType = r.generation_type === undefined || r.generation_type === null ? '1' : r.generation_type;
  if (generationType !== '1' && generationType !== '2') fail('resolve_task.generation_type must be "1" (standard) or "2" (custom short code)');
  const domain = optionalString(r.domain, 'resolve_task.domain', 100);
  if (domain !== null && !DOMAIN.test(domain)) fail('resolve_task.domain must be a host name such as km2n.cn');
  if (generationType === '2' && domain === null) fail('resolve_task.domain is required when generation_type is 2');
  const expirationTime = integer(r.expiration_time, 'resolve_task.expiration_time', 1, 7);
  if (r.params === undefined || r.params === null || (Array.isArray(r.params) && r.params.length === 0)) {
    fail('resolve_task.params is empty: give at least one recipient', ErrorCodes.phoneListEmpty);
  }
  if (!Array.isArray(r.params)) fail('resolve_task.params must be an array');
  if (r.params.length > MAX_RECIPIENTS) fail(`resolve_task.params holds ${r.params.length} recipients; at most ${MAX_RECIPIENTS} per request`, ErrorCodes.tooManyShortLinks);
  const params = r.params.map((p: unknown, i: number) => recipient(p, i, generationType));

  return {
    taskName,
    smsChannel: { channelNumber, smsTplId, smsSign, smsAppName },
    resolveTask: { tplId, resolveTimes, aimCodeType: 'individual', generationType, domain, expirationTime, params },
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
 * ListAimSendTasks' query: exact-match filters, creation-time range (both bounds or neither;
 * default the last 7 days; at most a year back), offset 0–1,000,000 (default 0), limit 1–100
 * (default 20).
 */
export function parseSendTasksQuery(raw: RawQuery, now: Date): SendTasksQuery {
  const query: SendTasksQuery = {
    createdFrom: now.getTime() - WEEK_MS,
    createdTo: now.getTime(),
    offset: 0,
    limit: 20,
  };
  const taskId = textParam(raw, 'task_id', 64);
  if (taskId !== undefined) query.taskId = taskId;
  const taskName = textParam(raw, 'task_name', LIMITS.taskName);
  if (taskName !== undefined) query.taskName = taskName;
  const tplId = textParam(raw, 'tpl_id', LIMITS.tplId);
  if (tplId !== undefined) query.tplId = tplId;
  const tplName = textParam(raw, 'tpl_name', 100);
  if (tplName !== undefined) query.tplName = tplName;
  const range = pairedRange(raw, now, 'send tasks');
  if (range) {
    query.createdFrom = range.from;
    query.createdTo = range.to;
  }
  const state = textParam(raw, 'task_status', 16);
  if (state !== undefined) {
    if (state === 'Success') query.taskState = 'Success';
    else if (state === 'Fail' || state === 'Failed') query.taskState = 'Failed';
    else throw new InvalidParameter('task_status must be Success or Fail');
  }
  query.offset = integerParam(raw, 'offset', 0, 1_000_000, 0);
  query.limit = integerParam(raw, 'limit', 1, 100, 20);
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
}

export interface TaskRecord {
  taskId: string;
  taskName: string;
  tplId: string | null;
  smsSign: string | null;
  createdAt: number;
}
