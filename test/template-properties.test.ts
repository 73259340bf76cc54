import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KyselyStore } from '../src/store/kysely-store.js';
import { VENDORS } from '../src/domain/aim-template.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { testStack } from './helpers/factories.js';
import { SIGN, tenantWithReferences } from './helpers/pipeline.js';

type Json = Record<string, unknown>;

/** Text the definition allows anywhere: no <, >, &, no two spaces in a row, no 测试. */
const CHARS = [...'账单提醒您好会员积分优惠活动查看详情ABCxyz0129,。!:-_ '];
const safeText = (min: number, max: number) => fc.array(fc.constantFrom(...CHARS), { minLength: min, maxLength: max })
  .map((chars) => chars.join('').replace(/ {2,}/g, ' '))
  .filter((text) => text.length >= min && text.trim().length > 0);

/** A valid template: 1-3 pages of texts, images and buttons, 0-3 variables used in texts and links, any vendors. */
const validTemplate = fc.record({
  keys: fc.uniqueArray(fc.constantFrom('p1', 'p2', 'name', 'amount_due'), { maxLength: 3 }),
  examples: fc.array(safeText(1, 20), { minLength: 3, maxLength: 3 }),
  orders: fc.shuffledSubarray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { minLength: 1, maxLength: 3 }),
  kinds: fc.array(fc.array(fc.constantFrom('text', 'image', 'button'), { minLength: 0, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
  texts: fc.array(safeText(1, 40), { minLength: 12, maxLength: 12 }),
  card: fc.constantFrom('StandardImageAndText', 'MultipleImageAndText'),
  vendors: fc.subarray([...VENDORS]),
  name: safeText(1, 17),
  withSign: fc.boolean(),
}).map(({ keys, examples, orders, kinds, texts, card, vendors, name, withSign }) => {
  let t = 0;
  const text = () => texts[t++ % texts.length] as string;
  const use = (i: number) => (keys.length ? `\${${keys[i % keys.length] as string}}` : '');
  const pages = orders.map((order, p) => {
    const contents: Json[] = p === 0 ? [{ type: 'text', position_number: 1, content: `${text()}${use(0)}拒收请回复R`, is_text_title: 'false' }] : [];
    for (const [i, kind] of (kinds[p] ?? []).entries()) {
      const position = contents.length + 1;
      if (kind === 'text') contents.push({ type: 'text', position_number: position, content: `${text()}${use(i)}` });
      if (kind === 'image') {
        contents.push({ type: 'image', position_number: position, src: `https://cdn.example.com/${p}-${i}.jpg`, src_type: 2, action_type: 'OPEN_BROWSER', action: { target: `https://shop.example.com/${p}/${use(i)}` } });
      }
      if (kind === 'button') contents.push({ type: 'button', position_number: position, content: text().slice(0, 10) || '查看', action_type: 'OPEN_URL', action: { target: `https://shop.example.com/b/${use(i + 1)}` } });
    }
    if (contents.length === 0) contents.push({ type: 'text', position_number: 1, content: text() });
    return { page_order: order, contents };
  });
  const body: Json = {
    tpl_name: name.trim(), use_id: 1, card_id: card, pages,
    params: keys.map((key, i) => ({ name: `\${${key}}`, type: 1, example: (examples[i] as string).trim() || '例' })),
    factorys: vendors.map((v) => ({ factory_type: v, state: 1 })),
  };
  if (withSign || vendors.includes('VIVO')) body.sms_signs = [SIGN];
  if (vendors.includes('VIVO')) body.sms_template = '您的账单已出[文本1-20],详情[字母1-10]';
  return body;
});

/** A valid template with one thing broken. */
const brokenTemplate = fc.tuple(validTemplate, fc.nat(), fc.constantFrom(
  'drop tpl_name', 'drop card_id', 'drop pages', 'drop use_id', 'long name', 'angle bracket', 'ampersand', 'double space',
  'content type', 'page order', 'param type', 'undeclared', 'position type', 'no pages', 'no contents', 'trial name',
  'string use_id', 'null page', 'array body', 'opt-out gone', 'unknown vendor', 'sign twice',
)).map(([body, n, how]) => {
  const b = structuredClone(body) as Json & { pages: Array<{ page_order: unknown; contents: Json[] }>; params: Json[] };
  const page = b.pages[n % b.pages.length] as { page_order: unknown; contents: Json[] };
  const content = page.contents[n % page.contents.length] as Json;
  switch (how) {
    case 'drop tpl_name': delete b.tpl_name; break;
    case 'drop card_id': delete b.card_id; break;
    case 'drop pages': delete (b as Json).pages; break;
    case 'drop use_id': delete b.use_id; break;
    case 'long name': b.tpl_name = '提'.repeat(18); break;
    case 'angle bracket': content.content = '<i>拒收请回复R</i>'; content.type = 'text'; break;
    case 'ampersand': b.tpl_name = 'A&B'; break;
    case 'double space': b.tpl_name = 'A  B'; break;
    case 'content type': content.type = 'banner'; break;
    case 'page order': page.page_order = n % 2 ? 0 : 11; break;
    case 'param type': b.params = [{ name: '${p9}', type: 2, example: 'x' }]; break;
    case 'undeclared': (b.pages[0] as { contents: Json[] }).contents.push({ type: 'text', position_number: 99, content: '${never_declared}' }); break;
    case 'position type': content.position_number = '1'; break;
    case 'no pages': b.pages = []; break;
    case 'no contents': page.contents = []; break;
    case 'trial name': b.use_id = 2; break;
    case 'string use_id': b.use_id = '1'; break;
    case 'null page': (b.pages as unknown[])[0] = null; break;
    case 'array body': return [b];
    case 'opt-out gone': for (const p of b.pages) for (const c of p.contents) if (typeof c.content === 'string') c.content = c.content.replaceAll('拒收请回复R', ''); break;
    case 'unknown vendor': b.factorys = [{ factory_type: 'NOKIA', state: 1 }]; break;
    case 'sign twice': b.sms_signs = [SIGN, SIGN]; break;
  }
  return b;
});

/** The start of an error message that names a field: `pages[0].contents[1].type …`, or the body itself. */
const NAMES_A_FIELD = /^(the request body|[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*) /;

for (const backend of BACKENDS) {
  describe(`template properties on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('random valid templates round-trip: what is listed is what was created', { timeout: 120_000 }, async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_user');
      await fc.assert(fc.asyncProperty(validTemplate, async (body) => {
        const res = await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token }, payload: body });
        assert.equal(res.statusCode, 200, res.body);
        const tplId = (res.json() as { data: { tpl_id: string } }).data.tpl_id;
        const listed = (await app.inject({ url: `/v1/aim/templates?tpl_id=${tplId}`, headers: { 'x-auth-token': tenant.token } })).json() as { templates: Json[] };
        const t = listed.templates[0] as Json;
        assert.deepEqual(JSON.parse(t.pages as string), body.pages);
        assert.deepEqual((t.params as Json[]).map((p) => p.name), (body.params as Json[]).map((p) => p.name));
        assert.deepEqual((t.factory_info as Json[]).map((f) => f.factory_type).sort(), (body.factorys as Json[]).map((f) => f.factory_type).sort());
        assert.deepEqual([t.tpl_name, t.card_id, t.audit_state], [body.tpl_name, body.card_id, 1]);
      }), { numRuns: 60 });
    });

    it('random broken templates get a 400 naming a field, never a 500, and nothing is stored', { timeout: 120_000 }, async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_user');
      await fc.assert(fc.asyncProperty(brokenTemplate, async (body) => {
        const res = await app.inject({ method: 'POST', url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token }, payload: body as Json });
        assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
        const error = res.json() as { error_code: string; error_msg: string };
        assert.match(error.error_code, /^KM\.\d{8}$/);
        assert.match(error.error_msg, NAMES_A_FIELD, error.error_msg);
      }), { numRuns: 150 });
      const listed = (await app.inject({ url: '/v1/aim/templates', headers: { 'x-auth-token': tenant.token } })).json() as { page_info: { total: number } };
      assert.equal(listed.page_info.total, 1, 'only the registered template');
    });
  });
}
