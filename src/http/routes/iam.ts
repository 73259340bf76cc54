import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { InvalidParameter } from '../../domain/errors.js';
import { REGION } from '../../domain/identity.js';
import type { IamService, PasswordLogin } from '../../service/iam.js';
import type { TokenRecord } from '../../domain/identity.js';
import type { AppDeps } from '../deps.js';
import { authenticate } from '../auth.js';

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

const ProjectsQuery = Type.Object({
  domain_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The region, e.g. cn-north-4' })),
  parent_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  enabled: Type.Optional(Type.Boolean()),
  is_domain: Type.Optional(Type.Boolean()),
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
});

const ProjectsResponse = Type.Object({
  projects: Type.Array(Type.Object({
    id: Type.String(), name: Type.String(), description: Type.String(), domain_id: Type.String(), parent_id: Type.String(),
    enabled: Type.Boolean(), is_domain: Type.Boolean(), links: Type.Object({ self: Type.String() }),
  })),
  links: Type.Object({ self: Type.String(), previous: Type.Null(), next: Type.Null() }),
}, { $id: 'ProjectsResponse', title: 'ProjectsResponse' });

const iamError = Type.Unsafe({ $ref: 'IamErrorBody#' });
const iamErrors = {
  400: { ...iamError, description: 'The request body is not a password-method token request.' },
  401: { ...iamError, description: 'Wrong user name, domain or password (never which); or a scope the user does not have.' },
  429: { ...iamError, description: 'Too many failed attempts from this address or for this user; see Retry-After.' },
};

/** IAM-style times: microseconds, UTC. */
function iamTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/** Role ids are stable per name, like IAM's built-in role ids. */
function roleId(name: string): string {
  return createHash('sha256').update(`aimledger role ${name}`).digest('hex').slice(0, 32);
}

function tokenBody(record: TokenRecord): TokenResponseBody {
  const domain = { id: record.account.domainId, name: record.account.name };
  return {
    token: {
      expires_at: iamTime(record.expiresAt),
      issued_at: iamTime(record.issuedAt),
      methods: [record.method],
      user: { id: record.user.publicId, name: record.user.name, domain, password_expires_at: '' },
      ...(record.scope === 'project' ? { project: { id: record.account.projectId, name: REGION, domain } } : { domain }),
      roles: [{ id: roleId(record.user.role), name: record.user.role }],
      catalog: [],
    },
  };
}

function idOrName(value: { id?: string | undefined; name?: string | undefined } | undefined, what: string): { id: string } | { name: string } {
  if (value?.id !== undefined) return { id: value.id };
  if (value?.name !== undefined) return { name: value.name };
  throw new InvalidParameter(`${what} needs an id or a name`);
}

function toLogin(body: TokenRequestBody): PasswordLogin {
  const { identity, scope } = body.auth;
  if (!identity.methods.includes('password')) {
    throw new InvalidParameter('auth.identity.methods must include "password": it is the only method supported');
  }
  const { user } = identity.password;
  const login: PasswordLogin = { userName: user.name, password: user.password, domain: idOrName(user.domain, 'auth.identity.password.user.domain') };
  if (scope?.project && scope.domain) throw new InvalidParameter('auth.scope names a project or a domain, not both');
  if (scope?.project) login.scope = { project: idOrName(scope.project, 'auth.scope.project') };
  else if (scope?.domain) login.scope = { domain: idOrName(scope.domain, 'auth.scope.domain') };
  return login;
}

/**
 * `POST /v3/auth/tokens` and `GET /v3/auth/tokens`, shaped as Huawei Cloud IAM (Keystone v3)
 * answers them, so existing clients sign in by changing only the endpoint. Errors use IAM's body.
 */
export async function iamRoutes(app: FastifyInstance, deps: AppDeps & { iam: IamService }): Promise<void> {
  app.post('/v3/auth/tokens', {
    config: { errorStyle: 'iam' },
    schema: {
      operationId: 'KeystoneCreateUserTokenByPassword',
      summary: 'Get an IAM token (password method)',
      description: 'The token comes back in the X-Subject-Token header; send it as X-Auth-Token. Valid for 24 hours.',
      tags: ['identity'],
      security: [],
      querystring: Type.Object({ nocatalog: Type.Optional(Type.String({ maxLength: 16 })) }),
      body: TokenRequest,
      response: { 201: TokenResponse, ...iamErrors },
    },
  }, async (request, reply) => {
    const { token, record } = await deps.iam.issueToken(toLogin(request.body as TokenRequestBody), request.ip);
    void reply.status(201).header('X-Subject-Token', token);
    return tokenBody(record);
  });

  // KeystoneListProjects: the official SDKs, given a region and no project id, look the project up
  // here (GET /v3/projects?name=<region>) before their first call.
  app.get('/v3/projects', {
    config: { errorStyle: 'iam' },
    schema: {
      operationId: 'KeystoneListProjects',
      summary: 'List the projects of the caller\'s account (IAM)',
      description: `Every account has one project, named after the region (${REGION}). Filters narrow it down; a filter it does not match answers an empty list. Authenticate with a token or a signature.`,
      tags: ['identity'],
      querystring: ProjectsQuery,
      response: { 200: ProjectsResponse, ...iamErrors },
    },
    preValidation: async (request) => {
      request.principal = await authenticate(deps.authenticator, request);
    },
  }, async (request) => {
    const caller = request.principal;
    if (!caller) throw new Error('route reached without authentication');
    const q = request.query as Static<typeof ProjectsQuery>;
    const { account } = caller;
    const base = `${request.protocol}://${request.host}/v3/projects`;
    const project = {
      id: account.projectId, name: REGION, description: '', domain_id: account.domainId, parent_id: account.domainId,
      enabled: true, is_domain: false, links: { self: `${base}/${account.projectId}` },
    };
    const matches = (q.name === undefined || q.name === project.name) && (q.domain_id === undefined || q.domain_id === project.domain_id)
      && (q.parent_id === undefined || q.parent_id === project.parent_id) && (q.enabled === undefined || q.enabled === project.enabled)
      && (q.is_domain === undefined || q.is_domain === project.is_domain) && (q.page ?? 1) === 1;
    const query = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString();
    return { projects: matches ? [project] : [], links: { self: query ? `${base}?${query}` : base, previous: null, next: null } };
  });

  app.get('/v3/auth/tokens', {
    config: { errorStyle: 'iam' },
    schema: {
      operationId: 'KeystoneValidateToken',
      summary: 'Validate an IAM token',
      description: 'Authenticate with X-Auth-Token (or a signature); the token to check goes in X-Subject-Token and must belong to the same account.',
      tags: ['identity'],
      headers: Type.Object({ 'x-subject-token': Type.String({ minLength: 1, maxLength: 2000 }) }),
      querystring: Type.Object({ nocatalog: Type.Optional(Type.String({ maxLength: 16 })) }),
      response: { 200: TokenResponse, ...iamErrors, 404: { ...iamError, description: 'The subject token is unknown, expired or another account\'s.' } },
    },
    preValidation: async (request) => {
      request.principal = await authenticate(deps.authenticator, request);
    },
  }, async (request, reply) => {
    const subject = request.headers['x-subject-token'] as string;
    const caller = request.principal;
    if (!caller) throw new Error('route reached without authentication');
    const record = await deps.iam.validateToken(subject, caller.account.id);
    void reply.header('X-Subject-Token', subject);
    return tokenBody(record);
  });
}
