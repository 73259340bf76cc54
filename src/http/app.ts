import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULTS } from '../config.js';
import { VERSION } from '../version.js';
import { SIGNING_ALGORITHM } from '../identity/signature.js';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { TooManyRequests, Unavailable } from '../domain/errors.js';
import { AnonymousLimit } from './anonymous-limit.js';
import { limiterStore } from './limiter-store.js';
import { memoryLimiters } from '../domain/limits.js';
import { errorHandlerFor, notFoundHandler } from './error-handler.js';
import { benchRoutes } from './routes/bench.js';
import { serverLimits } from './server-limits.js';
import { healthRoutes } from './routes/health.js';
import { iamRoutes } from './routes/iam.js';
import { materialContentRoutes, previewRoutes } from './routes/previews.js';
import { materialRoutes } from './routes/materials.js';
import { resolveDetailsRoutes } from './routes/resolve-details.js';
import { resolveTaskRoutes } from './routes/resolve-tasks.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { templateReportRoutes } from './routes/template-reports.js';
import { kannelRoutes } from './routes/kannel.js';
import { callbackRoutes } from './routes/callbacks.js';
import { deliveryReportRoutes } from './routes/delivery-reports.js';
import { sendReportRoutes } from './routes/send-reports.js';
import { sendTaskRoutes } from './routes/send-tasks.js';
import { templateRoutes } from './routes/templates.js';
import type { AppDeps } from './deps.js';
import { sendDetailsRoutes } from './routes/send-details.js';
import { contractValidatorCompiler } from './validation.js';
import { ErrorBody, IamErrorBody } from './schemas.js';

export const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';

/** The largest request body accepted (413 beyond). */
const BODY_LIMIT = 1024 * 1024;

/** Where `npm run build:console` (run by `npm ci` through `prepare`) writes the web console. */
export const CONSOLE_DIR = join(import.meta.dirname, '..', '..', 'console', 'dist');

/** The product's icon: a ledger's ruled page with a message bubble's tail. */
const FAVICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M5 4h22a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H13l-6 5v-5H5a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" fill="#2f5d9b"/><path d="M8 10h16M8 14h16M8 18h10" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>\n';

/** The console loads nothing from another host; the policy says so to the browser too. */
const CONSOLE_CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** Builds the HTTP app with every route and hook wired by hand. Never listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.http ?? DEFAULTS;
  const app = Fastify({
    logger: deps.logger ?? false,
    // A hop count becomes the function form (the framework's own numeric form is not typed).
    trustProxy: typeof deps.trustProxy === 'number'
      ? ((hops: number) => (_address: string, hop: number) => hop < hops)(deps.trustProxy)
      : deps.trustProxy ?? false,
    // 32 hex characters, like the request ids Huawei Cloud returns.
    genReqId: () => randomUUID().replaceAll('-', ''),
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ...serverLimits(limits),
  });
  // Past the cap, new connections are closed at once rather than queued.
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  const lifecycle = deps.lifecycle ?? { draining: false };

  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    // Draining: each connection closes after its answer, so clients reconnect elsewhere.
    if (lifecycle.draining) reply.header('connection', 'close');
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('content-type', JSON_CONTENT_TYPE);
    }
    return payload;
  });
  app.setErrorHandler(errorHandlerFor((error) => deps.store.isUnavailable(error)));

  // Where every limit counts: shared by the server's processes and instances when the server
  // passes its limiters, this process's memory otherwise (tests that build one app).
  const limiters = deps.limiters ?? memoryLimiters();
  // Anonymous and failing requests are limited per address; valid credentials are not.
  const anonymousPerMinute = deps.unauthenticatedPerMinute ?? DEFAULTS.unauthenticatedPerMinute;
  const anonymous = anonymousPerMinute > 0 ? new AnonymousLimit(anonymousPerMinute, limiters) : undefined;
  anonymous?.register(app);
  const routeDeps = anonymous ? { ...deps, authenticator: anonymous.guard(deps.authenticator) } : deps;
  app.setNotFoundHandler(notFoundHandler);

  const metrics = deps.metrics;
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
  }

  // Shed load before every request gets slow: past this event-loop delay new requests get a 503
  // (with the error body and Retry-After) until the process catches up. Health checks still answer.
  const maxDelay = deps.maxEventLoopDelayMs ?? 1000;
  if (maxDelay > 0) {
    await app.register(underPressure, {
      maxEventLoopDelay: maxDelay,
      exposeStatusRoute: false,
      pressureHandler: (_request, reply) => {
        void reply.header('Retry-After', '1');
        throw new Unavailable('the server is overloaded; retry in a second');
      },
    });
  }

  // Per-account request limits on the API, counted after authentication (preHandler), so one
  // account's burst does not use up another's.
  const perMinute = deps.rateLimitPerMinute ?? 6000;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      hook: 'preHandler',
      max: perMinute,
      timeWindow: 60_000,
      allowList: (request) => !request.url.startsWith('/v1/aim/'),
      keyGenerator: (request) => (request.principal ? `account:${request.principal.account.id}` : `address:${request.ip}`),
      store: limiterStore(limiters.limiter({ name: 'api', points: perMinute, durationSeconds: 60 })),
      errorResponseBuilder: (_request, context) => new TooManyRequests(`rate limit of ${context.max} requests a minute reached; retry in ${context.after}`, Math.max(1, Math.ceil(context.ttl / 1000))),
    });
  }
  // A signed request's body is covered by its signature whatever its media type: keep its raw
  // bytes before any parser sees them. Only signed requests with a body pay for the copy.
  app.addHook('preParsing', async (request, _reply, payload) => {
    const authorization = request.headers.authorization;
    if (typeof authorization !== 'string' || !authorization.trimStart().startsWith(SIGNING_ALGORITHM)) return payload;
    if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > BODY_LIMIT) throw Object.assign(new Error('Request body is too large'), { statusCode: 413 });
      chunks.push(chunk as Buffer);
    }
    request.rawBody = Buffer.concat(chunks);
    const replay = Readable.from([request.rawBody]) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = size;
    return replay;
  });

  // A request with a JSON content type and no body (clients set the header on every call) has no
  // body, as one without the header: each operation's schema then says whether it needs one.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });

  app.addSchema(ErrorBody);
  app.addSchema(IamErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'aimledger',
        version: VERSION,
        description: 'KooMessage-compatible intelligent message (AIM) API: send details, recipient by recipient.',
      },
      components: {
        securitySchemes: {
          iamToken: {
            type: 'apiKey', in: 'header', name: 'X-Auth-Token',
            description: 'An IAM token from `POST /v3/auth/tokens` (X-Subject-Token) or `aimledger token create`.',
          },
          akskSignature: {
            type: 'apiKey', in: 'header', name: 'Authorization',
            description: 'Huawei Cloud AK/SK signature, `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` with X-Sdk-Date, as the official SDKs send it. Keys come from `aimledger key create`.',
          },
        },
      },
      security: [{ iamToken: [] }, { akskSignature: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  await app.register(async (scope) => healthRoutes(scope, { store: deps.store, lifecycle }));
  await app.register(async (scope) => iamRoutes(scope, routeDeps));
  await app.register(async (scope) => previewRoutes(scope, routeDeps));
  await app.register(async (scope) => materialContentRoutes(scope, routeDeps));
  // The KooMessage operations: requests validated by ajv against their schemas, failures answered
  // with the contract's codes (validation.ts).
  await app.register(async (aim) => {
    aim.setValidatorCompiler(contractValidatorCompiler);
    for (const routes of [sendDetailsRoutes, callbackRoutes, sendTaskRoutes, sendReportRoutes, templateRoutes, materialRoutes, resolveDetailsRoutes, resolveTaskRoutes, capabilityRoutes, templateReportRoutes, deliveryReportRoutes]) {
      await aim.register(async (scope) => routes(scope, routeDeps));
    }
  });
  const kannelDlrSecret = deps.kannelDlrSecret;
  if (kannelDlrSecret) await app.register(async (scope) => kannelRoutes(scope, { ...routeDeps, kannelDlrSecret }));
  if (deps.benchRoutes) await app.register(benchRoutes);
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      return payload;
    });
    if (existsSync(join(CONSOLE_DIR, 'index.html'))) {
      // Two routes, not the plugin's wildcard: the router ignores trailing slashes, so /console
      // and /console/ are one route here.
      await scope.register(fastifyStatic, { root: CONSOLE_DIR, serve: false });
      scope.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
      scope.get('/console/assets/*', { schema: { hide: true } }, async (request, reply) => {
        const file = (request.params as { '*': string })['*'];
        // Vite names assets by content hash: they never change.
        return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(`assets/${file}`);
      });
    } else {
      scope.get('/console*', { schema: { hide: true } }, async (_request, reply) => reply.status(503).type('text/plain; charset=utf-8')
        .send('The web console is not built: run npm run build:console (npm ci does it).\n'));
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // After swagger is registered, so the document lists it.
  if (metrics) {
    app.get('/metrics', {
      schema: {
        operationId: 'Metrics', summary: 'Prometheus metrics (text exposition format)', tags: ['operations'], security: [],
        response: { 200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  }
  // A browser pointed at the server lands in the console; its tab shows the product's icon.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console', 302));
  for (const path of ['/favicon.ico', '/favicon.svg']) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON));
  }
  return app;
}
