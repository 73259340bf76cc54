import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { LIMITS } from '../../domain/send-detail.js';
import { sendReportsQuery } from '../../domain/send-report.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, PageInfo, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const SendReportsBody = Type.Object({
  report_type: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('2'), Type.Literal(1), Type.Literal(2)], {
    description: '1 daily (default), 2 monthly.', 'x-rule': '"1" (daily) or "2" (monthly)',
  })),
  tpl_id: Type.Optional(Text(LIMITS.tplId)),
  tpl_name: Type.Optional(Text(100)),
  begin_time: Type.Optional(ContractTime('With end_time; whole UTC days; default the last 30 days (12 months when monthly); at most a year back.', 'report-time')),
  end_time: Type.Optional(ContractTime('With begin_time.', 'report-time')),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
}, { $id: 'ListAimSendReportsRequestBody', title: 'ListAimSendReportsRequestBody', 'x-blank-is-absent': true });

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

/** ListAimSendReports: per-template totals by day or month. */
export async function sendReportRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/send-reports', {
    schema: {
      operationId: 'ListAimSendReports',
      summary: 'Per-template daily or monthly send totals',
      description: 'Counted from the same rows as send-details (by the day each message was sent, UTC), in KooMessage\'s {status, message, data} envelope.',
      tags: ['send tasks'],
      body: SendReportsBody,
      response: { 200: SendReportsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'send-reports:list'),
  }, async (request) => {
    const b = request.body;
    const query = sendReportsQuery({
      reportType: b.report_type, tplId: b.tpl_id, tplName: b.tpl_name, beginTime: b.begin_time, endTime: b.end_time, offset: b.offset, limit: b.limit,
    }, deps.clock());
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
          resolve_success_count: r.resolved,
        })),
        page_info: { offset, limit, total: page.total },
      },
    } satisfies SendReportsResponseBody;
  });
}
