import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { IMAGE_RATES, RESOURCE_TYPES, type Material, type UploadInput } from '../../domain/material.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { Envelope, Nullable, OneOf, RequiredText, Text } from '../schemas.js';
import { errorResponses } from './common.js';

/** An upload's body: a 7 MB video is about 9.4 MB as base64, with room for the rest. */
export const MATERIAL_BODY_LIMIT = 10 * 1024 * 1024;


export const UploadMaterialBody = Type.Object({
  resource_type: OneOf(RESOURCE_TYPES),
  file_type: OneOf(['url', 'stream']),
  file_name: Type.Optional(Text(200)),
  file_stream: Type.Optional(Type.String({ maxLength: MATERIAL_BODY_LIMIT, description: 'A base64 data URI: data:image/jpeg;base64,…' })),
  file_url: Type.Optional(Text(1000)),
  image_rate: Type.Optional(OneOf(IMAGE_RATES)),
  material_id: Type.Optional(Text(36, { description: 'For a thumbnail: its video\'s material_id.' })),
  description: Type.Optional(Text(50)),
}, { $id: 'UploadAimTemplateMaterialRequestBody', title: 'UploadAimTemplateMaterialRequestBody' });

const Thumbnail = Type.Object({
  aim_resource_id: Type.String(), created_at: Type.String(), description: Nullable(Type.String()), file_name: Type.String(), id: Type.String(),
  image_rate: Nullable(Type.String()), is_auto_gen: Type.Integer({ description: '1: uploaded (thumbnails are never generated here).' }),
  is_primary: Type.Integer(), obs_file_url: Type.String(), obs_object_key: Type.String(), resource_type: Type.String(), size: Type.Integer(),
});

const MaterialItem = Type.Object({
  aim_resource_id: Type.String(), created_at: Type.String(), description: Nullable(Type.String()), file_name: Type.String(), id: Type.String(),
  image_rate: Nullable(Type.String()), obs_file_url: Type.String({ description: 'Served without credentials; the URL is unguessable.' }),
  obs_object_key: Type.String(), resource_type: Type.String(), thumbnail: Type.Optional(Thumbnail),
});

const ListThumbnail = Type.Object({
  ...Thumbnail.properties, domain_id: Type.String(), obs_bucket_name: Type.String(),
});

export const MaterialUploaded = Envelope(Type.Object({ aim_resource_id: Type.String(), material_id: Type.String() }));
export const MaterialsResponse = Envelope(Type.Object({
  page_info: Type.Object({ offset: Type.Integer(), limit: Type.Integer(), total: Type.Integer() }), results: Type.Array(MaterialItem),
}));
export const ThumbnailsResponse = Envelope(Type.Array(ListThumbnail));

export const MaterialsQuerystring = Type.Object({
  resource_type: OneOf(['image', 'video']),
  file_name: Type.Optional(Text(100)),
  material_id: Type.Optional(Text(36)),
  aim_resource_id: Type.Optional(Text(64)),
  offset: Type.Integer({ minimum: 1, maximum: 1000, description: 'The page number, from 1.' }),
  limit: Type.Integer({ minimum: 1, maximum: 1000, description: 'Items a page; at most 100 are given.' }),
});

const url = (request: FastifyRequest, key: string) => `${request.protocol}://${request.host}/materials/${key}`;

function thumbnailItem(t: Material, request: FastifyRequest): Static<typeof Thumbnail> {
  return {
    aim_resource_id: t.aimResourceId, created_at: formatIsoMillis(t.createdAt), description: t.description, file_name: t.fileName, id: t.materialId,
    image_rate: t.imageRate, is_auto_gen: 1, is_primary: t.isPrimary ? 1 : 0, obs_file_url: url(request, t.objectKey), obs_object_key: t.objectKey,
    resource_type: 'image', size: t.size,
  };
}

/** UploadAimTemplateMaterial, ListAimTemplateMaterials, DeleteTemplateMaterial, the thumbnail operations, and material URLs. */
export async function materialRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/template-materials', {
    bodyLimit: MATERIAL_BODY_LIMIT,
    schema: {
      operationId: 'UploadAimTemplateMaterial',
      summary: 'Upload a template material (role te_user or te_admin)',
      description: 'An image (png or jpg, at most 2 MB, with image_rate), a video (mp4, at most 7 MB) or a video\'s thumbnail (png or jpg, at most 100 KB, naming the video\'s material_id), as a base64 data URI (file_type stream). The type is judged from the bytes. file_type url is fetched only where the operator allows it. Each account has a quota (10 GB unless configured).',
      tags: ['materials'],
      body: UploadMaterialBody,
      response: { 200: MaterialUploaded, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    const created = await deps.materials.upload(principalOf(request).account.id, request.body as UploadInput);
    return { status: '200', message: 'success', data: { aim_resource_id: created.aimResourceId, material_id: created.materialId } };
  });

  app.get('/v1/aim/template-materials', {
    schema: {
      operationId: 'ListAimTemplateMaterials',
      summary: 'List template materials',
      tags: ['materials'],
      querystring: MaterialsQuerystring,
      response: { 200: MaterialsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const q = request.query;
    const page = await deps.materials.list(principalOf(request).account.id, {
      resourceType: q.resource_type as 'image' | 'video', page: q.offset, limit: q.limit,
      ...(q.file_name !== undefined ? { fileName: q.file_name } : {}), ...(q.material_id !== undefined ? { materialId: q.material_id } : {}),
      ...(q.aim_resource_id !== undefined ? { aimResourceId: q.aim_resource_id } : {}),
    });
    return {
      status: '200', message: 'success',
      data: {
        page_info: { offset: q.offset, limit: q.limit, total: page.total },
        results: page.rows.map((m) => {
          const primary = page.thumbnails.get(m.materialId)?.find((t) => t.isPrimary);
          return {
            aim_resource_id: m.aimResourceId, created_at: formatIsoMillis(m.createdAt), description: m.description, file_name: m.fileName, id: m.materialId,
            image_rate: m.imageRate, obs_file_url: url(request, m.objectKey), obs_object_key: m.objectKey, resource_type: m.resourceType,
            ...(primary ? { thumbnail: thumbnailItem(primary, request) } : {}),
          };
        }),
      },
    };
  });

  app.post('/v1/aim/template-materials/delete', {
    schema: {
      operationId: 'DeleteTemplateMaterial',
      summary: 'Delete template materials (role te_user or te_admin)',
      description: 'Up to 20 at once, all or none: a material a template uses is refused (delete the template first); a video takes its thumbnails along.',
      tags: ['materials'],
      body: Type.Object({
        material_ids: Type.Array(RequiredText(36, { minLength: 1 }), { minItems: 1, maxItems: 20, 'x-rule': 'a list of 1 to 20 material ids' }),
      }, { $id: 'DeleteTemplateMaterialRequestBody', title: 'DeleteTemplateMaterialRequestBody' }),
      response: { 200: Envelope(Type.Null()), ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    await deps.materials.remove(principalOf(request).account.id, request.body.material_ids);
    return { status: '200', message: 'success', data: null };
  });

  app.get('/v1/aim/template-material-thumbnails', {
    schema: {
      operationId: 'ShowTemplateVideoThumbnail',
      summary: 'A video\'s thumbnails',
      tags: ['materials'],
      querystring: Type.Object({ aim_resource_id: RequiredText(36, { minLength: 1 }) }),
      response: { 200: ThumbnailsResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const principal = principalOf(request);
    const thumbnails = await deps.materials.thumbnails(principal.account.id, request.query.aim_resource_id);
    return {
      status: '200', message: 'success',
      data: thumbnails.map((t) => ({ ...thumbnailItem(t, request), domain_id: principal.account.domainId, obs_bucket_name: 'aimledger-materials' })),
    };
  });

  app.post('/v1/aim/template-material-thumbnails', {
    schema: {
      operationId: 'SetPrimaryVideoThumbnail',
      summary: 'Choose a video\'s cover thumbnail (role te_user or te_admin)',
      tags: ['materials'],
      body: Type.Object({
        aim_resource_id: RequiredText(36, { minLength: 1 }),
        thumbnail_id: RequiredText(36, { minLength: 1 }),
      }, { $id: 'SetPrimaryVideoThumbnailRequestBody', title: 'SetPrimaryVideoThumbnailRequestBody' }),
      response: { 200: Envelope(Type.Null()), ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    await deps.materials.setPrimary(principalOf(request).account.id, request.body.aim_resource_id, request.body.thumbnail_id);
    return { status: '200', message: 'success', data: null };
  });
}
