import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, Unauthenticated } from '../domain/errors.js';
import { mayCall, REGION, type Operation, type Principal } from '../domain/identity.js';
import type { Authenticator, Credentials } from '../identity/authenticator.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated route. */
    principal?: Principal;
    /** A signed request's body as received (any media type), kept for signature verification. */
    rawBody?: Buffer;
  }
}

/** What an authenticator may look at, taken from the request. */
export function credentialsOf(request: FastifyRequest): Credentials {
  return { method: request.method, url: request.url, headers: request.headers, body: request.rawBody, address: request.ip };
}

/** Authenticates the caller; 401 when the request carries no credentials at all. */
export async function authenticate(authenticator: Authenticator, request: FastifyRequest): Promise<Principal> {
  const principal = await authenticator.authenticate(credentialsOf(request));
  if (!principal) {
    throw new Unauthenticated('Incorrect IAM authentication information: send an X-Auth-Token header or sign the request with an access key (Authorization: SDK-HMAC-SHA256 …)');
  }
  return principal;
}

/**
 * A preValidation hook that authenticates the caller (token or AK/SK signature), checks the
 * project, and checks the role may call `operation`. It runs after the body is read (a signature
 * covers it) and before parameters are validated, as the API gateway does: a request without
 * valid credentials learns nothing about its parameters.
 */
export function requireOperation(authenticator: Authenticator, operation: Operation) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const principal = await authenticate(authenticator, request);
    // KooMessage is a project-level service: a domain-scoped token does not reach it.
    if (principal.scope !== 'project') {
      throw new Unauthenticated(`Incorrect IAM authentication information: the token is scoped to a domain; KooMessage needs a token scoped to project ${REGION}`);
    }
    const project = request.headers['x-project-id'];
    if (project !== undefined && project !== principal.account.projectId) {
      throw new Unauthenticated('Incorrect IAM authentication information: X-Project-Id is not the project of these credentials');
    }
    if (!mayCall(principal.user.role, operation)) {
      throw new Forbidden(`the role ${principal.user.role} may not call this operation`);
    }
    request.principal = principal;
  };
}

/** The principal the auth hook established; a route without the hook is a wiring bug. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}
