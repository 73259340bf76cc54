import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { cardCsp, newNonce, pageWithNonce } from '../domain/card-render.js';
import { linkMessagePage, type LinkAnswer, type Links } from '../service/links.js';
import type { AppDeps } from './deps.js';
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
  logger?: FastifyServerOptions['logger'];
  /** Unknown codes one address may ask for a minute before it is refused (enumeration). */
  missesPerMinute?: number;
}

/**
 * The link host: public, unauthenticated `GET /<aim_code>` on a listener of its own, apart from
 * the API. The Host header names the domain (codes are unique per domain). Answers: the
 * recipient's card, a 302 to its custom_url, 404 for an unknown code, 410 for an expired or
 * used-up link. An address that asks for many unknown codes is refused for a minute (429).
 */
export async function buildLinkApp(deps: LinkHostDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, routerOptions: { ignoreTrailingSlash: true } });
  const misses = new RateLimiterMemory({ points: deps.missesPerMinute ?? 60, duration: 60 });
  const page = (reply: FastifyReply, status: number, html: string | Buffer, nonce: string) => reply.status(status)
    .header('content-security-policy', cardCsp(nonce)).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(html);

  app.get('/:code', async (request, reply) => {
    const { code } = request.params as { code: string };
    const nonce = newNonce();
    const address = request.ip;
    const spent = await misses.get(address);
    if (spent && spent.remainingPoints <= 0) {
      return reply.status(429).header('retry-after', String(Math.ceil(spent.msBeforeNext / 1000))).type('text/plain; charset=utf-8').send('Too many unknown links.\n');
    }
    const domain = request.host.toLowerCase();
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
      ? await deps.links.click(request.host.toLowerCase(), code, Number(index), request.method, request.headers['user-agent'], visitorCookie(request.headers.cookie))
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
