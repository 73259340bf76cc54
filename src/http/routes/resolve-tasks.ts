import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ErrorCodes } from '../../domain/errors.js';
import { aimUrl } from '../../domain/link.js';
import { resolveDetailsQuery } from '../../domain/resolve-details-query.js';
import { MAX_RESOLVE_PARAMS } from '../../domain/resolve-task.js';
import { RESULT_WINDOW } from '../../domain/send-detail.js';
import { SEND_TASK_PATTERNS } from '../../domain/send-task.js';
import { formatContractTime } from '../../domain/time.js';
import type { ResolveTaskInput } from '../../service/resolve-tasks.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, OneOf, PageInfo, RequiredText, Text } from '../schemas.js';
import { errorResponses } from './common.js';

const inputEmpty = { required: ErrorCodes.inputEmpty };

export const ResolveTaskBody = Type.Object({
  tpl_id: RequiredText(9, {
    pattern: SEND_TASK_PATTERNS.templateId, 'x-codes': { required: ErrorCodes.templateIdEmpty, value: ErrorCodes.templateNotFound }, 'x-rule': 'the 9-digit AIM template id',
  }),
  aim_code_type: OneOf(['group', 'individual'], 'group or individual'),
  expiration_time: Type.Integer({ minimum: 1, maximum: 180, description: 'Days: group 1–180, individual 1–7.', 'x-codes': inputEmpty }),
  resolving_times: Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Group: at least 2. Individual links resolve once.', 'x-codes': inputEmpty }),
  sms_signs: Type.Array(RequiredText(18, { minLength: 1, pattern: '^[^\\[\\]【】]+$', 'x-rule': 'a signature of 1 to 18 characters without brackets' }), {
    minItems: 1, maxItems: 5, 'x-codes': { required: ErrorCodes.signatureCount, count: ErrorCodes.signatureCount }, 'x-rule': 'a list of 1 to 5 signatures',
  }),
  generation_type: Type.Optional(OneOf(['1', '2'], '"1" (standard) or "2" (custom short code)')),
  domain: Type.Optional(Text(100)),
  params: Type.Array(Type.Object({
    cust_flag: RequiredText(64, { minLength: 1, 'x-codes': inputEmpty }),
    dync_params: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), { 'x-rule': 'an object mapping names to strings' })),
    custom_url: Type.Optional(Text(256, { pattern: SEND_TASK_PATTERNS.url, 'x-rule': 'an http:// or https:// address of at most 256 characters' })),
    custom_short_code: Type.Optional(Text(10, { minLength: 3, pattern: SEND_TASK_PATTERNS.shortCode, 'x-rule': '3 to 10 letters or digits' })),
  }), {
    minItems: 1, maxItems: MAX_RESOLVE_PARAMS, 'x-codes': { required: ErrorCodes.paramsEmpty, count: ErrorCodes.tooManyShortLinks },
    'x-rule': `a list of 1 to ${MAX_RESOLVE_PARAMS} params`,
  }),
}, { $id: 'CreateResolveTaskRequestBody', title: 'CreateResolveTaskRequestBody', 'x-codes': inputEmpty });

const LinkParam = Type.Object({
  cust_flag: Type.String(), cust_id: Type.Optional(Type.String({ description: 'The account\'s domain_id.' })), aim_code: Type.Optional(Type.String()),
  aim_url: Type.Optional(Type.String()), dync_params: Type.Optional(Type.Record(Type.String(), Type.String())), custom_url: Type.Optional(Type.String()),
  custom_short_code: Type.Optional(Type.String()), generate_date: Type.Optional(Type.String()), expire_date: Type.Optional(Type.String()),
  resolved_times: Type.Optional(Type.Integer()), resolved_date: Type.Optional(Nullable(Type.String())),
  result_code: Type.String({ description: '"0": made. Otherwise the link could not be made (error_message says why) and the param has no aim_code or aim_url.' }),
  error_message: Type.Optional(Type.String()),
});

export const ResolveTaskCreated = Type.Object({
  task_id: Type.String(), tpl_id: Type.String(), aim_code_type: Type.String(), domain: Nullable(Type.String()), expiration_time: Type.Integer(),
  resolving_times: Type.Integer(), resolved_times: Type.Integer(), sms_signs: Type.Array(Type.String()), params: Type.Array(LinkParam),
});

export const ResolveTasksQuerystring = Type.Object({
  task_id: Type.Optional(Text(36)),
  task_name: Type.Optional(Text(30, { description: 'Resolve tasks have no name: any value matches none.' })),
  tpl_id: Type.Optional(Text(9)),
  tpl_name: Type.Optional(Text(100)),
  cust_flag: Type.Optional(Text(100)),
  aim_url: Type.Optional(Text(100)),
  begin_time: Type.Optional(ContractTime('Task creation time; counts only with end_time. Default: the last 24 hours.')),
  end_time: Type.Optional(ContractTime('Task creation time; counts only with begin_time.')),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const ResolveTasksResponse = Type.Object({
  resolve_tasks: Type.Array(Type.Object({
    task_id: Type.String(), task_name: Nullable(Type.String()), tpl_id: Type.String(), aim_code_type: Type.String(), domain: Nullable(Type.String()),
    expiration_time: Type.Integer(), resolving_times: Type.Integer(), resolved_times: Type.Integer(), sms_signs: Type.Array(Type.String()),
    params: Type.Array(LinkParam, { description: 'One link, as the definition says: the task\'s first. Resolve details list them all.' }),
  })),
  page_info: PageInfo,
});

type LinkParamBody = Static<typeof LinkParam>;

/** CreateResolveTask and ListResolveTasks. */
export async function resolveTaskRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const linkParam = (domainId: string, l: import('../../domain/link.js').Link): LinkParamBody => ({
    cust_flag: l.custFlag, cust_id: domainId, aim_code: l.aimCode, aim_url: aimUrl(l.domain, l.aimCode),
    ...(l.dyncParams ? { dync_params: l.dyncParams } : {}), ...(l.customUrl ? { custom_url: l.customUrl } : {}),
    generate_date: formatContractTime(l.createdAt), expire_date: formatContractTime(l.expiresAt), resolved_times: l.resolvedTimes,
    resolved_date: l.resolvedTime === null ? null : formatContractTime(l.resolvedTime), result_code: '0',
  });

  const failedParam = (p: ResolveTaskInput['params'][number], reason: string): LinkParamBody => ({
    cust_flag: p.cust_flag, ...(p.dync_params ? { dync_params: p.dync_params } : {}), ...(p.custom_short_code ? { custom_short_code: p.custom_short_code } : {}),
    result_code: ErrorCodes.invalidParameter, error_message: reason,
  });

  app.post('/v1/aim/resolve-tasks', {
    schema: {
      operationId: 'CreateResolveTask',
      summary: 'Make short links for SMS sent through your own channel (role te_user or te_admin)',
      description: 'group: one link that resolves up to resolving_times (≥ 2) times within 1–180 days; individual: one link per param, each resolving once within 1–7 days. The template must be approved and enabled; a template with variables takes individual links only.',
      tags: ['links'],
      body: ResolveTaskBody,
      response: { 200: ResolveTaskCreated, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'send-tasks:create'),
  }, async (request) => {
    const principal = principalOf(request);
    const body = request.body as ResolveTaskInput;
    const { task, links, failures } = await deps.resolveTasks.create(principal, body);
    const failed = new Map(failures.map((f) => [f.index, f.reason]));
    return {
      task_id: task.taskId, tpl_id: task.tplId, aim_code_type: task.aimCodeType, domain: task.domain, expiration_time: task.expirationTime,
      resolving_times: task.resolvingTimes, resolved_times: 0, sms_signs: task.smsSigns,
      params: links.map((l, i) => (failed.has(i)
        ? failedParam(body.params[i] as ResolveTaskInput['params'][number], failed.get(i) as string)
        : { ...linkParam(principal.account.domainId, l), ...(body.generation_type === '2' ? { custom_short_code: l.aimCode } : {}) })),
    };
  });

  app.get('/v1/aim/resolve-tasks', {
    schema: {
      operationId: 'ListResolveTasks',
      summary: 'Query resolve tasks',
      tags: ['links'],
      querystring: ResolveTasksQuerystring,
      response: { 200: ResolveTasksResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'resolve-details:list'),
  }, async (request) => {
    const q = request.query;
    const principal = principalOf(request);
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 20;
    // The same window and aim_url rules as resolve details.
    const { filter, none } = resolveDetailsQuery({
      ...(q.aim_url !== undefined ? { aimUrl: q.aim_url } : {}), ...(q.begin_time !== undefined ? { beginTime: q.begin_time } : {}),
      ...(q.end_time !== undefined ? { endTime: q.end_time } : {}), offset, limit,
    }, deps.clock());
    const page = none || q.task_name !== undefined ? { rows: [], total: 0 } : await deps.resolveTasks.list(principal, {
      createdFrom: filter.createdFrom, createdTo: filter.createdTo,
      ...(q.task_id !== undefined ? { taskId: q.task_id } : {}), ...(q.tpl_id !== undefined ? { tplId: q.tpl_id } : {}),
      ...(q.tpl_name !== undefined ? { tplName: q.tpl_name } : {}), ...(q.cust_flag !== undefined ? { custFlag: q.cust_flag } : {}),
      ...(filter.aimCode !== undefined ? { aimCode: filter.aimCode, domain: filter.domain as string } : {}),
    }, offset, offset + limit > RESULT_WINDOW ? 0 : limit);
    const first = await deps.resolveTasks.firstLinks(principal, page.rows.map((t) => t.taskId));
    return {
      resolve_tasks: page.rows.map((t) => ({
        task_id: t.taskId, task_name: null, tpl_id: t.tplId, aim_code_type: t.aimCodeType, domain: t.domain, expiration_time: t.expirationTime,
        resolving_times: t.resolvingTimes, resolved_times: t.resolvedTimes, sms_signs: t.smsSigns,
        params: first.has(t.taskId) ? [linkParam(principal.account.domainId, first.get(t.taskId) as import('../../domain/link.js').Link)] : [],
      })),
      page_info: { offset, limit, total: page.total },
    };
  });
}
