import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { InvalidParameter } from '../../domain/errors.js';
import { kannelDlr } from '../../domain/sms-text.js';
import { receivedReport } from '../../domain/delivery-report.js';
import type { AppDeps } from '../deps.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * `GET /v1/kannel/dlr`: Kannel's delivery-report callback (the dlr-url the Kannel channel sets).
 * It feeds the same delivery-report path as everything else and answers 200 once the report is
 * stored, so Kannel never drops one (a 5xx makes Kannel retry).
 */
export async function kannelRoutes(app: FastifyInstance, deps: AppDeps & { kannelDlrSecret: string }): Promise<void> {
  app.get('/v1/kannel/dlr', {
    schema: {
      operationId: 'KannelDeliveryReport',
      summary: 'Kannel delivery-report callback (set by the Kannel channel; not for customers)',
      tags: ['delivery reports'],
      querystring: Type.Object({
        msg_id: Type.String({ maxLength: 64 }),
        secret: Type.String({ maxLength: 200 }),
        type: Type.String({ maxLength: 4, description: '1 delivered, 2 failed, 16 rejected; 4 buffered and 8 accepted are recorded only.' }),
        status: Type.Optional(Type.String({ maxLength: 1000, description: 'The SMSC answer (%A).' })),
      }),
    },
  }, async (request, reply) => {
    const q = request.query as { msg_id: string; secret: string; type: string; status?: string };
    if (!sameSecret(q.secret, deps.kannelDlrSecret)) {
      return reply.status(403).type('text/plain').send('wrong secret\n');
    }
    const verdict = /^[0-9]{1,2}$/.test(q.type) ? kannelDlr(Number(q.type), q.status ?? '') : undefined;
    if (!verdict) throw new InvalidParameter(`type ${JSON.stringify(q.type)} is not a Kannel delivery report type`);
    const [result] = await deps.deliveryReports.ingestReceived([receivedReport({
      msgId: q.msg_id, status: verdict.status, resultCode: verdict.resultCode,
      receiveTime: deps.clock().getTime(), reportId: `kannel:${q.msg_id}:${q.type}`,
    })]);
    return reply.type('text/plain').send(`${result?.outcome ?? 'stored'}\n`);
  });
}
