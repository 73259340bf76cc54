import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { cardCsp } from '../domain/card-render.js';
import { newNonce, pageWithNonce } from '../domain/card-page.js';
import { normaliseDomain } from '../domain/link.js';
import { memoryLimiters, type Limiters } from '../domain/limits.js';
import { linkMessagePage, type LinkAnswer, type Links } from '../service/links.js';
import { DEFAULTS, type HttpLimits } from '../config.js';
import type { Store } from '../store/store.js';
import type { AppDeps, Lifecycle } from './deps.js';
import { serverLimits } from './server-limits.js';
import { materialContentRoutes } from './routes/previews.js';

const AIM_CODE = /^[A-Za-z0-9]{3,10}$/;
/** The link host's first-party cookie: a random visitor id, for group links' unique counts. */
const VISITOR_COOKIE = 'aim_v';

function visitorCookie(header: string | undefined): string | undefined {
  const m = /(?:^|;\s*)aim_v=([A-Za-z0-9_-]{16,32})(?:;|$)/.exec(header ?? '');
  return m?.[1];
}

export interface LinkHostDeps {
  links: Links;
  materials: AppDeps['materials'];
  /** For readiness and telling a database outage (503) from a fault (500). */
  store: Pick<Store, 'ping' | 'isUnavailable'>;
  logger?: FastifyServerOptions['logger'];
  /** Where the misses count (shared by processes and instances); absent, this process's memory. */
  limiters?: Limiters;
  /** Unknown codes one address may ask for a minute before it is refused (enumeration). */
  missesPerMinute?: number;
  /** The same time limits and connection cap as the API's. */
  http?: HttpLimits;
  /** Draining: readiness answers 503 and connections close after their answer. */
  lifecycle?: Lifecycle;
}

const DEFAULT_HTTP_LIMITS: HttpLimits = DEFAULTS;

/**
 * The link host: public, unauthenticated `GET /<aim_code>` on a listener of its own, apart from
 * the API. The Host header names the domain (codes are unique per domain). Answers: the
 * recipient's card, a 302 to its custom_url, 404 for an unknown code, 410 for an expired or
 * used-up link. An address that asks for many unknown codes is refused for a minute (429).
 */
export async function buildLinkApp(deps: LinkHostDeps): Promise<FastifyInstance> {
  const limits = deps.http ?? DEFAULT_HTTP_LIMITS;
  const lifecycle = deps.lifecycle ?? { draining: false };
  const app = Fastify({
    logger: deps.logger ?? false,
    routerOptions: { ignoreTrailingSlash: true },
    // A phone on a slow network is still served; a client trickling bytes is not kept for ever.
    ...serverLimits(limits),
  });
  if (limits.maxConnections > 0) app.server.maxConnections = limits.maxConnections;
  const misses = (deps.limiters ?? memoryLimiters()).limiter({ name: 'link-misses', points: deps.missesPerMinute ?? 60, durationSeconds: 60 });
  const page = (reply: FastifyReply, status: number, html: string | Buffer, nonce: string) => reply.status(status)
    .header('content-security-policy', cardCsp(nonce)).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(html);

  // Health under /-/, which no link code can be (codes are letters and digits).
  app.get('/-/healthz', async () => ({ status: 'ok' }));
  app.get('/-/readyz', async (_request, reply) => {
    if (lifecycle.draining) return reply.status(503).header('retry-after', '1').send({ status: 'draining' });
    try {
      await deps.store.ping();
    } catch {
      return reply.status(503).header('retry-after', '1').send({ status: 'database unreachable' });
    }
    return { status: 'ready' };
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    return payload;
  });
  // A recipient never sees a stack or a JSON error: a database outage is a small page saying to
  // try again (503, Retry-After), anything else a small 500 page, logged.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const unavailable = deps.store.isUnavailable(error);
    const status = unavailable ? 503 : error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, unavailable ? 'link host: database unavailable' : 'link host: request failed');
    if (unavailable) reply.header('retry-after', '1');
    const message = status === 503 ? 'This page cannot be shown right now. Please try again in a moment.'
      : status >= 500 ? 'Something went wrong. Please try again later.' : 'This request cannot be answered.';
    return page(reply, status, linkMessagePage(status === 503 ? 'Try again' : 'Error', message), newNonce());
  });
  app.setNotFoundHandler((_request, reply) => page(reply, 404, linkMessagePage('Not found', 'This link does not exist.'), newNonce()));

  app.get('/:code', async (request, reply) => {
    const { code } = request.params as { code: string };
    const nonce = newNonce();
    const address = request.ip;
    const spent = await misses.get(address);
    if (spent && spent.remainingPoints <= 0) {
      return reply.status(429).header('retry-after', String(Math.ceil(spent.msBeforeNext / 1000))).type('text/plain; charset=utf-8').send('Too many unknown links.\n');
    }
    const domain = normaliseDomain(request.host);
    const answer: LinkAnswer = AIM_CODE.test(code)
      ? await deps.links.open(domain, code, request.method, request.headers['user-agent'], visitorCookie(request.headers.cookie))
      : { status: 404, title: 'Not found', message: 'This link does not exist.' };
    return send(request, reply, answer, nonce, address);
  });

  // A click on a card's link: counted, then on to its target.
  app.get('/:code/c/:index', async (request, reply) => {
    const { code, index } = request.params as { code: string; index: string };
    const nonce = newNonce();
    const answer: LinkAnswer = AIM_CODE.test(code) && /^[0-9]{1,3}$/.test(index)
      ? await deps.links.click(normaliseDomain(request.host), code, Number(index), request.method, request.headers['user-agent'], visitorCookie(request.headers.cookie))
      : { status: 404, title: 'Not found', message: 'This link does not exist.' };
    return send(request, reply, answer, nonce, request.ip);
  });

  async function send(request: FastifyRequest, reply: FastifyReply, answer: LinkAnswer, nonce: string, address: string) {
    if (answer.status === 404) await misses.consume(address).catch(() => undefined);
    if (answer.visitor) {
      reply.header('set-cookie', `${VISITOR_COOKIE}=${answer.visitor}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax${request.protocol === 'https' ? '; Secure' : ''}`);
    }
    if (answer.status === 302) return reply.status(302).header('location', answer.location).header('cache-control', 'no-store').send();
    if (answer.status === 200) return page(reply, 200, pageWithNonce(answer.page, nonce), nonce);
    return page(reply, answer.status, linkMessagePage(answer.title, answer.message), nonce);
  }

  // The card's materials, as on the API's host (cards load them from the page's own origin).
  await materialContentRoutes(app, deps);
  return app;
}
