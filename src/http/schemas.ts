import { Type, type Static } from 'typebox';
import { LIMIT_MAX, OFFSET_MAX } from '../domain/send-details-query.js';
import { LIMITS } from '../domain/send-detail.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

const TIME_EXAMPLE = '2019-10-12T07:20:50Z';

/** Every 4xx/5xx body of this service (KooMessage's AimErrorMsg; request_id added on 401). */
export const ErrorBody = Type.Object({
  error_code: Type.String({ examples: ['KM.80000002'] }),
  error_msg: Type.String(),
  error_message: Type.String({ description: 'Deprecated twin of error_msg, kept for old clients.' }),
  request_id: Type.Optional(Type.String()),
}, { $id: 'ErrorBody', title: 'ErrorBody' });

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
  offset: Type.Integer({ minimum: 0, maximum: OFFSET_MAX, description: 'Rows to skip. offset + limit > 10000 returns no rows but the true total.' }),
  limit: Type.Integer({ minimum: 1, maximum: LIMIT_MAX, description: 'Page size.' }),
  send_status: Type.Optional(Type.Union([Type.Literal('sending'), Type.Literal('success'), Type.Literal('fail')], {
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
  send_status: Type.Union([Type.Literal('sending'), Type.Literal('success'), Type.Literal('fail')]),
  send_time: Type.String({ examples: ['2022-07-19T14:57:20Z'] }),
  receive_time: Nullable(Type.String({ description: 'Null while sending or when the carrier gave none.' })),
  result_code: Nullable(Type.String({ description: 'Carrier or platform error code; null when there is none.' })),
}, { $id: 'AIMSendDetail', title: 'AIMSendDetail' });

export const PageInfo = Type.Object({
  offset: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer({ description: 'Exact number of rows matching the filters.' }),
}, { $id: 'Page', title: 'Page' });

export const SendDetailsResponse = Type.Object({
  send_details: Type.Array(SendDetailBody),
  page_info: PageInfo,
});

export type SendDetailsResponseBody = Static<typeof SendDetailsResponse>;

const IdOrName = (what: string) => Type.Object({
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `${what} id` })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `${what} name` })),
});

/** The IAM (Keystone v3) token request, password method. Unknown members are ignored, as IAM does. */
export const TokenRequest = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String({ maxLength: 32 }), { minItems: 1, maxItems: 4, description: 'Must include "password".' }),
      password: Type.Object({
        user: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 64, description: 'User name.' }),
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          domain: IdOrName('Domain (account)'),
        }),
      }),
    }),
    scope: Type.Optional(Type.Object({
      project: Type.Optional(IdOrName('Project; the name is the region, cn-north-4')),
      domain: Type.Optional(IdOrName('Domain (account)')),
    }, { description: 'Absent: the account\'s project, which KooMessage needs.' })),
  }),
}, { $id: 'TokenRequest', title: 'TokenRequest' });

export type TokenRequestBody = Static<typeof TokenRequest>;

const Named = Type.Object({ id: Type.String(), name: Type.String() });

export const TokenResponse = Type.Object({
  token: Type.Object({
    expires_at: Type.String({ examples: ['2026-06-16T12:00:00.000000Z'] }),
    issued_at: Type.String({ examples: ['2026-06-15T12:00:00.000000Z'] }),
    methods: Type.Array(Type.String()),
    user: Type.Object({ id: Type.String(), name: Type.String(), domain: Named, password_expires_at: Type.String() }),
    project: Type.Optional(Type.Object({ id: Type.String(), name: Type.String(), domain: Named })),
    domain: Type.Optional(Named),
    roles: Type.Array(Named),
    catalog: Type.Array(Type.Unknown()),
  }),
}, { $id: 'TokenResponse', title: 'TokenResponse' });

export type TokenResponseBody = Static<typeof TokenResponse>;

/** IAM's (Keystone's) error body, used by `/v3/auth/*` only. */
export const IamErrorBody = Type.Object({
  error: Type.Object({
    code: Type.Integer({ examples: [401] }),
    title: Type.String({ examples: ['Unauthorized'] }),
    message: Type.String({ examples: ['The username or password is wrong.'] }),
  }),
}, { $id: 'IamErrorBody', title: 'IamErrorBody' });
