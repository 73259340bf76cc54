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

/** Stable error codes. KM.* are KooMessage's own; APIG.* are the API gateway's. */
export const ErrorCodes = {
  invalidParameter: 'KM.80000002',
  signatureEmpty: 'KM.00001075',
  signatureLength: 'KM.00001076',
  templateNotFound: 'KM.00001080',
  templateIdEmpty: 'KM.00001081',
  templateUnavailable: 'KM.00001082',
  phoneListEmpty: 'KM.00001083',
  inputEmpty: 'KM.90016414',
  tooManyShortLinks: 'KM.90016416',
  invalidAimCodeType: 'KM.90016418',
  invalidTime: 'KM.90016458',
  timeRangeTooLong: 'KM.90016459',
  forbidden: 'KM.80020000',
  internal: 'KM.80000001',
  unauthenticated: 'APIG.0301',
  throttled: 'APIG.0308',
  routeNotFound: 'APIG.0101',
} as const;

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
    super('NotFound', ErrorCodes.invalidParameter, message);
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
    super('Conflict', ErrorCodes.invalidParameter, message);
  }
}

/** A dependency (the database) cannot answer now; readiness probes report it. */
export class Unavailable extends DomainError {
  constructor(message: string, options?: ErrorOptions) {
    super('Unavailable', ErrorCodes.internal, message, options);
  }
}

/** A bad setting (a variable, flag or key file): start-up stops with the message, which names it. */
export class ConfigError extends Error {}
