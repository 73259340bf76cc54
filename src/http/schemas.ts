import { Type } from 'typebox';
import { ErrorCodes } from '../domain/errors.js';

/** A string with its description (and any other keywords). */
export const Str = (description: string, extra: Record<string, unknown> = {}) => Type.String({ description, ...extra });

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
