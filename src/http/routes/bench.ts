import type { FastifyInstance } from 'fastify';

/**
 * Benchmark reference ("framework limit"): `PUT /bench/echo` stores a body in memory and `GET
 * /bench/echo` answers it, through the same server, hooks and serialiser path as the API but with
 * no authentication and no database. A JSON body is answered as JSON; a text body (a page) is
 * answered byte for byte as HTML. Registered only with AIMLEDGER_BENCH_ROUTES=true.
 */
export async function benchRoutes(app: FastifyInstance): Promise<void> {
  let payload = '{}';
  let type = 'application/json';
  app.put('/bench/echo', { schema: { hide: true } }, async (request, reply) => {
    const text = typeof request.body === 'string';
    payload = text ? request.body as string : JSON.stringify(request.body);
    type = text ? 'text/html; charset=utf-8' : 'application/json';
    return reply.status(204).send();
  });
  app.get('/bench/echo', { schema: { hide: true } }, async (_request, reply) => reply.type(type).send(payload));
}
