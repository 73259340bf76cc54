import { Type, type TSchema } from 'typebox';
import { ErrorCodes } from '../domain/errors.js';

/** The schema, or null. */
export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/** Every 4xx/5xx body of this service (KooMessage's AimErrorMsg; request_id added on 401). */
export const ErrorBody = Type.Object({
  error_code: Type.String({ examples: [ErrorCodes.invalidParameter] }),
  error_msg: Type.String(),
  error_message: Type.String({ description: 'Deprecated twin of error_msg, kept for old clients.' }),
  request_id: Type.Optional(Type.String()),
}, { $id: 'ErrorBody', title: 'ErrorBody' });

export const PageInfo = Type.Object({
  offset: Type.Integer(),
  limit: Type.Integer(),
  total: Type.Integer({ description: 'Exact number of rows matching the filters.' }),
}, { $id: 'Page', title: 'Page' });

/** IAM's (Keystone's) error body, used by `/v3/auth/*` only. */
export const IamErrorBody = Type.Object({
  error: Type.Object({
    code: Type.Integer({ examples: [401] }),
    title: Type.String({ examples: ['Unauthorized'] }),
    message: Type.String({ examples: ['The username or password is wrong.'] }),
  }),
}, { $id: 'IamErrorBody', title: 'IamErrorBody' });

/** Options TypeBox passes through to the schema: the validator's annotations (see validation.ts). */
type Annotated = Record<string, unknown>;

/** Text as the contract takes it: at most `max` characters, never a NUL. */
export const Text = (max: number, options: Annotated = {}) => Type.String({ maxLength: max, 'x-no-nul': true, ...options });

/** Required text: absent, null or blank fail as "required" (with the code `x-codes.required` names). */
export const RequiredText = (max: number, options: Annotated = {}) => Text(max, { 'x-not-blank': true, ...options });

/** A contract time, `2019-10-12T07:20:50Z` (optional milliseconds, UTC): malformed or impossible dates are KM.90016458. */
export const ContractTime = (description: string, format: 'contract-time' | 'report-time' = 'contract-time') => Type.String({
  maxLength: 30, format, examples: ['2019-10-12T07:20:50Z'], description, 'x-no-nul': true,
  'x-codes': { value: ErrorCodes.invalidTime }, 'x-rule': 'a UTC time like 2019-10-12T07:20:50Z (optionally with milliseconds)',
});

/** One of these texts; messages say "must be <rule>". */
export const OneOf = (values: readonly string[], rule?: string) => Type.String({ enum: [...values], 'x-rule': rule ?? `one of ${values.join(', ')}` });

/** KooMessage's `{status: "200", message: "success", data}` answer. */
export const Envelope = <T extends TSchema>(data: T) => Type.Object({
  status: Type.String({ examples: ['200'] }), message: Type.String({ examples: ['success'] }), data,
});
