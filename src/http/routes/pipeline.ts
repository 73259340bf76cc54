import type { FastifyInstance } from 'fastify';
import { MAX_REPORTS_PER_REQUEST } from '../../domain/delivery-report.js';
import { InvalidParameter } from '../../domain/errors.js';
import type { RawQuery } from '../../domain/query-params.js';
import { parseTemplatesQuery, type TemplatesQuery } from '../../domain/templates-query.js';
import { parseSendReportsBody, type SendReportsQuery } from '../../domain/send-report.js';
import { parseSendTaskBody, parseSendTasksQuery, type SendTaskRequest, type SendTasksQuery } from '../../domain/send-task.js';
import { parseCallbackBody, type CallbackRequest } from '../../domain/callback.js';
import type { DeliveryReports } from '../../service/delivery-reports.js';
import type { CallbackRecord } from '../../domain/callback.js';
import type { SendTasks } from '../../service/send-tasks.js';
import type { AppDeps } from '../app.js';
import { principalOf, requireOperation } from '../auth.js';
import {
  CallbackAdded, CallbackBody, CallbackList,
  DeliveryReportsBody, DeliveryReportsResponse, SendReportsBody, SendReportsResponse, SendTaskBody, SendTaskCreated,
  SendTasksQuerystring, SendTasksResponse, TemplatesQuerystring, TemplatesResponse, type DeliveryReportsResponseBody,
  type SendReportsResponseBody, type SendTaskCreatedBody, type SendTasksResponseBody, type TemplatesResponseBody,
} from '../pipeline-schemas.js';
import { errorResponses, validateWith } from './common.js';

export interface PipelineRouteDeps extends AppDeps {
  sendTasks: SendTasks;
  deliveryReports: DeliveryReports;
}

/** ISO 8601 with milliseconds, as KooMessage shows creation times. */
function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

function parseReportsEnvelope(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameter('the body must be {"reports": [...]}');
  const { reports } = body as { reports?: unknown };
  if (!Array.isArray(reports) || reports.length === 0 || reports.length > MAX_REPORTS_PER_REQUEST) {
    throw new InvalidParameter(`reports must be an array of 1 to ${MAX_REPORTS_PER_REQUEST} reports`);
  }
  return reports;
}

function callbackBody(c: CallbackRecord) {
  return { callback_url: c.callbackUrl, id: c.id, url_type: c.urlType };
}

/** Send tasks, task lists, send reports, templates, callbacks, and delivery-report ingestion. */
export async function pipelineRoutes(app: FastifyInstance, deps: PipelineRouteDeps): Promise<void> {
  app.post('/v1/aim/callbacks', {
    schema: {
      operationId: 'AddCallBack',
      summary: 'Register the receipt URL for a url_type (role te_admin)',
      description: 'url_type 0: one sms receipt per message; 1: template status; 2: sms receipts in batches of up to 100. One URL per url_type: registering again replaces it (`replaced` says so). Addresses that resolve to private, loopback or link-local ranges are refused unless the deployment sets AIMLEDGER_CALLBACK_ALLOW_PRIVATE=true.',
      tags: ['callbacks'],
      body: CallbackBody,
      response: { 200: CallbackAdded, ...errorResponses },
    },
    validatorCompiler: validateWith('body', parseCallbackBody),
    preValidation: requireOperation(deps.authenticator, 'callbacks:manage'),
  }, async (request) => {
    const { callback, replaced } = await deps.callbacks.register(principalOf(request).account.id, request.body as CallbackRequest);
    return { status: '200', message: 'success', data: { ...callbackBody(callback), replaced } };
  });

  app.get('/v1/aim/callbacks', {
    schema: {
      operationId: 'ListAimCallbacks',
      summary: 'The registered receipt URLs (role te_admin)',
      tags: ['callbacks'],
      response: { 200: CallbackList, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'callbacks:manage'),
  }, async (request) => ({
    status: '200', message: 'success', data: (await deps.callbacks.list(principalOf(request).account.id)).map(callbackBody),
  }));

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
      creation_time: isoMillis(task.createdAt),
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
        creation_time: isoMillis(t.createdAt),
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

  app.post('/v1/aim/send-reports', {
    schema: {
      operationId: 'ListAimSendReports',
      summary: 'Per-template daily or monthly send totals',
      description: 'Counted from the same rows as send-details (by the day each message was sent, UTC), in KooMessage\'s {status, message, data} envelope.',
      tags: ['send tasks'],
      body: SendReportsBody,
      response: { 200: SendReportsResponse, ...errorResponses },
    },
    validatorCompiler: validateWith('body', (data) => parseSendReportsBody(data, deps.clock())),
    preValidation: requireOperation(deps.authenticator, 'send-reports:list'),
  }, async (request) => {
    const query = request.body as SendReportsQuery;
    const { offset, limit, monthly, ...rest } = query;
    const page = await deps.store.sendReports.report(principalOf(request).account.id, { monthly, ...rest }, offset, limit);
    return {
      status: '200',
      message: 'success',
      data: {
        data_list: page.rows.map((r) => ({
          report_time: new Date(r.period).toISOString().slice(0, monthly ? 7 : 10),
          tpl_id: r.tplId,
          tpl_name: r.tplName,
          submission_count: r.total,
          support_resolve_count: 0,
          send_count: r.total,
          send_success_count: r.success,
          send_fail_count: r.fail,
          resolve_success_count: 0,
        })),
        page_info: { offset, limit, total: page.total },
      },
    } satisfies SendReportsResponseBody;
  });

  app.get('/v1/aim/templates', {
    schema: {
      operationId: 'ListAimTemplates',
      summary: 'Query AIM templates',
      tags: ['templates'],
      querystring: TemplatesQuerystring,
      response: { 200: TemplatesResponse, ...errorResponses },
    },
    validatorCompiler: validateWith('querystring', (data) => parseTemplatesQuery((data ?? {}) as RawQuery, deps.clock())),
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const { none, offset, limit, ...filter } = request.query as TemplatesQuery;
    const page = none ? { rows: [], total: 0 } : await deps.store.templates.list(principalOf(request).account.id, filter, offset, limit);
    return {
      templates: page.rows.map((t) => ({
        tpl_id: t.tplId, tpl_name: t.tplName, tpl_state: t.tplState, audit_state: 2, audit_desc: null,
        description: t.description, tpl_type: 'private', creation_time: isoMillis(t.createdAt), update_time: null,
      })),
      page_info: { offset, limit, total: page.total },
    } satisfies TemplatesResponseBody;
  });

  app.post('/v1/aim/delivery-reports', {
    schema: {
      operationId: 'IngestDeliveryReports',
      summary: 'Post carriers\' delivery reports (platform operators only)',
      description: 'Every report is stored as received. The same report twice changes nothing; a final status never goes back; a report for a message not stored yet is parked and applied when it arrives. The answer says, per report, applied, duplicate, parked or rejected (with the reason). Authenticate with an operator token (`aimledger token create --operator`).',
      tags: ['delivery reports'],
      body: DeliveryReportsBody,
      response: { 200: DeliveryReportsResponse, ...errorResponses },
    },
    // Only the envelope is checked here: each report is judged on its own, not the request as a whole.
    validatorCompiler: validateWith('body', (data) => ({ reports: parseReportsEnvelope(data) })),
    preValidation: requireOperation(deps.authenticator, 'delivery-reports:ingest'),
  }, async (request) => {
    const { reports } = request.body as { reports: unknown[] };
    const results = await deps.deliveryReports.ingest(reports);
    const counts = { applied: 0, duplicate: 0, parked: 0, rejected: 0 };
    for (const r of results) counts[r.outcome] += 1;
    return {
      results: results.map((r, i) => {
        const item = reports[i] as { msg_id?: unknown } | null;
        const msgId = typeof item?.msg_id === 'string' ? item.msg_id : null;
        return { msg_id: msgId, outcome: r.outcome, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
      }),
      ...counts,
    } satisfies DeliveryReportsResponseBody;
  });
}
