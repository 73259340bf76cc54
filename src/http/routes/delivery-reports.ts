import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { MAX_REPORTS_PER_REQUEST } from '../../domain/delivery-report.js';
import { InvalidParameter } from '../../domain/errors.js';
import type { AppDeps } from '../deps.js';
import { requireOperation } from '../auth.js';
import { Nullable } from '../schemas.js';
import { errorResponses, validateWith } from './common.js';

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

function parseReportsEnvelope(body: unknown): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameter('the body must be {"reports": [...]}');
  const { reports } = body as { reports?: unknown };
  if (!Array.isArray(reports) || reports.length === 0 || reports.length > MAX_REPORTS_PER_REQUEST) {
    throw new InvalidParameter(`reports must be an array of 1 to ${MAX_REPORTS_PER_REQUEST} reports`);
  }
  return reports;
}

/** Delivery-report ingestion from the platform's gateways (operators only). */
export async function deliveryReportRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
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
