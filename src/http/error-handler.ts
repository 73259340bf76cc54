import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCodes, TooManyRequests, type ErrorKind } from '../domain/errors.js';

/** The HTTP status of each kind of domain error. */
export const STATUS: Record<ErrorKind, number> = {
  InvalidParameter: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  TooManyRequests: 429,
  Unavailable: 503,
  Internal: 500,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  error_code: string;
  error_msg: string;
  error_message: string;
  request_id?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Error body family: KooMessage's (default) or IAM's, for `/v3/auth/*`. */
    errorStyle?: 'iam';
  }
}

function send(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string): void {
  if (request.routeOptions.config?.errorStyle === 'iam') {
    void reply.status(status).send({ error: { code: status, title: TITLES[status] ?? 'Error', message } });
    return;
  }
  const payload: ErrorBody = { error_code: code, error_msg: message, error_message: message };
  if (status === 401 || status === 429) payload.request_id = request.id;
  void reply.status(status).send(payload);
}

/**
 * The only place that knows HTTP statuses and the error bodies. Domain errors carry their own
 * code and message; the framework's own 4xx (bad JSON, wrong media type, oversize body) keep
 * their status with KM.80000002; a database that cannot answer now (`isUnavailable`) is a 500
 * saying so, with Retry-After; everything else is a generic 500. Each 5xx logs its cause once, here.
 */
export function errorHandlerFor(isUnavailable: (error: unknown) => boolean) {
  return function errorHandler(error: FastifyError | DomainError | Error, request: FastifyRequest, reply: FastifyReply): void {
    if (error instanceof DomainError) {
      const status = STATUS[error.kind];
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      if (error instanceof TooManyRequests) void reply.header('Retry-After', String(error.retryAfterSeconds));
      if (status === 503 && !reply.hasHeader('Retry-After')) void reply.header('Retry-After', '1');
      send(request, reply, status, error.code, error.message);
      return;
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      send(request, reply, status, ErrorCodes.invalidParameter, error.message);
      return;
    }
    if (isUnavailable(error)) {
      // The contract answers a database outage with its generic 500; the message and Retry-After
      // tell the client that retrying is right, and nothing of the driver's text leaks.
      request.log.error({ err: error }, 'database unavailable');
      void reply.header('Retry-After', '1');
      send(request, reply, 500, ErrorCodes.internal, 'the database is unavailable; retry shortly');
      return;
    }
    request.log.error({ err: error }, 'unexpected error');
    send(request, reply, 500, ErrorCodes.internal, 'internal error; quote the X-Request-Id header when reporting it');
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  send(request, reply, 404, ErrorCodes.routeNotFound, `no API at ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`);
}
