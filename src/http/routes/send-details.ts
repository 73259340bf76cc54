import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../domain/clock.js';
import type { SendDetail } from '../../domain/send-detail.js';
import { parseSendDetailsQuery, type RawQuery } from '../../domain/send-details-query.js';
import { formatContractTime } from '../../domain/time.js';
import type { Authenticator } from '../../identity/authenticator.js';
import { listSendDetails } from '../../service/send-details.js';
import type { Store } from '../../store/store.js';
import { principalOf, requireOperation } from '../auth.js';
import { SendDetailsQuerystring, SendDetailsResponse, type SendDetailsResponseBody } from '../schemas.js';
import { errorResponses } from './common.js';

export interface SendDetailsRouteDeps {
  store: Store;
  clock: Clock;
  authenticator: Authenticator;
}

function toBody(d: SendDetail): SendDetailsResponseBody['send_details'][number] {
  return {
    msg_id: d.msgId,
    task_id: d.taskId,
    task_name: d.taskName,
    tpl_id: d.tplId,
    tpl_name: d.tplName,
    cust_flag: d.custFlag,
    send_account: d.sendAccount,
    send_status: d.sendStatus,
    send_time: formatContractTime(d.sendTime),
    receive_time: d.receiveTime === null ? null : formatContractTime(d.receiveTime),
    result_code: d.resultCode,
  };
}

/** `GET /v1/aim/send-details` (KooMessage ListAimSendDetails). */
export async function sendDetailsRoutes(app: FastifyInstance, deps: SendDetailsRouteDeps): Promise<void> {
  app.get('/v1/aim/send-details', {
    schema: {
      operationId: 'ListAimSendDetails',
      summary: 'Query send details, recipient by recipient',
      description: 'Newest first (send_time descending, then msg_id ascending). Filters combine with AND; an empty value is no filter.',
      tags: ['send details'],
      querystring: SendDetailsQuerystring,
      response: { 200: SendDetailsResponse, ...errorResponses },
    },
    // The contract's rules (plain decimals only, repeated parameters, real calendar dates, the
    // one-year window against the injected clock) go beyond JSON Schema, so the domain parser is
    // this route's validator; the schema above documents the same rules.
    validatorCompiler: ({ httpPart }) => (data: unknown) => {
      if (httpPart !== 'querystring') return true;
      try {
        return { value: parseSendDetailsQuery((data ?? {}) as RawQuery, deps.clock()) };
      } catch (error) {
        return { error: error as Error };
      }
    },
    preValidation: requireOperation(deps.authenticator, 'send-details:list'),
  }, async (request) => {
    const query = request.query as unknown as ReturnType<typeof parseSendDetailsQuery>;
    const page = await listSendDetails(deps.store, principalOf(request), query);
    return {
      send_details: page.rows.map(toBody),
      page_info: { offset: query.offset, limit: query.limit, total: page.total },
    } satisfies SendDetailsResponseBody;
  });
}
