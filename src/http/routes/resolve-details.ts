import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { aimUrl, type ResolvedStatus } from '../../domain/link.js';
import { resolveDetailsQuery } from '../../domain/resolve-details-query.js';
import { RESULT_WINDOW } from '../../domain/send-detail.js';
import { formatContractTime } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, OneOf, PageInfo, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const ResolveDetailsQuerystring = Type.Object({
  task_id: Type.Optional(Text(36, { description: 'A send task\'s or resolve task\'s id.' })),
  task_name: Type.Optional(Text(30)),
  tpl_id: Type.Optional(Text(9)),
  tpl_name: Type.Optional(Text(100)),
  cust_flag: Type.Optional(Text(64)),
  sms_sign: Type.Optional(Text(18)),
  aim_url: Type.Optional(Text(100, { description: '<domain>/<aim_code>, as the send task\'s answer and the SMS give it.' })),
  resolved_status: Type.Optional(OneOf(['success', 'fail', 'unresolved'])),
  begin_time: Type.Optional(ContractTime('Link creation time; counts only with end_time; at most a year back. Default: the last 24 hours.')),
  end_time: Type.Optional(ContractTime('Link creation time; counts only with begin_time.')),
  offset: Type.Integer({ minimum: 0, maximum: 1_000_000, description: `offset + limit beyond ${RESULT_WINDOW} answers no rows (with the exact total).` }),
  limit: Type.Integer({ minimum: 1, maximum: 100 }),
});

const ResolveDetail = Type.Object({
  resolve_id: Type.String(),
  task_id: Type.String(),
  task_name: Type.String(),
  tpl_id: Type.String(),
  tpl_name: Type.String(),
  cust_flag: Type.String(),
  send_account: Type.String({ description: 'The user name that sent it.' }),
  aim_url: Type.String(),
  resolved_status: Type.String({ description: 'success, fail (an attempt refused as expired or used up) or unresolved.' }),
  resolved_time: Nullable(Type.String()),
  generate_date: Type.String(),
  expire_date: Type.String(),
  result_code: Type.String({ description: '0: the link was made.' }),
  dync_params: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], { description: 'Extension: the recipient\'s variables, as the link fills the card with them (null: none).' }),
});

export const ResolveDetailsResponse = Type.Object({ resolve_details: Type.Array(ResolveDetail), page_info: PageInfo });
export type ResolveDetailsResponseBody = Static<typeof ResolveDetailsResponse>;

/** ListAimResolveDetails: each link and what became of it. */
export async function resolveDetailsRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/v1/aim/resolve-details', {
    schema: {
      operationId: 'ListAimResolveDetails',
      summary: 'Query short links and their resolve states',
      description: 'Links of send tasks (one per recipient), newest first, with the exact total. The time window is on the links\' creation (default the last 24 hours).',
      tags: ['links'],
      querystring: ResolveDetailsQuerystring,
      response: { 200: ResolveDetailsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'resolve-details:list'),
  }, async (request) => {
    const q = request.query;
    const query = resolveDetailsQuery({
      ...(q.task_id !== undefined ? { taskId: q.task_id } : {}), ...(q.task_name !== undefined ? { taskName: q.task_name } : {}),
      ...(q.tpl_id !== undefined ? { tplId: q.tpl_id } : {}), ...(q.tpl_name !== undefined ? { tplName: q.tpl_name } : {}),
      ...(q.cust_flag !== undefined ? { custFlag: q.cust_flag } : {}), ...(q.sms_sign !== undefined ? { smsSign: q.sms_sign } : {}),
      ...(q.aim_url !== undefined ? { aimUrl: q.aim_url } : {}), ...(q.resolved_status !== undefined ? { resolvedStatus: q.resolved_status as ResolvedStatus } : {}),
      ...(q.begin_time !== undefined ? { beginTime: q.begin_time } : {}), ...(q.end_time !== undefined ? { endTime: q.end_time } : {}),
      offset: q.offset, limit: q.limit,
    }, deps.clock());
    const pageLimit = query.offset + query.limit > RESULT_WINDOW ? 0 : query.limit;
    const page = query.none ? { rows: [], total: 0 } : await deps.store.read((r) => r.links.list(principalOf(request).account.id, query.filter, query.offset, pageLimit));
    return {
      resolve_details: page.rows.map((l) => ({
        resolve_id: l.resolveId, task_id: l.taskId, task_name: l.taskName, tpl_id: l.tplId, tpl_name: l.tplName, cust_flag: l.custFlag,
        send_account: l.sendAccount, aim_url: aimUrl(l.domain, l.aimCode), resolved_status: l.resolvedStatus,
        resolved_time: l.resolvedTime === null ? null : formatContractTime(l.resolvedTime),
        generate_date: formatContractTime(l.createdAt), expire_date: formatContractTime(l.expiresAt), result_code: '0',
        dync_params: l.dyncParams,
      })),
      page_info: { offset: query.offset, limit: query.limit, total: page.total },
    } satisfies ResolveDetailsResponseBody;
  });
}
