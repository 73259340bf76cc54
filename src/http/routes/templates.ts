import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { FACTORY_TYPES, templatesQuery } from '../../domain/templates-query.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, PageInfo, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const TemplatesQuerystring = Type.Object({
  tpl_id: Type.Optional(Text(36)),
  tpl_name: Type.Optional(Text(100)),
  tpl_type: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')], { description: 'Every template here is private.', 'x-rule': 'public or private' })),
  factory_type: Type.Optional(Type.Array(Type.Enum(FACTORY_TYPES), {
    maxItems: 5, description: 'HUAWEI, XIAOMI, OPPO, MEIZU, VIVO; accepted, no effect.', 'x-rule': 'up to 5 of HUAWEI, XIAOMI, OPPO, MEIZU, VIVO',
  })),
  has_param: Type.Optional(Type.Boolean({ description: 'Templates here carry no variables: true matches none.', 'x-rule': 'true or false' })),
  is_only_status: Type.Optional(Type.Boolean({ 'x-rule': 'true or false' })),
  begin_time: Type.Optional(ContractTime('Creation time, with end_time; at most a year back.')),
  end_time: Type.Optional(ContractTime('Creation time, with begin_time.')),
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

/** ListAimTemplates. */
export async function templateRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/v1/aim/templates', {
    schema: {
      operationId: 'ListAimTemplates',
      summary: 'Query AIM templates',
      tags: ['templates'],
      querystring: TemplatesQuerystring,
      response: { 200: TemplatesResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const q = request.query;
    const { none, offset, limit, ...filter } = templatesQuery({
      tplId: q.tpl_id, tplName: q.tpl_name, tplType: q.tpl_type, hasParam: q.has_param, beginTime: q.begin_time, endTime: q.end_time,
      offset: q.offset, limit: q.limit,
    }, deps.clock());
    const page = none ? { rows: [], total: 0 } : await deps.store.templates.list(principalOf(request).account.id, filter, offset, limit);
    return {
      templates: page.rows.map((t) => ({
        tpl_id: t.tplId, tpl_name: t.tplName, tpl_state: t.tplState, audit_state: 2, audit_desc: null,
        description: t.description, tpl_type: 'private', creation_time: formatIsoMillis(t.createdAt), update_time: null,
      })),
      page_info: { offset, limit, total: page.total },
    } satisfies TemplatesResponseBody;
  });
}
