import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { MAX_REPORTS_PER_REQUEST } from '../../domain/delivery-report.js';
import type { AppDeps } from '../deps.js';
import { requireOperation } from '../auth.js';
import { Nullable } from '../schemas.js';
import { errorResponses } from './common.js';

export const DeliveryReportsBody = Type.Object({
  reports: Type.Array(Type.Object({
    msg_id: Type.String({ maxLength: 64 }),
    status: Type.String({ maxLength: 32, description: 'The carrier\'s word: DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ACCEPTD, ENROUTE, or a code such as MK:0001.' }),
    result_code: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
    receive_time: Type.String({ maxLength: 30, examples: ['2026-06-15T12:00:11Z'] }),
    report_id: Type.Optional(Type.String({ maxLength: 64, description: 'The gateway\'s id for the report; the idempotency key when given.' })),
  }), {
    minItems: 1, maxItems: MAX_REPORTS_PER_REQUEST, 'x-rule': `an array of 1 to ${MAX_REPORTS_PER_REQUEST} reports`,
    // Only the envelope is checked with the request: each report is judged on its own (see the answer).
    'x-each-judged': true,
  }),
}, { $id: 'DeliveryReportsBody', title: 'DeliveryReportsBody', 'x-rule': '{"reports": [...]}' });

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

/** Delivery-report ingestion from the platform's gateways (operators only). */
export async function deliveryReportRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/delivery-reports', {
    schema: {
      operationId: 'IngestDeliveryReports',
      summary: 'Post carriers\' delivery reports (platform operators only)',
      description: 'Every report is stored as received. The same report twice changes nothing; a final status never goes back; a report for a message not stored yet is parked and applied when it arrives. The answer says, per report, applied, duplicate, parked or rejected (with the reason). Authenticate with an operator token (`aimledger token create --operator`).',
      tags: ['delivery reports'],
      body: DeliveryReportsBody,
      response: { 200: DeliveryReportsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'delivery-reports:ingest'),
  }, async (request) => {
    // As sent: the schema checked the envelope only (x-each-judged).
    const reports: unknown[] = request.body.reports;
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
