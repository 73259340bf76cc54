import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { materialIdsOf } from '../../domain/aim-template.js';
import { cardCsp, renderCard } from '../../domain/card-render.js';
import type { AppDeps } from '../deps.js';

const PREVIEW_KEY = /^[A-Za-z0-9_-]{24}$/;

/**
 * Template previews: `/previews/<key>` shows the card with its variables filled from their
 * examples, to anyone who has the URL (as a shared document is), so no credentials are asked.
 * The key is 144 random bits; an unknown or deleted template's URL is a plain 404.
 */
export async function previewRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'store'>): Promise<void> {
  app.get('/previews/:key', { schema: { hide: true } }, async (request, reply) => {
    const { key } = request.params as { key: string };
    const found = PREVIEW_KEY.test(key) ? await deps.store.templates.byPreviewKey(key) : undefined;
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (!found) {
      const nonce = randomBytes(12).toString('base64');
      return reply.status(404).header('content-security-policy', cardCsp(nonce)).type('text/html; charset=utf-8')
        .send('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title></head><body><p>No such preview.</p></body></html>');
    }
    const { accountId, template } = found;
    const keys = await deps.store.materials.objectKeys(accountId, materialIdsOf(template.pages));
    const nonce = randomBytes(12).toString('base64');
    const values = Object.fromEntries(template.params.map((p) => [p.key, p.example]));
    const html = renderCard(template, {
      values, nonce, banner: `Preview of template ${template.tplId}: variables show their examples`,
      materialUrl: (id) => (keys.has(id) ? `/materials/${keys.get(id) as string}` : null),
    });
    return reply.header('content-security-policy', cardCsp(nonce)).type('text/html; charset=utf-8').send(html);
  });
}
