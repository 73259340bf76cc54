import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  ACTION_TYPES, CARD_IDS, CONTENT_TYPES, templateStatusReceipt, VENDORS, vendorStateCode, type NewTemplateInput, type StoredTemplate,
} from '../../domain/aim-template.js';
import { InvalidParameter, ErrorCodes } from '../../domain/errors.js';
import { FACTORY_TYPES, templatesQuery } from '../../domain/templates-query.js';
import { formatIsoMillis } from '../../domain/time.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { ContractTime, Envelope, Nullable, OneOf, PageInfo, RequiredText, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const TemplatesQuerystring = Type.Object({
  tpl_id: Type.Optional(Text(36)),
  tpl_name: Type.Optional(Text(100)),
  tpl_type: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')], { description: 'Every template here is private: public matches none.', 'x-rule': 'public or private' })),
  factory_type: Type.Optional(Type.Array(Type.Enum(FACTORY_TYPES), {
    maxItems: 5, description: 'Templates submitted to any of these vendors.', 'x-rule': 'up to 5 of HUAWEI, XIAOMI, OPPO, MEIZU, VIVO',
  })),
  has_param: Type.Optional(Type.Boolean({ description: 'Templates with (true) or without (false) variables.', 'x-rule': 'true or false' })),
  is_only_status: Type.Optional(Type.Boolean({ description: 'true leaves out pages and params.', 'x-rule': 'true or false' })),
  begin_time: Type.Optional(ContractTime('Creation time, with end_time; at most a year back.')),
  end_time: Type.Optional(ContractTime('Creation time, with begin_time.')),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

const Int = (minimum: number, maximum: number) => Type.Integer({ minimum, maximum });

const TemplateAction = Type.Object({
  target: RequiredText(1000, { minLength: 1 }),
  address: Type.Optional(Text(100)),
  begin_time: Type.Optional(Text(100)),
  body: Type.Optional(Text(1000)),
  content: Type.Optional(Text(100)),
  description: Type.Optional(Text(100)),
  end_time: Type.Optional(Text(100)),
  floor_type: Type.Optional(Int(0, 3)),
  floor_url: Type.Optional(Text(1000)),
  latitude: Type.Optional(Text(20)),
  longitude: Type.Optional(Text(20)),
  mode: Type.Optional(Int(0, 1)),
  package_name: Type.Optional(Text(50)),
  subject: Type.Optional(Text(1000)),
  text_button: Type.Optional(Text(12)),
}, { title: 'AimPersonalTemplateContentAction' });

const TemplateContent = Type.Object({
  type: OneOf(CONTENT_TYPES),
  position_number: Int(0, 1000),
  content: Type.Optional(Text(1000)),
  content_child: Type.Optional(Text(1000)),
  src: Type.Optional(Text(1000)),
  src_type: Type.Optional(Int(1, 10)),
  cover: Type.Optional(Text(1000)),
  action_type: Type.Optional(OneOf(ACTION_TYPES)),
  action: Type.Optional(TemplateAction),
  is_text_title: Type.Optional(OneOf(['true', 'false'], 'true or false')),
  currency_display: Type.Optional(Int(0, 1)),
  visible: Type.Optional(Int(0, 1)),
  ratio: Type.Optional(OneOf(['threeToFour', 'oneToOne'])),
  button_type: Type.Optional(OneOf(['static', 'dynamic'])),
  oppo_background: Type.Optional(Text(1000)),
  vivo_background: Type.Optional(Text(1000)),
}, { title: 'AimPersonalTemplateContent' });

export const CreateTemplateBody = Type.Object({
  tpl_name: RequiredText(17, { minLength: 1 }),
  use_id: Type.Integer({ enum: [1, 2], description: '1 commercial, 2 trial (the name must then contain 测试).', 'x-rule': '1 (commercial) or 2 (trial)' }),
  card_id: OneOf(CARD_IDS, 'one of the layouts the definition lists (e.g. StandardImageAndText, PureText)'),
  scene: Type.Optional(Text(10)),
  sub_type: Type.Optional(Int(0, 100)),
  pages: Type.Array(Type.Object({
    page_order: Int(1, 10),
    contents: Type.Array(TemplateContent, { minItems: 1, maxItems: 100, 'x-rule': 'a list of 1 to 100 contents' }),
  }, { title: 'AimPersonalTemplatePage' }), { minItems: 1, maxItems: 10, 'x-rule': 'a list of 1 to 10 pages' }),
  params: Type.Optional(Type.Array(Type.Object({
    name: RequiredText(20, { minLength: 1, description: 'Declared as ${param1}; filled by the dync_params key param1.' }),
    type: Int(0, 100),
    example: RequiredText(100, { minLength: 1 }),
  }, { title: 'AimPersonalTemplateParam' }), { maxItems: 20, 'x-rule': 'a list of at most 20 params' })),
  factorys: Type.Optional(Type.Array(Type.Object({
    factory_type: OneOf(VENDORS),
    state: Int(0, 1),
  }, { title: 'AimPersonalTemplateFactory' }), { maxItems: VENDORS.length, 'x-rule': `a list of at most ${VENDORS.length} vendors` })),
  sms_signs: Type.Optional(Type.Array(RequiredText(20, { minLength: 1 }), { maxItems: 3, 'x-rule': 'a list of at most 3 signatures of 1 to 20 characters' })),
  sms_example: Type.Optional(Text(70)),
  sms_template: Type.Optional(Text(2000)),
}, { $id: 'CreateAimPersonalTemplateRequestBody', title: 'CreateAimPersonalTemplateRequestBody' });

export const TemplateCreated = Envelope(Type.Object({ tpl_id: Type.String({ examples: ['600000001'] }) }));
const Done = Envelope(Type.Null());

const TemplateParam = Type.Object({
  name: Type.String(), type: Type.String({ description: 'string (text).' }), has_length: Type.Boolean(), length_restrict: Type.Boolean(),
  min_length: Type.Integer(), max_length: Type.Integer(), fix_length: Type.Integer(),
});

const FactoryInfo = Type.Object({
  factory_type: Type.String(), state: Type.Integer({ description: '1 active (approved); 2 under review; 0 rejected.' }), tpl_id: Type.String(), version: Type.String(),
});

const TemplateItem = Type.Object({
  tpl_id: Type.String(),
  tpl_name: Type.String(),
  tpl_state: Type.Integer({ description: '1 enabled, 0 disabled.' }),
  audit_state: Type.Integer({ description: '1 reviewing, 2 approved, 3 rejected.' }),
  audit_desc: Nullable(Type.String()),
  description: Nullable(Type.String({ description: 'The sms_example given at creation.' })),
  scene: Nullable(Type.String()),
  card_id: Nullable(Type.String({ description: 'null for a template registered by id and name only.' })),
  match_type: Type.Union([Type.Integer(), Type.Null()]),
  sub_type: Type.Union([Type.Integer(), Type.Null()]),
  pages: Type.Optional(Nullable(Type.String({ description: 'The pages as submitted, JSON text.' }))),
  params: Type.Optional(Type.Array(TemplateParam)),
  factory_info: Type.Array(FactoryInfo),
  preview_url: Nullable(Type.String()),
  tpl_type: Type.String({ description: 'Extension: always private.' }),
  creation_time: Type.String(),
  update_time: Nullable(Type.String()),
  disable_time: Nullable(Type.String()),
  disable_desc: Nullable(Type.String()),
});

export const TemplatesResponse = Type.Object({ templates: Type.Array(TemplateItem), page_info: PageInfo });

export type TemplatesResponseBody = Static<typeof TemplatesResponse>;

const TplIdParams = Type.Object({ tpl_id: RequiredText(36, { minLength: 1 }) });

export const TemplateStateBody = Type.Object({
  tpl_state: Type.Integer({ enum: [0, 1], 'x-rule': '0 (disable) or 1 (enable)' }),
}, { $id: 'UpdatePersonalTemplateStateDataRequest', title: 'UpdatePersonalTemplateStateDataRequest' });

export const TemplateReviewBody = Type.Object({
  account: RequiredText(64, { minLength: 1, description: 'The account the template belongs to, by name.' }),
  tpl_id: RequiredText(36, { minLength: 1 }),
  decision: OneOf(['approve', 'reject'], 'approve or reject'),
  reason: Type.Optional(Text(200)),
  factory: Type.Optional(OneOf(VENDORS)),
}, { $id: 'TemplateReviewBody', title: 'TemplateReviewBody' });

const TemplateStatus = Type.Object({
  tpl_id: Type.String(), tpl_state: Type.Integer(), audit_state: Type.Integer(), audit_desc: Nullable(Type.String()),
  factory_info: Type.Array(Type.Object({ factory_type: Type.String(), state: Type.Integer() })),
});

const iso = (ms: number | null) => (ms === null ? null : formatIsoMillis(ms));

function previewUrl(request: FastifyRequest, key: string | null): string | null {
  return key === null ? null : `${request.protocol}://${request.host}/previews/${key}`;
}

/** A template as ListAimTemplates gives it. */
function templateItem(t: StoredTemplate, request: FastifyRequest, statusOnly: boolean): Static<typeof TemplateItem> {
  return {
    tpl_id: t.tplId, tpl_name: t.tplName, tpl_state: t.tplState, audit_state: t.auditState, audit_desc: t.auditDesc,
    description: t.description, scene: t.scene, card_id: t.cardId, match_type: t.matchType, sub_type: t.subType,
    ...(statusOnly ? {} : {
      pages: t.pages,
      params: t.params.map((p) => ({ name: p.name, type: 'string', has_length: false, length_restrict: false, min_length: 0, max_length: 0, fix_length: 0 })),
    }),
    factory_info: t.vendors.map((v) => ({ factory_type: v.vendor, state: vendorStateCode(v.review), tpl_id: t.tplId, version: '1' })),
    preview_url: previewUrl(request, t.previewKey), tpl_type: 'private',
    creation_time: formatIsoMillis(t.createdAt), update_time: iso(t.updatedAt), disable_time: iso(t.disableTime), disable_desc: t.disableDesc,
  };
}

/** ListAimTemplates, CreateAimPersonalTemplate, UpdatePersonalTemplateState, DeleteAimPersonalTemplate, and the operator's review. */
export async function templateRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/v1/aim/templates', {
    schema: {
      operationId: 'ListAimTemplates',
      summary: 'Query AIM templates',
      tags: ['templates'],
      querystring: TemplatesQuerystring,
      response: { 200: TemplatesResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:list'),
  }, async (request) => {
    const q = request.query;
    const { none, offset, limit, ...filter } = templatesQuery({
      tplId: q.tpl_id, tplName: q.tpl_name, tplType: q.tpl_type, hasParam: q.has_param, vendors: q.factory_type,
      beginTime: q.begin_time, endTime: q.end_time, offset: q.offset, limit: q.limit,
    }, deps.clock());
    const page = none ? { rows: [], total: 0 } : await deps.store.read((r) => r.templates.list(principalOf(request).account.id, filter, offset, limit));
    return {
      templates: page.rows.map((t) => templateItem(t, request, q.is_only_status === true)),
      page_info: { offset, limit, total: page.total },
    } satisfies TemplatesResponseBody;
  });

  app.post('/v1/aim/templates', {
    schema: {
      operationId: 'CreateAimPersonalTemplate',
      summary: 'Create an AIM card template (role te_user or te_admin)',
      description: 'Checks every rule of the official definition (each failure a 400 naming the field). The template starts under review (audit_state 1) for each vendor with state 1, unless the deployment approves on creation (AIMLEDGER_TEMPLATE_AUTO_APPROVE); only approved, enabled templates are sent.',
      tags: ['templates'],
      body: CreateTemplateBody,
      response: { 200: TemplateCreated, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    const tplId = await deps.templates.create(principalOf(request).account.id, request.body as NewTemplateInput);
    return { status: '200', message: 'success', data: { tpl_id: tplId } };
  });

  app.put('/v1/aim/template-state/:tpl_id', {
    schema: {
      operationId: 'UpdatePersonalTemplateState',
      summary: 'Enable or disable an AIM template (role te_user or te_admin)',
      description: 'Disabling sets disable_time and disable_desc; enabling clears both. A disabled template cannot be sent (KM.00001082).',
      tags: ['templates'],
      params: TplIdParams,
      body: TemplateStateBody,
      response: { 200: Done, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    await deps.templates.setState(principalOf(request).account.id, request.params.tpl_id, request.body.tpl_state as 0 | 1);
    return { status: '200', message: 'success', data: null };
  });

  app.delete('/v1/aim/template/:tpl_id', {
    schema: {
      operationId: 'DeleteAimPersonalTemplate',
      summary: 'Delete an AIM template (role te_user or te_admin)',
      description: 'Gone from lists and sends; send details and tasks that name it keep its id and name.',
      tags: ['templates'],
      params: TplIdParams,
      response: { 200: Done, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:manage'),
  }, async (request) => {
    await deps.templates.remove(principalOf(request).account.id, request.params.tpl_id);
    return { status: '200', message: 'success', data: null };
  });

  app.post('/v1/aim/template-reviews', {
    schema: {
      operationId: 'ReviewAimTemplate',
      summary: 'Approve or reject a template for its vendors (platform operators only)',
      description: 'Sets the review of one vendor (factory) or, without one, of all the template\'s vendors. The overall audit_state is 2 once any vendor approved, 3 once all rejected, 1 otherwise. Every change queues a template-status receipt (url_type 1). Authenticate with an operator token.',
      tags: ['templates'],
      body: TemplateReviewBody,
      response: { 200: TemplateStatus, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'templates:review'),
  }, async (request) => {
    const { body } = request;
    const account = await deps.store.accounts.findByName(body.account);
    if (!account) throw new InvalidParameter(`account ${body.account} does not exist`, ErrorCodes.invalidParameter);
    const template = await deps.templates.review(account.id, body.tpl_id, body.decision as 'approve' | 'reject', {
      ...(body.reason !== undefined ? { reason: body.reason } : {}), ...(body.factory !== undefined ? { vendor: body.factory } : {}),
    });
    return templateStatusReceipt(template);
  });
}
