import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { KyselyStore } from '../src/store/kysely-store.js';
import { adapterFor } from '../src/store/open-store.js';
import { BACKENDS, useStore } from './helpers/backends.js';
import { cardBody } from './helpers/card-body.js';
import { createTenant, testStack } from './helpers/factories.js';
import { tenantWithReferences } from './helpers/pipeline.js';

type Json = Record<string, unknown>;

/** Real files, small: a 1×1 PNG, a JPEG header, an MP4 header (file-type judges them by their bytes). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const JPG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]), Buffer.alloc(200, 7)]);
const MP4 = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2'), Buffer.alloc(500, 1)]);
const GIF = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(40)]);

const dataUri = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString('base64')}`;
const image = (extra: Json = {}) => ({ resource_type: 'image', file_type: 'stream', file_name: 'bill.png', file_stream: dataUri('image/png', PNG), image_rate: 'oneToOne', ...extra });

async function call(app: FastifyInstance, token: string | undefined, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) {
  const res = await app.inject({ method, url, headers: token ? { 'x-auth-token': token } : {}, ...(payload !== undefined ? { payload: payload as Json } : {}) });
  if (res.statusCode >= 500) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
  return { status: res.statusCode, body: res.json() as Json & { data: Json & { aim_resource_id: string; material_id: string }; error_code?: string; error_msg?: string } };
}

const upload = (app: FastifyInstance, token: string, body: Json) => call(app, token, 'POST', '/v1/aim/template-materials', body);
const listing = async (app: FastifyInstance, token: string, query: string) => (await call(app, token, 'GET', `/v1/aim/template-materials?${query}`)).body.data as unknown as { page_info: Json; results: Json[] };

for (const backend of BACKENDS) {
  describe(`template materials on ${backend.name}`, () => {
    let store!: KyselyStore;
    useStore(backend, (opened) => (store = opened));

    it('uploads an image, lists it, and serves its bytes without credentials at its URL', async () => {
      const { app } = await testStack(store);
      const tenant = await createTenant(store, 'te_user');
      const res = await upload(app, tenant.token, image({ description: '账单头图' }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, '200');
      const { aim_resource_id: resourceId, material_id: materialId } = res.body.data;
      assert.match(resourceId, /^[1-9][0-9]{17}$/);
      assert.match(materialId, /^[0-9a-f]{32}$/);
      const page = await listing(app, tenant.token, 'resource_type=image&offset=1&limit=10');
      assert.deepEqual(page.page_info, { offset: 1, limit: 10, total: 1 });
      const item = page.results[0] as Json;
      assert.deepEqual({ ...item, created_at: null, obs_file_url: null, obs_object_key: null }, {
        aim_resource_id: resourceId, created_at: null, description: '账单头图', file_name: 'bill.png', id: materialId, image_rate: 'oneToOne',
        obs_file_url: null, obs_object_key: null, resource_type: 'image',
      });
      const url = new URL(item.obs_file_url as string);
      assert.equal(url.pathname, `/materials/${item.obs_object_key as string}`);
      const served = await app.inject({ url: url.pathname });
      assert.equal(served.statusCode, 200);
      assert.equal(served.headers['content-type'], 'image/png');
      assert.equal(served.headers['x-content-type-options'], 'nosniff');
      assert.match(String(served.headers['cache-control']), /immutable/);
      assert.deepEqual(served.rawPayload, PNG);
      assert.equal((await app.inject({ url: '/materials/AAAAAAAAAAAAAAAAAAAAAAAA' })).statusCode, 404);
      for (const [query, total] of [[`material_id=${materialId}`, 1], [`aim_resource_id=${resourceId}`, 1], ['file_name=bill.png', 1], ['file_name=x.png', 0]] as const) {
        assert.equal((await listing(app, tenant.token, `resource_type=image&offset=1&limit=10&${query}`)).page_info.total, total, query);
      }
      assert.equal((await listing(app, tenant.token, 'resource_type=video&offset=1&limit=10')).page_info.total, 0);
      const stranger = await createTenant(store, 'te_admin');
      assert.equal((await listing(app, stranger.token, 'resource_type=image&offset=1&limit=10')).page_info.total, 0, 'another account sees none');
    });

    it('judges a file by its bytes and size, and each field by the definition', async () => {
      const { app } = await testStack(store);
      const tenant = await createTenant(store, 'te_user');
      const cases: Array<[string, Json, RegExp]> = [
        ['a GIF calling itself PNG', image({ file_stream: dataUri('image/png', GIF) }), /^the file is image\/gif, judged from its content; an image must be png or jpg/],
        ['text', image({ file_stream: dataUri('image/png', Buffer.from('hello there, not an image')) }), /^the file is of an unknown type/],
        ['a video that is a PNG', { resource_type: 'video', file_type: 'stream', file_name: 'v.mp4', file_stream: dataUri('video/mp4', PNG) }, /^the file is image\/png, judged from its content; a video must be mp4/],
        ['too large', image({ file_stream: dataUri('image/png', Buffer.concat([PNG, Buffer.alloc(2 * 1024 * 1024)])) }), /^the file is \d+ bytes; an image may be at most 2097152 bytes/],
        ['no image_rate', image({ image_rate: undefined }), /^image_rate is required when resource_type is image/],
        ['bad image_rate', image({ image_rate: 'square' }), /^image_rate must be one of/],
        ['no file_name', image({ file_name: undefined }), /^file_name is required when file_type is stream/],
        ['not a data URI', image({ file_stream: PNG.toString('base64') }), /^file_stream must be a base64 data URI/],
        ['bad base64', image({ file_stream: 'data:image/png;base64,@@@@' }), /^file_stream is not valid base64/],
        ['unknown resource_type', image({ resource_type: 'audio' }), /^resource_type must be one of image, video, thumbnail/],
        ['a URL when fetches are off', { resource_type: 'image', file_type: 'url', file_url: 'https://cdn.example.com/a.png', image_rate: 'oneToOne' }, /^file_type url is not enabled on this platform/],
        ['a URL without a suffix', { resource_type: 'image', file_type: 'url', file_url: 'https://cdn.example.com/a', image_rate: 'oneToOne' }, /^file_url must end in the file's format suffix/],
        ['a thumbnail without its video', { resource_type: 'thumbnail', file_type: 'stream', file_name: 't.png', file_stream: dataUri('image/png', PNG) }, /^material_id \(the video's\) is required/],
        ['description too long', image({ description: '描'.repeat(51) }), /^description must be at most 50 characters/],
      ];
      for (const [why, body, message] of cases) {
        const res = await upload(app, tenant.token, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
        assert.equal(res.status, 400, `${why}: ${JSON.stringify(res.body)}`);
        assert.match(res.body.error_msg as string, message, why);
      }
      assert.equal((await listing(app, tenant.token, 'resource_type=image&offset=1&limit=10')).page_info.total, 0, 'nothing stored');
      const jpg = await upload(app, tenant.token, image({ file_name: 'a.jpg', file_stream: dataUri('image/jpeg', JPG) }));
      assert.equal(jpg.status, 200, 'a JPEG is fine');
      const reader = await createTenant(store, 'readonly');
      assert.equal((await upload(app, reader.token, image())).status, 403);
      assert.equal((await call(app, reader.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: [jpg.body.data.material_id] })).status, 403);
      assert.equal((await call(app, reader.token, 'GET', '/v1/aim/template-materials?resource_type=image&offset=1&limit=1')).status, 200);
    });

    it('a 7 MB video fits the upload route\'s larger body limit; its thumbnails, primary first', { timeout: 30_000 }, async () => {
      const { app } = await testStack(store);
      const tenant = await createTenant(store, 'te_admin');
      const big = Buffer.concat([MP4, Buffer.alloc(7 * 1024 * 1024 - MP4.length)]);
      const video = await upload(app, tenant.token, { resource_type: 'video', file_type: 'stream', file_name: 'promo.mp4', file_stream: dataUri('video/mp4', big) });
      assert.equal(video.status, 200, JSON.stringify(video.body));
      const over = await upload(app, tenant.token, { resource_type: 'video', file_type: 'stream', file_name: 'promo.mp4', file_stream: dataUri('video/mp4', Buffer.concat([big, Buffer.alloc(1)])) });
      assert.equal(over.status, 400);
      assert.match(over.body.error_msg as string, /a video may be at most 7340032 bytes/);
      const videoId = video.body.data.material_id;
      const thumb = (extra: Json = {}) => ({ resource_type: 'thumbnail', file_type: 'stream', file_name: 'cover.png', file_stream: dataUri('image/png', PNG), material_id: videoId, ...extra });
      const first = await upload(app, tenant.token, thumb());
      const second = await upload(app, tenant.token, thumb({ file_name: 'cover2.jpg', file_stream: dataUri('image/jpeg', JPG) }));
      assert.deepEqual([first.status, second.status], [200, 200]);
      const bigThumb = await upload(app, tenant.token, thumb({ file_stream: dataUri('image/png', Buffer.concat([PNG, Buffer.alloc(100 * 1024)])) }));
      assert.match(bigThumb.body.error_msg as string, /a thumbnail may be at most 102400 bytes/);
      const image1 = await upload(app, tenant.token, image());
      const notVideo = await upload(app, tenant.token, thumb({ material_id: image1.body.data.material_id }));
      assert.match(notVideo.body.error_msg as string, /^material_id [0-9a-f]{32} is not a video of this account/);

      const shown = async () => (await call(app, tenant.token, 'GET', `/v1/aim/template-material-thumbnails?aim_resource_id=${video.body.data.aim_resource_id}`)).body.data as unknown as Json[];
      let thumbs = await shown();
      assert.deepEqual(thumbs.map((t) => [t.id, t.is_primary]), [[first.body.data.material_id, 1], [second.body.data.material_id, 0]]);
      assert.deepEqual(Object.keys(thumbs[0] as Json).sort(), ['aim_resource_id', 'created_at', 'description', 'domain_id', 'file_name', 'id', 'image_rate', 'is_auto_gen', 'is_primary', 'obs_bucket_name', 'obs_file_url', 'obs_object_key', 'resource_type', 'size']);
      const set = await call(app, tenant.token, 'POST', '/v1/aim/template-material-thumbnails', { aim_resource_id: video.body.data.aim_resource_id, thumbnail_id: second.body.data.material_id });
      assert.deepEqual(set, { status: 200, body: { status: '200', message: 'success', data: null } });
      thumbs = await shown();
      assert.deepEqual(thumbs.map((t) => [t.id, t.is_primary]), [[second.body.data.material_id, 1], [first.body.data.material_id, 0]]);
      const videos = await listing(app, tenant.token, 'resource_type=video&offset=1&limit=10');
      assert.equal((videos.results[0]?.thumbnail as Json).id, second.body.data.material_id, 'a video lists its primary thumbnail');
      const wrong = await call(app, tenant.token, 'POST', '/v1/aim/template-material-thumbnails', { aim_resource_id: video.body.data.aim_resource_id, thumbnail_id: image1.body.data.material_id });
      assert.equal(wrong.status, 400);
      assert.equal((await call(app, tenant.token, 'GET', `/v1/aim/template-material-thumbnails?aim_resource_id=${image1.body.data.aim_resource_id}`)).status, 400, 'an image has no thumbnails');

      // Deleting a video takes its thumbnails along, and their bytes.
      const key = (thumbs[0] as Json).obs_object_key as string;
      assert.equal((await call(app, tenant.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: [videoId] })).status, 200);
      assert.equal((await app.inject({ url: `/materials/${key}` })).statusCode, 404);
      assert.equal((await listing(app, tenant.token, 'resource_type=video&offset=1&limit=10')).page_info.total, 0);
    });

    it('pages count from 1 and hold at most 100, whatever the limit', async () => {
      const { app } = await testStack(store);
      const tenant = await createTenant(store, 'te_user');
      for (let i = 0; i < 103; i++) await store.materials.create(tenant.account.id, {
        materialId: `m${String(i).padStart(31, '0')}`, aimResourceId: String(700000000000000000 + i * 1000 + tenant.account.id), resourceType: 'image',
        fileName: `f${i}.png`, description: null, imageRate: 'oneToOne', videoId: null, isPrimary: false, contentType: 'image/png', size: 10,
        objectKey: `k${tenant.account.id}x${String(i).padStart(20, '0')}`, createdAt: 1_000_000 + i,
      });
      const first = await listing(app, tenant.token, 'resource_type=image&offset=1&limit=1000');
      assert.equal(first.results.length, 100);
      assert.deepEqual(first.page_info, { offset: 1, limit: 1000, total: 103 });
      assert.equal(first.results[0]?.file_name, 'f102.png', 'newest first');
      assert.deepEqual((await listing(app, tenant.token, 'resource_type=image&offset=2&limit=1000')).results.map((r) => r.file_name), ['f2.png', 'f1.png', 'f0.png']);
      assert.deepEqual((await listing(app, tenant.token, 'resource_type=image&offset=3&limit=50')).results.map((r) => r.file_name), ['f2.png', 'f1.png', 'f0.png']);
      for (const query of ['resource_type=image&offset=0&limit=10', 'resource_type=image&offset=1&limit=1001', 'offset=1&limit=10', 'resource_type=thumbnail&offset=1&limit=1', 'resource_type=image&limit=10']) {
        assert.equal((await call(app, tenant.token, 'GET', `/v1/aim/template-materials?${query}`)).status, 400, query);
      }
    });

    it('templates use materials by aim_resource_id: the kind must fit, the preview shows them, and a used one cannot be deleted', async () => {
      const { app } = await testStack(store);
      const tenant = await tenantWithReferences(store, 'te_admin');
      const img = (await upload(app, tenant.token, image())).body.data;
      const vid = (await upload(app, tenant.token, { resource_type: 'video', file_type: 'stream', file_name: 'v.mp4', file_stream: dataUri('video/mp4', MP4) })).body.data;
      const body = cardBody();
      const pages = body.pages as Array<{ contents: Json[] }>;
      pages[0]!.contents[0] = { ...pages[0]!.contents[0], src: img.aim_resource_id, src_type: 1 };
      const created = await call(app, tenant.token, 'POST', '/v1/aim/templates', body);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const tplId = (created.body.data as Json).tpl_id as string;
      pages[0]!.contents[0] = { ...pages[0]!.contents[0], src: vid.aim_resource_id };
      const wrongKind = await call(app, tenant.token, 'POST', '/v1/aim/templates', body);
      assert.equal(wrongKind.status, 400);
      assert.match(wrongKind.body.error_msg as string, new RegExp(`^pages\\[0\\]\\.contents\\[0\\]\\.src names ${vid.aim_resource_id}, a video; it takes an image`));

      const t = ((await call(app, tenant.token, 'GET', `/v1/aim/templates?tpl_id=${tplId}`)).body.templates as Json[])[0] as Json;
      const html = (await app.inject({ url: new URL(t.preview_url as string).pathname })).body;
      const src = /<img src="([^"]+)"/.exec(html)?.[1] as string;
      assert.match(src, /^\/materials\/[A-Za-z0-9_-]{24}$/, 'the preview loads the material from its URL');
      assert.deepEqual((await app.inject({ url: src })).rawPayload, PNG);

      const refused = await call(app, tenant.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: [vid.material_id, img.material_id] });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error_msg, `material ${img.aim_resource_id} is used by template ${tplId}: delete the template first`);
      assert.equal((await listing(app, tenant.token, 'resource_type=video&offset=1&limit=10')).page_info.total, 1, 'all or nothing: the video stays');
      const unknown = await call(app, tenant.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: ['f'.repeat(32)] });
      assert.equal(unknown.status, 400);
      assert.equal((await call(app, tenant.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: Array.from({ length: 21 }, (_, i) => `m${i}`) })).status, 400);
      assert.equal((await call(app, tenant.token, 'DELETE', `/v1/aim/template/${tplId}`)).status, 200);
      assert.equal((await call(app, tenant.token, 'POST', '/v1/aim/template-materials/delete', { material_ids: [vid.material_id, img.material_id] })).status, 200);
      assert.equal((await app.inject({ url: src })).statusCode, 404);
    });

    it('the account quota, and URL uploads when the operator allows them (public addresses only, unless private ones are allowed)', async () => {
      const served = createServer((req, res) => {
        if (req.url === '/a.png') return res.end(PNG);
        if (req.url === '/big.png') return res.end(Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)]));
        res.statusCode = 404;
        res.end('no');
      });
      await new Promise<void>((resolve) => served.listen(0, '127.0.0.1', resolve));
      after(() => new Promise<void>((resolve) => served.close(() => resolve())));
      const base = `http://127.0.0.1:${(served.address() as AddressInfo).port}`;
      const fromUrl = (path: string) => ({ resource_type: 'image', file_type: 'url', file_url: `${base}${path}`, image_rate: 'oneToOne' });

      const open = await testStack(store, { allowPrivate: true, materials: { allowUrlFetch: true, quotaBytes: PNG.length * 2 } });
      const tenant = await createTenant(store, 'te_user');
      const fetched = await upload(open.app, tenant.token, fromUrl('/a.png'));
      assert.equal(fetched.status, 200, JSON.stringify(fetched.body));
      const listed = await listing(open.app, tenant.token, 'resource_type=image&offset=1&limit=10');
      assert.equal(listed.results[0]?.file_name, 'a.png', 'the file name comes from the URL');
      assert.match((await upload(open.app, tenant.token, fromUrl('/missing.png'))).body.error_msg as string, /^file_url answered 404, not 200/);
      assert.match((await upload(open.app, tenant.token, fromUrl('/big.png'))).body.error_msg as string, /^file_url answered more than 2097152 bytes/);
      assert.equal((await upload(open.app, tenant.token, image())).status, 200, 'the second fits the quota');
      const full = await upload(open.app, tenant.token, image());
      assert.equal(full.status, 400);
      assert.match(full.body.error_msg as string, new RegExp(`^the account's materials take ${PNG.length * 2} bytes; this file \\(${PNG.length} bytes\\) would pass its quota`));

      const guarded = await testStack(store, { materials: { allowUrlFetch: true } });
      const refused = await upload(guarded.app, tenant.token, fromUrl('/a.png'));
      assert.equal(refused.status, 400);
      assert.match(refused.body.error_msg as string, /^file_url could not be fetched: its address is not allowed/);
    });

    if (backend.name === 'sqlite') {
      it('an embedded store keeps material bytes in a folder beside its file, and a backup takes them along', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'aimledger-materials-'));
        const fileStore = new KyselyStore(adapterFor({ url: `sqlite:${dir}/a.db` }));
        try {
          await fileStore.migrate();
          const { app } = await testStack(fileStore);
          const tenant = await createTenant(fileStore, 'te_user');
          await upload(app, tenant.token, image());
          const key = (await listing(app, tenant.token, 'resource_type=image&offset=1&limit=1')).results[0]?.obs_object_key as string;
          assert.deepEqual(readFileSync(join(dir, 'a.db-materials', key)), PNG);
          assert.equal(await fileStore.backup(join(dir, 'copy.db')), true);
          assert.deepEqual(readFileSync(join(dir, 'copy.db-materials', key)), PNG);
          await app.close();
        } finally {
          await fileStore.close();
          rmSync(dir, { recursive: true, force: true });
        }
        assert.equal(existsSync(dir), false);
      });
    }
  });
}
