import type { FastifyInstance } from 'fastify';
import { cardCsp } from '../../domain/card-render.js';
import { newNonce, pageWithNonce } from '../../domain/card-page.js';
import type { AppDeps } from '../deps.js';

const PREVIEW_KEY = /^[A-Za-z0-9_-]{24}$/;

/**
 * Template previews: `/previews/<key>` shows the card with its variables filled from their
 * examples, to anyone who has the URL (as a shared document is), so no credentials are asked.
 * The key is 144 random bits; an unknown or deleted template's URL is a plain 404.
 */
export async function previewRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'templates'>): Promise<void> {
  app.get('/previews/:key', { schema: { hide: true } }, async (request, reply) => {
    const { key } = request.params as { key: string };
    const found = PREVIEW_KEY.test(key) ? await deps.templates.previewCard(key) : undefined;
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!found) {
      const nonce = newNonce();
      return reply.status(404).header('content-security-policy', cardCsp(nonce)).type('text/html; charset=utf-8')
        .send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><p>No such preview.</p></body></html>');
    }
    const nonce = newNonce();
    const html = pageWithNonce(found.page, nonce);
    return reply.header('content-security-policy', cardCsp(nonce)).type('text/html; charset=utf-8').send(html);
  });
}

const OBJECT_KEY = /^[A-Za-z0-9_-]{24}$/;

/** `/materials/<key>`: a material's bytes, without credentials (cards load them), at a URL nobody can guess. */
export async function materialContentRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'materials'>): Promise<void> {
  app.get('/materials/:key', { schema: { hide: true } }, async (request, reply) => {
    const { key } = request.params as { key: string };
    const found = OBJECT_KEY.test(key) ? await deps.materials.content(key) : undefined;
    reply.header('x-content-type-options', 'nosniff').header('content-security-policy', "default-src 'none'; sandbox");
    if (!found) return reply.status(404).type('text/plain; charset=utf-8').send('No such material.\n');
    // The key names these bytes for ever: a new upload gets a new key.
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(found.contentType).send(found.bytes);
  });
}
