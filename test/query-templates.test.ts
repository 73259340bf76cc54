import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kysely, sql } from 'kysely';
import type { SendDetailsFilter } from '../src/domain/send-detail.js';
import { pick, seededRandom } from '../src/dev/synthetic.js';
import { adapterFor } from '../src/store/open-store.js';
import { QueryTemplates } from '../src/store/query-templates.js';
import { detailQueries, planSeek, planTotal, totalQuery, type PageForm, type SeekPlan } from '../src/store/repositories/send-detail-queries.js';
import type { Database } from '../src/store/schema.js';

const DAY = 86_400_000;
const BASE = Date.parse('2026-06-20T00:00:00Z');
const STRUCTURAL = new Set(['kind', 'sendStatus', 'form']);

function randomFilter(random: () => number): SendDetailsFilter {
  const f: SendDetailsFilter = {};
  if (random() < 0.3) f.taskId = pick(random, ['t-1', 't-2', 't-3']);
  if (random() < 0.3) f.tplId = pick(random, ['600000001', '600000002']);
  if (random() < 0.3) f.smsSign = pick(random, ['华为云', 'Shop']);
  if (random() < 0.15) f.custFlag = pick(random, ['13100000001', '13100000002']);
  if (random() < 0.1) f.msgId = `m-${Math.floor(random() * 1000)}`;
  if (random() < 0.3) f.sendStatus = pick(random, ['sending', 'success', 'fail'] as const);
  if (random() < 0.6) {
    // Day and hour boundaries, a second either side, and anywhere in between.
    const at = () => BASE - Math.floor(random() * 40) * DAY + pick(random, [0, -1000, 1000, Math.floor(random() * 86_400) * 1000, 3_600_000 * Math.floor(random() * 24)]);
    const a = at();
    const b = at();
    if (random() < 0.8) f.sendTimeFrom = Math.min(a, b);
    if (random() < 0.8) f.sendTimeTo = Math.max(a, b);
  }
  return f;
}

for (const [backend, url] of [['sqlite', 'sqlite::memory:'], ['postgres', 'postgres://compile-only@127.0.0.1:9/none']] as const) {
  describe(`query shapes compiled once on ${backend}`, () => {
    it('give the same SQL and parameters as compiling each query afresh, for any filter', async () => {
      const adapter = adapterFor({ url });
      const db = new Kysely<Database>({ dialect: adapter.dialect });
      try {
        const shapes = new QueryTemplates(10_000);
        const random = seededRandom(3);
        const check = (filter: SendDetailsFilter, accountId: number, offset: number, limit: number, form: PageForm) => {
          const plan = planTotal(filter);
          // A deep page that seeks reads rows before the day the seek found, as the repository does.
          const seek = planSeek(filter, plan, offset, limit);
          const rows = seek ? { ...filter, sendTimeTo: (filter.sendTimeTo ?? BASE) - 3 * DAY - 1 } : filter;
          const page = shapes.compile('page', { form, accountId, filter, offset, limit, plan, rows },
            (a) => detailQueries.page(db, a.form, a.accountId, a.filter, a.offset, a.limit, a.plan, a.rows), STRUCTURAL);
          const fresh = detailQueries.page(db, form, accountId, filter, offset, limit, planTotal(filter), rows).compile();
          assert.equal(page.sql, fresh.sql, JSON.stringify(filter));
          assert.deepEqual(page.parameters, fresh.parameters, JSON.stringify(filter));
          if (seek) {
            const seeking = shapes.compile('seek', { accountId, filter, seek, offset }, (a) => detailQueries.seek(db, a.accountId, a.filter, a.seek, a.offset), STRUCTURAL);
            const freshSeek = detailQueries.seek(db, accountId, filter, planSeek(filter, planTotal(filter), offset, limit) as SeekPlan, offset).compile();
            assert.equal(seeking.sql, freshSeek.sql, JSON.stringify(filter));
            assert.deepEqual(seeking.parameters, freshSeek.parameters, JSON.stringify(filter));
            seeks += 1;
          }
          const total = shapes.compile('total', { accountId, filter, plan }, (a) => totalQuery(db, a.accountId, a.filter, a.plan), STRUCTURAL);
          const freshTotal = totalQuery(db, accountId, filter).compile();
          assert.equal(total.sql, freshTotal.sql, JSON.stringify(filter));
          assert.deepEqual(total.parameters, freshTotal.parameters, JSON.stringify(filter));
        };
        const cases = Array.from({ length: 600 }, () => ({
          filter: randomFilter(random), accountId: 1 + Math.floor(random() * 5),
          offset: pick(random, [0, 100, 9900, Math.floor(random() * 50_000)]), limit: pick(random, [1, 10, 100]), form: pick(random, ['deferred', 'window', 'window-deferred', 'plain'] as const),
        }));
        let seeks = 0;
        for (const c of cases) check(c.filter, c.accountId, c.offset, c.limit, c.form);
        assert.ok(seeks > 50, `pages that seek: ${seeks}`);
        const shapeCount = shapes.size;
        // The same shapes with other values (a week later, other ids and texts) compile nothing new.
        for (const c of cases) {
          const f: SendDetailsFilter = { ...c.filter };
          for (const key of ['taskId', 'tplId', 'smsSign', 'custFlag', 'msgId'] as const) if (f[key] !== undefined) f[key] = `${f[key]}x`;
          if (f.sendTimeFrom !== undefined) f.sendTimeFrom += 7 * DAY;
          if (f.sendTimeTo !== undefined) f.sendTimeTo += 7 * DAY;
          // offset + limit stays on the same side of the window (past it, a page does not seek).
          check(f, c.accountId + 100, c.offset + 1, Math.max(1, c.limit - 1), c.form);
        }
        assert.equal(shapes.size, shapeCount);
      } finally {
        await db.destroy();
      }
    });
  });
}

describe('query templates', () => {
  it('compile a shape once and fill in each call\'s values, keeping constants and structural fields', async () => {
    const adapter = adapterFor({ url: 'sqlite::memory:' });
    const db = new Kysely<Database>({ dialect: adapter.dialect });
    try {
      const shapes = new QueryTemplates();
      let builds = 0;
      const build = (a: { id: number; name?: string; kind: string }) => {
        builds += 1;
        return db.selectFrom('accounts').select('id').where('id', '=', a.id).where('domain_id', '=', 'constant')
          .$if(a.name !== undefined, (q) => q.where('name', '=', a.name as string))
          .where(sql<boolean>`${sql.raw(a.kind === 'x' ? '1' : '2')} = 1`);
      };
      const first = shapes.compile('q', { id: 1, name: 'a', kind: 'x' }, build, new Set(['kind']));
      const second = shapes.compile('q', { id: 2, name: 'b', kind: 'x' }, build, new Set(['kind']));
      assert.equal(builds, 1);
      assert.equal(first.sql, second.sql);
      assert.deepEqual(second.parameters, [2, 'constant', 'b']);
      shapes.compile('q', { id: 3, kind: 'x' }, build, new Set(['kind']));
      const other = shapes.compile('q', { id: 4, name: 'c', kind: 'y' }, build, new Set(['kind']));
      assert.equal(builds, 3, 'a missing field and another structural value are new shapes');
      assert.match(other.sql, /2 = 1/);
      assert.notEqual(first.queryId, second.queryId);
    } finally {
      await db.destroy();
    }
  });
});
