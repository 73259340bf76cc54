/**
 * The one catalogue of domain errors. Services throw these; `src/http/error-handler.ts` is the only
 * place that turns them into HTTP statuses and KooMessage bodies.
 */
export type ErrorKind =
  | 'InvalidParameter'
  | 'Unauthenticated'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'TooManyRequests'
  | 'Unavailable'
  | 'Internal';

/** Base class: a stable KooMessage-style code plus a message safe to show to the caller. */
export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = kind;
  }
}

/** One kind of failure the API reports: its stable code, what it means, and its error class. */
export interface CatalogueEntry {
  /** KM.* are KooMessage's own codes; APIG.* are the API gateway's. */
  readonly code: string;
  readonly kind: ErrorKind;
  /** What it means; the message of an answer says more (which field, which rule). */
  readonly summary: string;
}

/**
 * The one catalogue of error codes. Nothing else in src/ writes a KM.* or APIG.* code (a test
 * checks); the HTTP status of each kind is in src/http/error-handler.ts, and the OpenAPI document's
 * error responses are generated from this table.
 */
export const ERROR_CATALOGUE = {
  invalidParameter: { code: 'KM.80000002', kind: 'InvalidParameter', summary: 'Invalid parameter' },
  signatureEmpty: { code: 'KM.00001075', kind: 'InvalidParameter', summary: 'The SMS signature is empty' },
  signatureLength: { code: 'KM.00001076', kind: 'InvalidParameter', summary: 'The SMS signature is longer than 18 characters' },
  templateNotFound: { code: 'KM.00001080', kind: 'InvalidParameter', summary: 'The AIM template does not exist' },
  templateIdEmpty: { code: 'KM.00001081', kind: 'InvalidParameter', summary: 'The AIM template id is empty' },
  templateUnavailable: { code: 'KM.00001082', kind: 'InvalidParameter', summary: 'The AIM template is disabled or not approved' },
  smsTemplateWithoutLink: { code: 'KM.00001377', kind: 'InvalidParameter', summary: 'The SMS template has no mark for the resolve link' },
  phoneListEmpty: { code: 'KM.00001083', kind: 'InvalidParameter', summary: 'The recipient list is empty' },
  inputEmpty: { code: 'KM.90016414', kind: 'InvalidParameter', summary: 'A required parameter is empty' },
  paramsEmpty: { code: 'KM.90016415', kind: 'InvalidParameter', summary: 'The list of params is empty' },
  signatureCount: { code: 'KM.90016417', kind: 'InvalidParameter', summary: 'sms_signs must hold 1 to 5 signatures' },
  tooManyShortLinks: { code: 'KM.90016416', kind: 'InvalidParameter', summary: 'Too many recipients in one task' },
  invalidAimCodeType: { code: 'KM.90016418', kind: 'InvalidParameter', summary: 'aim_code_type must be individual' },
  invalidTime: { code: 'KM.90016458', kind: 'InvalidParameter', summary: 'A time is malformed, or begin_time is later than end_time' },
  timeRangeTooLong: { code: 'KM.90016459', kind: 'InvalidParameter', summary: 'begin_time is more than a year back' },
  unauthenticated: { code: 'APIG.0301', kind: 'Unauthenticated', summary: 'Missing or invalid credentials' },
  forbidden: { code: 'KM.80020000', kind: 'Forbidden', summary: 'The role of this user may not call this operation' },
  notFound: { code: 'KM.80000002', kind: 'NotFound', summary: 'The thing named does not exist' },
  routeNotFound: { code: 'APIG.0101', kind: 'NotFound', summary: 'No API at this method and path' },
  conflict: { code: 'KM.80000002', kind: 'Conflict', summary: 'The thing to create exists already' },
  throttled: { code: 'APIG.0308', kind: 'TooManyRequests', summary: 'Too many requests; retry after Retry-After' },
  internal: { code: 'KM.80000001', kind: 'Internal', summary: 'Internal error, or the database cannot answer now (retry after Retry-After)' },
  unavailable: { code: 'KM.80000001', kind: 'Unavailable', summary: 'Overloaded or shutting down; retry after Retry-After' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorName = keyof typeof ERROR_CATALOGUE;

/** The codes by name, for the error classes below and their callers. */
export const ErrorCodes = Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([name, e]) => [name, e.code])) as {
  [N in ErrorName]: (typeof ERROR_CATALOGUE)[N]['code'];
};

export class InvalidParameter extends DomainError {
  constructor(message: string, code: string = ErrorCodes.invalidParameter) {
    super('InvalidParameter', code, message);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Incorrect IAM authentication information: token missing, invalid or expired') {
    super('Unauthenticated', ErrorCodes.unauthenticated, message);
  }
}

export class Forbidden extends DomainError {
  constructor(message = 'the role of this user may not call this operation') {
    super('Forbidden', ErrorCodes.forbidden, message);
  }
}

/** The thing named does not exist (or is not the caller's to see). */
export class NotFound extends DomainError {
  constructor(message: string) {
    super('NotFound', ErrorCodes.notFound, message);
  }
}

/** Too many attempts; the caller may retry after `retryAfterSeconds`. */
export class TooManyRequests extends DomainError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super('TooManyRequests', ErrorCodes.throttled, message);
  }
}

/** The thing to create exists already (an account or user name). */
export class Conflict extends DomainError {
  constructor(message: string) {
    super('Conflict', ErrorCodes.conflict, message);
  }
}

/** A dependency (the database) cannot answer now; readiness probes report it. */
export class Unavailable extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('Unavailable', ErrorCodes.unavailable, message, options);
  }
}

/** A bad setting (a variable, flag or key file): start-up stops with the message, which names it. */
export class ConfigError extends Error {}
