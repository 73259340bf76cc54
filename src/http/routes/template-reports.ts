import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { ErrorCodes, InvalidParameter } from '../../domain/errors.js';
import { timeValue } from '../../domain/query-params.js';
import { dayStart, formatContractTime } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, OneOf, PageInfo } from '../schemas.js';
import { errorResponses } from './common.js';

const DAY_MS = 86_400_000;
/** A longer range answers an empty result, as the definition says. */
const MAX_RANGE_DAYS = 90;

export const TemplateReportsBody = Type.Object({
  tpl_ids: Type.Array(Type.String({ minLength: 1, maxLength: 9, pattern: '^[0-9]{1,9}$', 'x-rule': 'a template id' }), {
    minItems: 1, maxItems: 100, 'x-codes': { required: ErrorCodes.inputEmpty }, 'x-rule': 'a list of 1 to 100 template ids',
  }),
  begin_time: ContractTime('UTC; with end_time at most 90 days apart (more answers an empty result).'),
  end_time: ContractTime('UTC.'),
  factory_type: Type.Optional(Type.Array(OneOf(['huawei', 'vivo', 'oppo', 'xiaomi', 'meizu', 'samsung']), {
    maxItems: 6, description: 'Accepted and ignored: the counts here are vendor-independent.', 'x-rule': 'a list of huawei, vivo, oppo, xiaomi, meizu, samsung',
  })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
}, { $id: 'ListAimTemplateReportsRequestBody', title: 'ListAimTemplateReportsRequestBody' });

export const TemplateReportsResponse = Type.Object({
  template_reports: Type.Array(Type.Object({
    tpl_id: Type.String(), start_time: Type.String(), end_time: Type.String(),
    resolving_times: Type.Integer({ description: 'Links of the template resolved that day.' }),
    expose_pv: Type.Integer({ description: 'Cards shown to people that day.' }),
    expose_uv: Type.Integer({ description: 'Distinct recipients (individual links) or visitors (group links, by cookie) shown a card.' }),
    click_pv: Type.Integer({ description: 'Clicks on the cards\' links.' }),
    click_uv: Type.Integer({ description: 'Distinct recipients or visitors who clicked.' }),
  })),
  page_info: PageInfo,
});

export type TemplateReportsResponseBody = Static<typeof TemplateReportsResponse>;

/** ListAimTemplateReports: per template and UTC day, from counters kept as the events happen. */
export async function templateReportRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/template-reports/query', {
    schema: {
      operationId: 'ListAimTemplateReports',
      summary: 'Resolves, exposures and clicks per template and day',
      description: 'Rows per template and UTC day with any event, tpl_id then day, available at once. A range over 90 days answers an empty result.',
      tags: ['links'],
      body: TemplateReportsBody,
      response: { 200: TemplateReportsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const b = request.body;
    const offset = b.offset ?? 0;
    const limit = b.limit ?? 20;
    const begin = timeValue(b.begin_time, 'begin_time');
    const end = timeValue(b.end_time, 'end_time');
    if (begin > end) throw new InvalidParameter('begin_time must not be later than end_time', ErrorCodes.invalidTime);
    const empty = { template_reports: [], page_info: { offset, limit, total: 0 } };
    if (end - begin > MAX_RANGE_DAYS * DAY_MS) return empty;
    const page = await deps.store.read((r) => r.templateReports.report(principalOf(request).account.id, [...new Set(b.tpl_ids)], dayStart(begin), dayStart(end), offset, limit));
    return {
      template_reports: page.rows.map((r) => ({
        tpl_id: r.tplId, start_time: formatContractTime(r.day), end_time: formatContractTime(r.day + DAY_MS), resolving_times: r.resolvingTimes,
        expose_pv: r.exposePv, expose_uv: r.exposeUv, click_pv: r.clickPv, click_uv: r.clickUv,
      })),
      page_info: { offset, limit, total: page.total },
    } satisfies TemplateReportsResponseBody;
  });
}
