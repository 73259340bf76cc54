import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Clock } from '../../domain/clock.js';
import { LIMITS, RESULT_WINDOW, SEND_STATUSES, type SendDetail } from '../../domain/send-detail.js';
import { TooManyRequests } from '../../domain/errors.js';
import { LIMIT_MAX, OFFSET_MAX, sendDetailsQuery, withRange } from '../../domain/send-details-query.js';
import type { SendDetailsFilter } from '../../domain/send-detail.js';
import { exportStream, type ExportFormat } from '../../service/export.js';
import { formatContractTime } from '../../domain/time.js';
import type { Authenticator } from '../../identity/authenticator.js';
import { listSendDetails } from '../../service/send-details.js';
import type { Store } from '../../store/store.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Nullable, PageInfo, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const SendDetailsQuerystring = Type.Object({
  task_id: Type.Optional(Text(LIMITS.taskId, { description: 'Send task id; exact match.' })),
  tpl_id: Type.Optional(Text(LIMITS.tplId, { description: 'AIM template id; exact match.' })),
  sms_sign: Type.Optional(Text(LIMITS.smsSign, { description: 'SMS signature; exact match.' })),
  cust_flag: Type.Optional(Text(LIMITS.custFlag, { description: 'Customer flag (the phone number for AIM sends); exact match.' })),
  send_status: Type.Optional(Type.Enum(SEND_STATUSES, {
    description: 'Extension: only messages in this state. Absent: every state, as KooMessage.', 'x-rule': 'sending, success or fail',
  })),
  msg_id: Type.Optional(Text(LIMITS.msgId, { description: 'Extension: the one message with this msg_id.' })),
  begin_time: Type.Optional(ContractTime('UTC send time lower bound (inclusive), YYYY-MM-DDTHH:mm:ss[.SSS]Z. Filters only together with end_time; at most one year back.')),
  end_time: Type.Optional(ContractTime('UTC send time upper bound (inclusive). Filters only together with begin_time.')),
  offset: Type.Integer({ minimum: 0, maximum: OFFSET_MAX, description: `Rows to skip. offset + limit > ${RESULT_WINDOW} returns no rows but the true total.` }),
  limit: Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'Page size.' }),
}, { description: 'The checks run in this order; the first failure is reported. An empty value is no value; integers are plain decimals.' });

export const ExportQuerystring = Type.Object({
  ...Type.Omit(SendDetailsQuerystring, ['offset', 'limit']).properties,
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { description: 'csv (default) or ndjson.', 'x-rule': 'csv or ndjson' })),
});

export const SendDetailBody = Type.Object({
  msg_id: Type.String({ examples: ['7e52e4fe-ef00-4826-84b6-756446c5cccc_595223901'] }),
  task_id: Nullable(Type.String()),
  task_name: Nullable(Type.String()),
  tpl_id: Nullable(Type.String()),
  tpl_name: Nullable(Type.String()),
  cust_flag: Nullable(Type.String()),
  send_account: Nullable(Type.String({ description: 'Target phone number.' })),
  send_status: Type.Enum(SEND_STATUSES),
  send_time: Type.String({ examples: ['2022-07-19T14:57:20Z'] }),
  receive_time: Nullable(Type.String({ description: 'Null while sending or when the carrier gave none.' })),
  result_code: Nullable(Type.String({ description: 'Carrier or platform error code; null when there is none.' })),
}, { $id: 'AIMSendDetail', title: 'AIMSendDetail' });

export const SendDetailsResponse = Type.Object({
  send_details: Type.Array(SendDetailBody),
  page_info: PageInfo,
});

export type SendDetailsResponseBody = Static<typeof SendDetailsResponse>;

export interface SendDetailsRouteDeps {
  store: Store;
  clock: Clock;
  authenticator: Authenticator;
  /** Exports one account may run at once (default 2); more are refused with 429. */
  exportsPerAccount?: number;
}

/** The default of AIMLEDGER_EXPORTS_PER_ACCOUNT. */
export const DEFAULT_EXPORTS_PER_ACCOUNT = 2;

/**
 * Counts the exports each account has running, so one account's exports cannot take every turn
 * of the event loop and every database connection from the others.
 */
class ExportSlots {
  private readonly running = new Map<number, number>();

  constructor(private readonly perAccount: number) {}

  /** Takes a slot or throws 429; the returned function gives it back (once, however often called). */
  take(accountId: number): () => void {
    const n = this.running.get(accountId) ?? 0;
    if (n >= this.perAccount) {
      throw new TooManyRequests(`this account already runs ${this.perAccount} exports at once; retry when one has finished`, 5);
    }
    this.running.set(accountId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(accountId) ?? 1) - 1;
      if (left > 0) this.running.set(accountId, left);
      else this.running.delete(accountId);
    };
  }
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

/** The value filters of a validated query (KooMessage's and the extensions). */
function filterOf(q: Static<typeof ExportQuerystring>): SendDetailsFilter {
  const filter: SendDetailsFilter = {};
  if (q.task_id !== undefined) filter.taskId = q.task_id;
  if (q.tpl_id !== undefined) filter.tplId = q.tpl_id;
  if (q.sms_sign !== undefined) filter.smsSign = q.sms_sign;
  if (q.cust_flag !== undefined) filter.custFlag = q.cust_flag;
  if (q.send_status !== undefined) filter.sendStatus = q.send_status;
  if (q.msg_id !== undefined) filter.msgId = q.msg_id;
  return filter;
}

/** `GET /v1/aim/send-details` (KooMessage ListAimSendDetails) and its export. */
export async function sendDetailsRoutes(scope: FastifyInstance, deps: SendDetailsRouteDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const exportSlots = new ExportSlots(deps.exportsPerAccount ?? DEFAULT_EXPORTS_PER_ACCOUNT);
  app.get('/v1/aim/send-details', {
    schema: {
      operationId: 'ListAimSendDetails',
      summary: 'Query send details, recipient by recipient',
      description: 'Newest first (send_time descending, then msg_id ascending). Filters combine with AND; an empty value is no filter.',
      tags: ['send details'],
      querystring: SendDetailsQuerystring,
      response: { 200: SendDetailsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'send-details:list'),
  }, async (request) => {
    const q = request.query;
    const query = sendDetailsQuery(filterOf(q), { offset: q.offset, limit: q.limit }, q.begin_time, q.end_time, deps.clock());
    const page = await listSendDetails(deps.store, principalOf(request), query);
    return {
      send_details: page.rows.map(toBody),
      page_info: { offset: query.offset, limit: query.limit, total: page.total },
    } satisfies SendDetailsResponseBody;
  });

  app.get('/v1/aim/send-details/export', {
    schema: {
      operationId: 'ExportAimSendDetails',
      summary: 'Export every matching send detail (extension)',
      description: `The list's filters, without paging and without the ${RESULT_WINDOW} window: every matching row of the caller's account, newest first, streamed (keyset paging inside, flat memory). format=csv (default; UTF-8 with BOM, header row, RFC 4180 quoting, empty for null) or ndjson. Rows are read batch by batch as the client reads, not from one snapshot.`,
      tags: ['send details'],
      querystring: ExportQuerystring,
      response: {
        // A stream of either type: documented, never serialized (the type provider takes any body).
        200: Type.Unsafe<unknown>({
          description: 'Every matching detail, streamed as an attachment: CSV (format=csv) or one JSON object per line (format=ndjson)',
          content: { 'text/csv': { schema: { type: 'string' } }, 'application/x-ndjson': { schema: { type: 'string' } } },
        }),
        ...errorResponses,
      },
    },
    preValidation: requireOperation(deps.authenticator, 'send-details:list'),
  }, async (request, reply) => {
    const q = request.query;
    const format: ExportFormat = q.format ?? 'csv';
    const filter = withRange(filterOf(q), q.begin_time, q.end_time, deps.clock());
    const release = exportSlots.take(principalOf(request).account.id);
    const stamp = formatContractTime(deps.clock().getTime()).replace(/[-:]/g, '');
    void reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="send-details-${stamp}.${format}"`);
    const stream = exportStream(deps.store, principalOf(request).account.id, filter, format);
    // 'close' comes when the stream ends, fails, or is destroyed because the client went away.
    stream.once('close', release);
    reply.raw.once('close', release);
    return reply.send(stream);
  });
}
