import type { FastifyInstance } from 'fastify';
import { Unavailable } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';

/** `/healthz`: the process answers. `/readyz`: the database answers too (503 when it does not). */
export async function healthRoutes(app: FastifyInstance, deps: { store: Store }): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (request) => {
    try {
      await deps.store.ping();
    } catch (err) {
      request.log.warn({ err }, 'readiness check: database unreachable');
      throw new Unavailable('database unreachable');
    }
    return { status: 'ready', database: deps.store.backend };
  });
}
