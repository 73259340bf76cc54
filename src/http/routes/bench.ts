import type { FastifyInstance } from 'fastify';

/**
 * Benchmark reference ("framework limit"): `PUT /bench/echo` stores a JSON body in memory and
 * `GET /bench/echo` answers it, through the same server, hooks and serialiser path as the API but
 * with no authentication and no database. Registered only with AIMLEDGER_BENCH_ROUTES=true.
 */
export async function benchRoutes(app: FastifyInstance): Promise<void> {
  let payload = '{}';
  app.put('/bench/echo', { schema: { hide: true } }, async (request, reply) => {
    payload = JSON.stringify(request.body);
    return reply.status(204).send();
  });
  app.get('/bench/echo', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(payload));
}
