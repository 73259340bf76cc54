import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Clock } from '../../domain/clock.js';
import { LIMITS, RESULT_WINDOW, SEND_STATUSES, type SendDetail } from '../../domain/send-detail.js';
import { InvalidParameter, TooManyRequests } from '../../domain/errors.js';
import { LIMIT_MAX, OFFSET_MAX, parseExportFilter, parseSendDetailsQuery, type RawQuery } from '../../domain/send-details-query.js';
import type { SendDetailsFilter } from '../../domain/send-detail.js';
import { exportStream, type ExportFormat } from '../../service/export.js';
import { formatContractTime } from '../../domain/time.js';
import type { Authenticator } from '../../identity/authenticator.js';
import { listSendDetails } from '../../service/send-details.js';
import type { Store } from '../../store/store.js';
import { principalOf, requireOperation } from '../auth.js';
import { Nullable, PageInfo } from '../schemas.js';
import { errorResponses, validateWith } from './common.js';

const TIME_EXAMPLE = '2019-10-12T07:20:50Z';

export const SendDetailsQuerystring = Type.Object({
  task_id: Type.Optional(Type.String({ maxLength: LIMITS.taskId, description: 'Send task id; exact match.' })),
  tpl_id: Type.Optional(Type.String({ maxLength: LIMITS.tplId, description: 'AIM template id; exact match.' })),
  sms_sign: Type.Optional(Type.String({ maxLength: LIMITS.smsSign, description: 'SMS signature; exact match.' })),
  cust_flag: Type.Optional(Type.String({ maxLength: LIMITS.custFlag, description: 'Customer flag (the phone number for AIM sends); exact match.' })),
  begin_time: Type.Optional(Type.String({
    maxLength: 30, examples: [TIME_EXAMPLE],
    description: 'UTC send time lower bound (inclusive), YYYY-MM-DDTHH:mm:ss[.SSS]Z. Filters only together with end_time; at most one year back.',
  })),
  end_time: Type.Optional(Type.String({
    maxLength: 30, examples: [TIME_EXAMPLE],
    description: 'UTC send time upper bound (inclusive). Filters only together with begin_time.',
  })),
  offset: Type.Integer({ minimum: 0, maximum: OFFSET_MAX, description: `Rows to skip. offset + limit > ${RESULT_WINDOW} returns no rows but the true total.` }),
  limit: Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'Page size.' }),
  send_status: Type.Optional(Type.Enum(SEND_STATUSES, {
    description: 'Extension: only messages in this state. Absent: every state, as KooMessage.',
  })),
  msg_id: Type.Optional(Type.String({ maxLength: 64, description: 'Extension: the one message with this msg_id.' })),
});

export const ExportQuerystring = Type.Object({
  ...Type.Omit(SendDetailsQuerystring, ['offset', 'limit']).properties,
  format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { description: 'csv (default) or ndjson.' })),
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

/** `GET /v1/aim/send-details` (KooMessage ListAimSendDetails). */
export async function sendDetailsRoutes(app: FastifyInstance, deps: SendDetailsRouteDeps): Promise<void> {
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
    // The contract's rules (plain decimals only, repeated parameters, real calendar dates, the
    // one-year window against the injected clock) go beyond JSON Schema, so the domain parser is
    // this route's validator; the schema above documents the same rules.
    validatorCompiler: validateWith('querystring', (data) => parseSendDetailsQuery((data ?? {}) as RawQuery, deps.clock())),
    preValidation: requireOperation(deps.authenticator, 'send-details:list'),
  }, async (request) => {
    const query = request.query as unknown as ReturnType<typeof parseSendDetailsQuery>;
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
      response: { ...errorResponses },
    },
    validatorCompiler: validateWith('querystring', (data) => {
      const raw = (data ?? {}) as RawQuery;
      const format = raw.format === undefined || raw.format === '' ? 'csv' : raw.format;
      if (format !== 'csv' && format !== 'ndjson') throw new InvalidParameter('format must be csv or ndjson');
      return { format, filter: parseExportFilter(raw, deps.clock()) };
    }),
    preValidation: requireOperation(deps.authenticator, 'send-details:list'),
  }, async (request, reply) => {
    const { format, filter } = request.query as { format: ExportFormat; filter: SendDetailsFilter };
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
