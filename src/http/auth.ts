import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, Unauthenticated } from '../domain/errors.js';
import { mayCall, type Operation, type Principal } from '../domain/identity.js';
import type { Authenticator } from '../identity/authenticator.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    principal?: Principal;
  }
}

/**
 * An onRequest hook that authenticates the caller and checks the role may call `operation`.
 * It runs before parameter validation, as the API gateway does: a request without valid
 * credentials learns nothing about its parameters.
 */
export function requireOperation(authenticator: Authenticator, operation: Operation) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await authenticator.authenticate({ headers: request.headers });
    if (!principal) {
      throw new Unauthenticated('Incorrect IAM authentication information: no X-Auth-Token header');
    }
    if (!mayCall(principal.user.role, operation)) throw new Forbidden();
    request.principal = principal;
  };
}

/** The principal the auth hook established; a route without the hook is a wiring bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}
