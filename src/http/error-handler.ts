import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCodes, type ErrorKind } from '../domain/errors.js';

const STATUS: Record<ErrorKind, number> = {
  InvalidParameter: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  Conflict: 409,
  Unavailable: 503,
  Internal: 500,
};

export interface ErrorBody {
  error_code: string;
  error_msg: string;
  error_message: string;
  request_id?: string;
}

function body(code: string, message: string): ErrorBody {
  return { error_code: code, error_msg: message, error_message: message };
}

/**
 * The only place that knows HTTP statuses and the KooMessage error body. Domain errors carry their
 * own code and message; the framework's own 4xx (bad JSON, wrong media type, oversize body) keep
 * their status with KM.80000002; everything else is a generic 500 whose cause goes to the log only.
 */
export function errorHandler(error: FastifyError | DomainError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof DomainError) {
    const status = STATUS[error.kind];
    const payload = body(error.code, error.message);
    if (status === 401) payload.request_id = request.id;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.status(status).send(payload);
    return;
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    void reply.status(status).send(body(ErrorCodes.invalidParameter, error.message));
    return;
  }
  request.log.error({ err: error }, 'unexpected error');
  void reply.status(500).send(body(ErrorCodes.internal, 'internal error; quote the X-Request-Id header when reporting it'));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send(body(ErrorCodes.routeNotFound, `no API at ${request.method} ${request.url.split("?")[0]?.slice(0, 200)}`));
}
