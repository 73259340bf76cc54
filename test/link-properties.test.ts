import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../src/domain/clock.js';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody, plainCardBody } from './helpers/card-body.js';
import { LINK_DOMAIN, NOW, testStack } from './helpers/factories.js';
import { tenantWithReferences } from './helpers/pipeline.js';
import { Receiver } from './helpers/receiver.js';

type Json = Record<string, unknown>;

const BROWSER = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * One step of a scenario: a person opens a link (several people at once with `crowd`), a link
 * preview or a HEAD request fetches it, or time passes.
 */
type Step =
  | { kind: 'person'; link: number; crowd: number }
  | { kind: 'preview' | 'head'; link: number }
  | { kind: 'wait'; hours: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('person' as const), link: fc.nat(3), crowd: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('preview' as const, 'head' as const), link: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 30 }) }) },
);

const scenario = fc.record({
  /** The group link's resolving_times. */
  resolvingTimes: fc.integer({ min: 2, max: 6 }),
  /** Days until the group link expires; the individual links expire after one day. */
  groupDays: fc.integer({ min: 1, max: 2 }),
  steps: fc.array(step, { minLength: 1, maxLength: 14 }),
});

/** What the oracle says one link is after the steps. */
interface Model {
  code: string;
  group: boolean;
  expiresAt: number;
  resolvingTimes: number;
  resolved: number;
  status: 'unresolved' | 'success' | 'fail';
}

for (const backend of BACKENDS) {
  describe(`links against an oracle on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('random resolves, crowds, previews and expiries: answers, resolve details, counters and receipts agree with the oracle', { timeout: 240_000 }, async () => {
      let now = NOW;
      const clock: Clock = () => new Date(now);
      const receiver = new Receiver();
      const base = await receiver.start();
      const { app, worker, linkApp } = await testStack(store, { clock, templateAutoApprove: true, allowPrivate: true });
      const api = async (token: string, method: 'GET' | 'POST', url: string, payload?: Json) => {
        const res = await app.inject({ method, url, headers: { 'x-auth-token': token }, ...(payload ? { payload } : {}) });
        assert.ok(res.statusCode === 200, `${method} ${url}: ${res.statusCode} ${res.body}`);
        return res.json() as Json;
      };
      const open = (server: FastifyInstance, code: string, agent: string, method: 'GET' | 'HEAD' = 'GET') =>
        server.inject({ method, url: `/${code}`, headers: { host: LINK_DOMAIN, 'user-agent': agent } });

      await fc.assert(fc.asyncProperty(scenario, async ({ resolvingTimes, groupDays, steps }) => {
        now = NOW;
        const tenant = await tenantWithReferences(store, 'te_admin');
        await api(tenant.token, 'POST', '/v1/aim/callbacks', { callback_url: `${base}/r`, url_type: 0 });
        const plainId = ((await api(tenant.token, 'POST', '/v1/aim/templates', plainCardBody())).data as Json).tpl_id as string;
        const cardId = ((await api(tenant.token, 'POST', '/v1/aim/templates', cardBody())).data as Json).tpl_id as string;
        const group = await api(tenant.token, 'POST', '/v1/aim/resolve-tasks', {
          tpl_id: plainId, aim_code_type: 'group', expiration_time: groupDays, resolving_times: resolvingTimes, sms_signs: ['华为云'], params: [{ cust_flag: 'crowd' }],
        });
        const individual = await api(tenant.token, 'POST', '/v1/aim/resolve-tasks', {
          tpl_id: cardId, aim_code_type: 'individual', expiration_time: 1, resolving_times: 1, sms_signs: ['华为云'],
          params: [1, 2, 3].map((i) => ({ cust_flag: `1310000000${i}`, dync_params: { param1: `客户${i}` } })),
        });
        const code = (p: Json) => (p.aim_url as string).split('/')[1] as string;
        const models: Model[] = [
          { code: code((group.params as Json[])[0] as Json), group: true, expiresAt: NOW + groupDays * DAY_MS, resolvingTimes, resolved: 0, status: 'unresolved' },
          ...(individual.params as Json[]).map((p): Model => ({ code: code(p), group: false, expiresAt: NOW + DAY_MS, resolvingTimes: 1, resolved: 0, status: 'unresolved' })),
        ];

        for (const s of steps) {
          if (s.kind === 'wait') {
            // The outbox worker runs all the time: receipts go out before time passes (a receipt
            // still undelivered after 72 hours is given up, by design).
            await worker.drain();
            now += s.hours * HOUR_MS;
            continue;
          }
          const m = models[s.link] as Model;
          const expired = now >= m.expiresAt;
          if (s.kind === 'person') {
            // A crowd opens at once: the transaction decides who resolves.
            const answers = await Promise.all(Array.from({ length: s.crowd }, () => open(linkApp, m.code, BROWSER)));
            const expected: number[] = [];
            for (let i = 0; i < s.crowd; i++) {
              if (expired) {
                if (m.status === 'unresolved') m.status = 'fail';
                expected.push(410);
              } else if (m.group) {
                if (m.resolved < m.resolvingTimes) {
                  m.resolved += 1;
                  m.status = 'success';
                  expected.push(200);
                } else expected.push(410);
              } else {
                if (m.resolved === 0) {
                  m.resolved = 1;
                  m.status = 'success';
                }
                expected.push(200);
              }
            }
            assert.deepEqual(answers.map((a) => a.statusCode).sort(), expected.sort(), `${s.crowd} people open ${m.code}`);
          } else {
            const answer = await open(linkApp, m.code, s.kind === 'head' ? BROWSER : 'WhatsApp/2.24', s.kind === 'head' ? 'HEAD' : 'GET');
            const gone = expired || (m.group && m.resolved >= m.resolvingTimes);
            assert.equal(answer.statusCode, gone ? 410 : 200, `a ${s.kind} of ${m.code}`);
          }
        }

        await worker.drain();
        // Resolve details and the tasks' counts.
        for (const m of models) {
          const link = await store.links.find(LINK_DOMAIN, m.code);
          assert.deepEqual([link?.resolvedTimes, link?.resolvedStatus], [m.resolved, m.status], `link ${m.code}`);
          const events = link ? await store.links.eventCounts(link) : {};
          assert.equal(events.resolve ?? 0, m.resolved, `resolve events of ${m.code}`);
        }
        // One receipt per resolve, none for a preview, a HEAD or a refused open.
        const pushed = new Map<string, number>();
        for (const r of receiver.received) {
          if (r.envelope.callback_type !== 'shortchain') continue;
          const body = JSON.parse(r.envelope.body) as Json;
          pushed.set(body.aim_code as string, (pushed.get(body.aim_code as string) ?? 0) + 1);
        }
        for (const m of models) assert.equal(pushed.get(m.code) ?? 0, m.resolved, `receipts of ${m.code}`);
        // Template reports: every resolve counted once for its template, whatever day it happened.
        for (const [tplId, ms] of [[plainId, models.slice(0, 1)], [cardId, models.slice(1)]] as const) {
          const report = await store.templateReports.report(tenant.account.id, [tplId], NOW - DAY_MS, now + DAY_MS, 0, 100);
          assert.equal(report.rows.reduce((n, r) => n + r.resolvingTimes, 0), ms.reduce((n, m) => n + m.resolved, 0), `resolves of ${tplId}`);
        }
      }), {
        numRuns: 12,
        // Found by an earlier run: a resolve, then three days without opens (its receipt must
        // still have gone out).
        examples: [[{ resolvingTimes: 2, groupDays: 1, steps: [{ kind: 'person', link: 0, crowd: 1 }, { kind: 'wait', hours: 30 }, { kind: 'wait', hours: 29 }, { kind: 'wait', hours: 20 }] }]],
      });
      await receiver.down();
    });
  });
}
