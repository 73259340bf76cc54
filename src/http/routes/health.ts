import type { FastifyInstance } from 'fastify';
import { Unavailable } from '../../domain/errors.js';
import type { Store } from '../../store/store.js';
import type { Lifecycle } from '../deps.js';

/**
 * `/healthz`: the process answers. `/readyz`: the database answers too and the server is not
 * shutting down (503 otherwise, so a load balancer stops sending work); with a read replica it
 * also says the replica's state and lag.
 */
export async function healthRoutes(app: FastifyInstance, deps: { store: Store; lifecycle: Lifecycle }): Promise<void> {
  app.get('/healthz', {
    schema: {
      operationId: 'Healthz', summary: 'Liveness: the process answers', tags: ['operations'], security: [],
      response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } }, required: ['status'] } },
    },
  }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    schema: {
      operationId: 'Readyz', tags: ['operations'], security: [],
      summary: 'Readiness: the database answers and the server is not shutting down (503 otherwise)',
      description: 'With a read replica, also its state and lag; a replica down or behind does not make the server unready (reads go to the primary).',
      response: {
        200: {
          type: 'object', required: ['status', 'database'],
          properties: {
            status: { type: 'string', enum: ['ready'] },
            database: { type: 'string', enum: ['sqlite', 'postgres'] },
            replica: {
              type: 'object', required: ['state', 'lag_ms', 'lag_bytes'],
              properties: { state: { type: 'string', enum: ['up', 'lagging', 'down'] }, lag_ms: { type: ['number', 'null'] }, lag_bytes: { type: ['number', 'null'] } },
            },
          },
        },
        503: { $ref: 'ErrorBody#' },
      },
    },
  }, async () => {
    if (deps.lifecycle.draining) throw new Unavailable('shutting down');
    try {
      await deps.store.ping();
    } catch (err) {
      // The error handler logs it once, with this cause.
      throw new Unavailable('database unreachable', { cause: err });
    }
    // A replica that is down or behind does not make the server unready: reads go to the primary.
    const replica = deps.store.replicaStatus();
    return {
      status: 'ready', database: deps.store.backend,
      ...(replica ? { replica: { state: replica.state, lag_ms: replica.lagMs, lag_bytes: replica.lagBytes } } : {}),
    };
  });
}
