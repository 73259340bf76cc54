import { InvalidParameter } from './errors.js';

/**
 * AIM card templates (CreateAimPersonalTemplate): their parts, and the rules of the official
 * definition that relate one field to another. Field shapes, lengths and enums are checked by the
 * route's schema first; what is here needs more than one field, or the vendors chosen.
 */

/** The layouts (`card_id`) the definition lists. */
export const CARD_IDS = [
  'MultipleImageAndText', 'StandardImageAndText', 'PureText', 'VideoImageAndText', 'Video', 'ECImageAndText',
  'RedPacket', 'RedPacketPersonal', 'ImageTextAndVideo', 'Notification1', 'Notification2', 'Carousel', 'CarouselTitle',
  'CarouselSquareImage', 'CarouselImageSixteenToNine', 'CarouselVerticalImage', 'CardVoucher', 'CardVouchers',
  'Ecommerce', 'Trip1', 'Trip2', 'Trip3', 'PlaneTrip', 'SimplePoster', 'NativePureText', 'NativeImageAndText',
  'ShortVideo', 'ShortVideoImage', 'EcommerceCouponVertical',
] as const;
export type CardId = (typeof CARD_IDS)[number];

/** The phone vendors a template can be submitted to (`factorys[].factory_type`). */
export const VENDORS = ['HUAWEI', 'XIAOMI', 'OPPO', 'VIVO', 'MEIZU', 'SAMSUNG'] as const;
export type Vendor = (typeof VENDORS)[number];

/** How the template-status receipt spells each vendor (KooMessage's push format). */
export const VENDOR_PUSH_NAMES: Record<Vendor, string> = {
  HUAWEI: 'HuaWei', XIAOMI: 'XiaoMi', OPPO: 'OPPO', VIVO: 'VIVO', MEIZU: 'MEIZU', SAMSUNG: 'SAMSUNG',
};

export const CONTENT_TYPES = ['text', 'image', 'video', 'button'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

export const ACTION_TYPES = [
  'OPEN_URL', 'OPEN_QUICK', 'OPEN_APP', 'DIAL_PHONE', 'OPEN_SMS', 'OPEN_EMAIL', 'OPEN_SCHEDULE', 'OPEN_MAP',
  'OPEN_BROWSER', 'OPEN_POPUP', 'COPY_PARAMETER', 'VIEW_PIC',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** The layouts each vendor supports, as the definition's factory_type lists them. */
const VENDOR_LAYOUTS: Record<Vendor, readonly CardId[]> = {
  HUAWEI: [
    'MultipleImageAndText', 'StandardImageAndText', 'PureText', 'Carousel', 'CarouselTitle', 'VideoImageAndText', 'Video',
    'ECImageAndText', 'RedPacket', 'RedPacketPersonal', 'Notification2', 'CarouselSquareImage', 'CarouselImageSixteenToNine',
    'CarouselVerticalImage', 'ImageTextAndVideo', 'Notification1', 'CardVoucher', 'CardVouchers', 'Ecommerce',
    'EcommerceCouponVertical', 'Trip1', 'Trip2', 'Trip3', 'PlaneTrip', 'SimplePoster', 'NativePureText', 'NativeImageAndText',
    'ShortVideo',
  ],
  XIAOMI: ['MultipleImageAndText', 'StandardImageAndText', 'RedPacket', 'Notification2', 'Notification1'],
  OPPO: [
    'MultipleImageAndText', 'StandardImageAndText', 'PureText', 'Carousel', 'Video', 'ECImageAndText', 'RedPacket',
    'CarouselSquareImage', 'CarouselImageSixteenToNine', 'CarouselVerticalImage', 'CardVoucher',
  ],
  MEIZU: ['MultipleImageAndText', 'StandardImageAndText', 'Carousel', 'CarouselTitle'],
  VIVO: [
    'MultipleImageAndText', 'StandardImageAndText', 'CarouselSquareImage', 'CarouselImageSixteenToNine', 'CarouselVerticalImage',
    'Video', 'ECImageAndText', 'RedPacket', 'Notification2', 'Notification1', 'RedPacketPersonal', 'CardVoucher',
  ],
  SAMSUNG: [
    'MultipleImageAndText', 'StandardImageAndText', 'PureText', 'Carousel', 'CarouselTitle', 'VideoImageAndText', 'Video',
    'ECImageAndText', 'RedPacket', 'CarouselSquareImage', 'CarouselImageSixteenToNine', 'CarouselVerticalImage',
    'ImageTextAndVideo', 'Notification1', 'Trip1', 'Trip2', 'Trip3',
  ],
};

/** Click actions a vendor does not support. */
const VENDOR_ACTIONS: Partial<Record<Vendor, { only?: readonly ActionType[]; not?: readonly ActionType[] }>> = {
  OPPO: { only: ['OPEN_BROWSER', 'OPEN_QUICK', 'OPEN_APP', 'OPEN_URL'] },
  VIVO: { not: ['OPEN_EMAIL', 'OPEN_MAP'] },
  MEIZU: { not: ['VIEW_PIC'] },
  SAMSUNG: { not: ['OPEN_SCHEDULE', 'VIEW_PIC'] },
};

/** Fallback types (`floor_type`) a vendor does not support: 0 app market, 1 H5 page, 2 browser, 3 quick app. */
const VENDOR_FLOORS: Partial<Record<Vendor, readonly number[]>> = { XIAOMI: [1], OPPO: [3], VIVO: [3], SAMSUNG: [0, 2] };

/** Layouts whose sub_type has a meaning: its allowed values, and the values only HUAWEI supports. */
const SUB_TYPES: Partial<Record<CardId, { values: readonly number[]; huaweiOnly: readonly number[] }>> = {
  RedPacket: { values: [1, 2], huaweiOnly: [2] },
  RedPacketPersonal: { values: [1, 2], huaweiOnly: [2] },
  CardVoucher: { values: [1, 2], huaweiOnly: [2] },
  ECImageAndText: { values: [1, 2, 3, 4, 5], huaweiOnly: [2, 3, 4, 5] },
  CarouselVerticalImage: { values: [1, 2, 3, 4, 5, 6], huaweiOnly: [2, 3, 4, 5, 6] },
  ShortVideoImage: { values: [1, 2], huaweiOnly: [] },
  EcommerceCouponVertical: { values: [1, 2], huaweiOnly: [] },
};

/** Layouts whose images are a carousel: at most five images. */
const CAROUSEL_IMAGE_LAYOUTS: readonly CardId[] = ['CarouselSquareImage', 'CarouselImageSixteenToNine', 'CarouselVerticalImage'];
/** Layouts whose images take the button's action rather than their own. */
const IMAGES_WITHOUT_ACTIONS: readonly CardId[] = ['Carousel', 'CarouselTitle'];

/** The opt-out text every template must carry in some text content. */
export const OPT_OUT_TEXT = '拒收请回复R';
/** The word that marks a trial template (use_id 2). */
export const TRIAL_WORD = '测试';

/** A click action as submitted. */
export interface TemplateAction {
  target: string;
  address?: string;
  begin_time?: string;
  body?: string;
  content?: string;
  description?: string;
  end_time?: string;
  floor_type?: number;
  floor_url?: string;
  latitude?: string;
  longitude?: string;
  mode?: number;
  package_name?: string;
  subject?: string;
  text_button?: string;
}

/** One component of a page, as submitted. */
export interface TemplateContent {
  type: string;
  position_number: number;
  content?: string;
  content_child?: string;
  src?: string;
  src_type?: number;
  cover?: string;
  action_type?: string;
  action?: TemplateAction;
  is_text_title?: string;
  currency_display?: number;
  visible?: number;
  ratio?: string;
  button_type?: string;
  oppo_background?: string;
  vivo_background?: string;
}

export interface TemplatePage {
  page_order: number;
  contents: TemplateContent[];
}

/** A declared variable: `name` is `${param1}`, filled by the dync_params key `param1`. */
export interface TemplateParamInput {
  name: string;
  type: number;
  example: string;
}

/** CreateAimPersonalTemplate's body, its shape already checked. */
export interface NewTemplateInput {
  tpl_name: string;
  use_id: number;
  card_id: string;
  scene?: string;
  sub_type?: number;
  pages: TemplatePage[];
  params?: TemplateParamInput[];
  factorys?: Array<{ factory_type: string; state: number }>;
  sms_signs?: string[];
  sms_example?: string;
  sms_template?: string;
}

/** A template that passed every rule: what the store keeps, and what the caller must check against stored data. */
export interface CheckedTemplate {
  input: NewTemplateInput;
  /** Vendors the template is submitted to (factorys with state 1), in the order given. */
  vendors: Vendor[];
  /** The variables, by their dync_params key. */
  params: Array<{ key: string; name: string; type: number; example: string }>;
  /** Material ids (src_type 1) the pages use; each must be one of the account's materials. */
  materialIds: string[];
  /** Where each material is used, and the kinds of material that place takes. */
  materialRefs: MaterialRef[];
}

/** A material a page names: the field, and the kinds of material it may be. */
export interface MaterialRef {
  id: string;
  field: string;
  kinds: ReadonlyArray<'image' | 'video' | 'thumbnail'>;
}

/** The dync_params key a param name declares: `${param1}` → `param1`. */
const PARAM_NAME = /^\$\{([A-Za-z0-9_]{1,17})\}$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const SCHEDULE_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const MATERIAL_ID = /^[0-9]{1,32}$/;
const SMS_TEMPLATE_SLOT = /^(文本|字母|数字)(\d{1,2})-(\d{1,2})$/;
/** A static SMS text plus the longest its variables can be. */
const SMS_TEMPLATE_MAX = 370;

function fail(field: string, rule: string): never {
  throw new InvalidParameter(`${field} ${rule}`);
}

/** Every string of a value, with the field it is at. */
function* stringsOf(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [at, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* stringsOf(item, `${at}[${i}]`);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* stringsOf(v, at ? `${at}.${k}` : k);
  }
}

function checkUrl(field: string, value: string, schemes: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(field, `must be a ${schemes.join(' or ')} URL`);
  }
  if (!schemes.includes(url.protocol.slice(0, -1)) || url.hostname === '') fail(field, `must be a ${schemes.join(' or ')} URL`);
}

function checkLength(field: string, value: string | undefined, max: number, required = true): void {
  if (value === undefined || value.length === 0) {
    if (required) fail(field, 'is required for this action_type');
    return;
  }
  if ([...value].length > max) fail(field, `must be at most ${max} characters for this action_type`);
}

function scheduleTime(field: string, value: string | undefined): number {
  const m = value === undefined ? null : SCHEDULE_TIME.exec(value);
  if (!m) return fail(field, 'is required for OPEN_SCHEDULE, as yyyy-MM-dd HH:mm:ss');
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    fail(field, 'must be a real date and time, as yyyy-MM-dd HH:mm:ss');
  }
  return ms;
}

/** Fields an action may carry only with these action types. */
const ACTION_FIELDS: Record<Exclude<keyof TemplateAction, 'target'>, readonly ActionType[]> = {
  address: ['OPEN_MAP'], latitude: ['OPEN_MAP'], longitude: ['OPEN_MAP'],
  begin_time: ['OPEN_SCHEDULE'], end_time: ['OPEN_SCHEDULE'], description: ['OPEN_SCHEDULE'],
  body: ['OPEN_SMS', 'OPEN_EMAIL'], subject: ['OPEN_EMAIL'],
  content: ['OPEN_POPUP'], text_button: ['OPEN_POPUP'], mode: ['OPEN_POPUP'],
  package_name: ['OPEN_APP'], floor_type: ['OPEN_APP'], floor_url: ['OPEN_APP'],
};

function checkAction(at: string, type: ActionType, action: TemplateAction, vendors: readonly Vendor[], imageSources: ReadonlySet<string>): void {
  const target = action.target;
  for (const [name, types] of Object.entries(ACTION_FIELDS) as Array<[keyof typeof ACTION_FIELDS, readonly ActionType[]]>) {
    if (action[name] !== undefined && !types.includes(type)) fail(`${at}.action.${name}`, `applies only to action_type ${types.join(' or ')}`);
  }
  switch (type) {
    case 'OPEN_URL':
      checkLength(`${at}.action.target`, target, 1000);
      checkUrl(`${at}.action.target`, target, ['https']);
      break;
    case 'OPEN_QUICK':
      checkLength(`${at}.action.target`, target, 1000);
      break;
    case 'OPEN_APP': {
      checkLength(`${at}.action.target`, target, 1000);
      checkLength(`${at}.action.package_name`, action.package_name, 50);
      const floor = action.floor_type;
      if (floor !== undefined) {
        for (const vendor of vendors) {
          const refused = VENDOR_FLOORS[vendor];
          // SAMSUNG's limits count only when it is the only vendor (the others' rules win otherwise).
          if (refused?.includes(floor) && (vendor !== 'SAMSUNG' || vendors.length === 1)) {
            fail(`${at}.action.floor_type`, `${floor} is not supported by ${vendor}`);
          }
        }
        if (floor === 2 && vendors.includes('OPPO') && !action.floor_url) fail(`${at}.action.floor_url`, 'is required when floor_type is 2 and OPPO is among the vendors');
      }
      if (action.floor_url) checkLength(`${at}.action.floor_url`, action.floor_url, 1000);
      break;
    }
    case 'DIAL_PHONE':
      checkLength(`${at}.action.target`, target, 20);
      break;
    case 'OPEN_SMS':
      checkLength(`${at}.action.target`, target, 20);
      checkLength(`${at}.action.body`, action.body, 100);
      break;
    case 'OPEN_EMAIL':
      checkLength(`${at}.action.target`, target, 100);
      checkLength(`${at}.action.subject`, action.subject, 100);
      checkLength(`${at}.action.body`, action.body, 100);
      break;
    case 'OPEN_SCHEDULE': {
      checkLength(`${at}.action.target`, target, 100);
      checkLength(`${at}.action.description`, action.description, 100);
      const begin = scheduleTime(`${at}.action.begin_time`, action.begin_time);
      const end = scheduleTime(`${at}.action.end_time`, action.end_time);
      if (begin > end) fail(`${at}.action.begin_time`, 'must not be later than end_time');
      break;
    }
    case 'OPEN_MAP':
      checkLength(`${at}.action.target`, target, 100);
      checkLength(`${at}.action.address`, action.address, 100);
      checkLength(`${at}.action.latitude`, action.latitude, 20);
      checkLength(`${at}.action.longitude`, action.longitude, 20);
      break;
    case 'OPEN_BROWSER':
      checkLength(`${at}.action.target`, target, 1000);
      checkUrl(`${at}.action.target`, target, ['https', 'http']);
      break;
    case 'OPEN_POPUP':
      checkLength(`${at}.action.target`, target, 30);
      checkLength(`${at}.action.content`, action.content, 100);
      checkLength(`${at}.action.text_button`, action.text_button, 12);
      if (action.mode === undefined) fail(`${at}.action.mode`, 'is required for OPEN_POPUP');
      if (action.mode !== 0) fail(`${at}.action.mode`, 'must be 0 (modal): non-modal pop-ups are not supported');
      break;
    case 'COPY_PARAMETER':
      checkLength(`${at}.action.target`, target, 20);
      break;
    case 'VIEW_PIC':
      checkLength(`${at}.action.target`, target, 1000);
      if (!imageSources.has(target)) fail(`${at}.action.target`, 'must be the src of one of the template\'s images');
      break;
  }
  for (const vendor of vendors) {
    const rule = VENDOR_ACTIONS[vendor];
    if ((rule?.only && !rule.only.includes(type)) || rule?.not?.includes(type)) fail(`${at}.action_type`, `${type} is not supported by ${vendor}`);
  }
}

/** A resource field (src, cover, backgrounds): a material id for src_type 1, a URL for 2. */
function checkSource(field: string, value: string, srcType: number | undefined, materials: MaterialRef[], kinds: MaterialRef['kinds']): void {
  if (srcType === 1) {
    if (!MATERIAL_ID.test(value)) fail(field, 'must be a material\'s aim_resource_id when src_type is 1');
    materials.push({ id: value, field, kinds });
  } else if (srcType === 2) {
    if ([...value].length > 1000) fail(field, 'must be at most 1000 characters');
    checkUrl(field, value, ['https', 'http']);
  } else {
    fail(`${field.replace(/\.[a-z_]+$/, '')}.src_type`, 'is required (1: a material id, 2: a URL)');
  }
}

function checkSmsTemplate(text: string): void {
  let length = 0;
  let last = 0;
  for (const m of text.matchAll(/\[([^\]]*)\]/g)) {
    length += [...text.slice(last, m.index)].length;
    last = m.index + m[0].length;
    const slot = SMS_TEMPLATE_SLOT.exec(m[1] as string);
    if (!slot) fail('sms_template', `has "${m[0]}": a variable is [文本a-b], [字母a-b] or [数字a-b]`);
    const [min, max] = [Number(slot[2]), Number(slot[3])];
    if (min > max || max > 99) fail('sms_template', `has "${m[0]}": a variable's lengths are at most 99, the first not above the second`);
    length += max;
  }
  length += [...text.slice(last)].length;
  if (/[[\]]/.test(text.replace(/\[[^\]]*\]/g, ''))) fail('sms_template', 'has an unmatched bracket');
  if (length > SMS_TEMPLATE_MAX) fail('sms_template', `may be at most ${SMS_TEMPLATE_MAX} characters with its variables at their longest (it is ${length})`);
}

/**
 * Checks a template against the definition's rules that JSON Schema cannot state. Throws
 * InvalidParameter naming the first field that breaks one.
 */
export function checkTemplate(input: NewTemplateInput): CheckedTemplate {
  for (const [field, value] of stringsOf(input, '')) {
    if (/[<>&]/.test(value)) fail(field, 'must not contain <, > or &');
    if (value.includes('  ')) fail(field, 'must not contain two spaces in a row');
  }
  if (!(CARD_IDS as readonly string[]).includes(input.card_id)) fail('card_id', `must be one of ${CARD_IDS.join(', ')}`);
  const cardId = input.card_id as CardId;
  if (input.use_id !== 1 && input.use_id !== 2) fail('use_id', 'must be 1 (commercial) or 2 (trial)');
  if (input.use_id === 2 && !input.tpl_name.includes(TRIAL_WORD)) fail('tpl_name', `must contain "${TRIAL_WORD}" when use_id is 2 (trial)`);
  if (input.use_id === 1) {
    for (const [field, value] of stringsOf(input, '')) if (value.includes(TRIAL_WORD)) fail(field, `must not contain "${TRIAL_WORD}" when use_id is 1 (commercial)`);
  }

  const vendors: Vendor[] = [];
  const seenVendors = new Set<string>();
  for (const [i, f] of (input.factorys ?? []).entries()) {
    if (seenVendors.has(f.factory_type)) fail(`factorys[${i}].factory_type`, `names ${f.factory_type} twice`);
    seenVendors.add(f.factory_type);
    if (f.state !== 1) continue;
    const vendor = f.factory_type as Vendor;
    if (!VENDOR_LAYOUTS[vendor].includes(cardId)) fail(`factorys[${i}].factory_type`, `${vendor} does not support the layout ${cardId}`);
    vendors.push(vendor);
  }
  if (vendors.includes('VIVO')) {
    if (!input.sms_signs?.length) fail('sms_signs', 'is required when VIVO is among the vendors');
    if (!input.sms_template) fail('sms_template', 'is required when VIVO is among the vendors');
  }
  const seenSigns = new Set<string>();
  for (const [i, sign] of (input.sms_signs ?? []).entries()) {
    if (/[[\]【】]/.test(sign)) fail(`sms_signs[${i}]`, 'must not contain brackets');
    if (seenSigns.has(sign)) fail(`sms_signs[${i}]`, `names "${sign}" twice`);
    seenSigns.add(sign);
  }
  if (input.sms_template !== undefined) checkSmsTemplate(input.sms_template);

  if (input.sub_type !== undefined) {
    const rule = SUB_TYPES[cardId];
    if (rule && !rule.values.includes(input.sub_type)) fail('sub_type', `must be one of ${rule.values.join(', ')} for ${cardId}`);
    if (rule?.huaweiOnly.includes(input.sub_type)) {
      const other = vendors.find((v) => v !== 'HUAWEI');
      if (other) fail('sub_type', `${input.sub_type} is supported by HUAWEI only, and ${other} is among the vendors`);
    }
  }

  const params: CheckedTemplate['params'] = [];
  const declared = new Set<string>();
  for (const [i, p] of (input.params ?? []).entries()) {
    const key = PARAM_NAME.exec(p.name)?.[1];
    if (!key) fail(`params[${i}].name`, 'must be a variable like ${param1} (letters, digits or _ inside ${})');
    if (declared.has(key)) fail(`params[${i}].name`, `declares ${p.name} twice`);
    if (p.type !== 1) fail(`params[${i}].type`, 'must be 1 (text)');
    declared.add(key);
    params.push({ key, name: p.name, type: p.type, example: p.example });
  }

  const orders = new Set<number>();
  const imageSources = new Set<string>();
  for (const page of input.pages) for (const c of page.contents) if (c.type === 'image' && c.src) imageSources.add(c.src);
  const materials: MaterialRef[] = [];
  let images = 0;
  let optOut = false;
  for (const [p, page] of input.pages.entries()) {
    if (page.page_order < 1 || page.page_order > 10) fail(`pages[${p}].page_order`, 'must be from 1 to 10');
    if (orders.has(page.page_order)) fail(`pages[${p}].page_order`, `${page.page_order} is used by another page`);
    orders.add(page.page_order);
    const positions = new Set<number>();
    for (const [c, content] of page.contents.entries()) {
      const at = `pages[${p}].contents[${c}]`;
      if (positions.has(content.position_number)) fail(`${at}.position_number`, `${content.position_number} is used by another content of the page`);
      positions.add(content.position_number);
      if (!(CONTENT_TYPES as readonly string[]).includes(content.type)) fail(`${at}.type`, `must be one of ${CONTENT_TYPES.join(', ')}`);
      const type = content.type as ContentType;
      if ((type === 'text' || type === 'button') && !content.content) fail(`${at}.content`, `is required for ${type} contents`);
      if (type === 'text' && `${content.content ?? ''}${content.content_child ?? ''}`.includes(OPT_OUT_TEXT)) optOut = true;
      if (type === 'image' || type === 'video') {
        if (!content.src) fail(`${at}.src`, `is required for ${type} contents`);
        if (content.src_type === undefined) fail(`${at}.src_type`, `is required for ${type} contents (1: a material id, 2: a URL)`);
        if (content.src_type !== 1 && content.src_type !== 2) fail(`${at}.src_type`, 'must be 1 (a material id) or 2 (a URL)');
        checkSource(`${at}.src`, content.src, content.src_type, materials, type === 'image' ? ['image'] : ['video']);
      }
      if (type === 'image') images++;
      if (type === 'video') {
        if (!content.cover) fail(`${at}.cover`, 'is required for video contents');
        checkSource(`${at}.cover`, content.cover, content.src_type, materials, ['image', 'thumbnail']);
      } else if (content.cover !== undefined) fail(`${at}.cover`, 'applies only to video contents');
      for (const field of ['oppo_background', 'vivo_background'] as const) {
        const value = content[field];
        if (value === undefined) continue;
        if (cardId !== 'RedPacket') fail(`${at}.${field}`, 'applies only to the RedPacket layout');
        checkSource(`${at}.${field}`, value, content.src_type, materials, ['image']);
      }
      const needsAction = type === 'button' || (type === 'image' && !IMAGES_WITHOUT_ACTIONS.includes(cardId));
      if (content.action_type === undefined && content.action === undefined) {
        if (needsAction) fail(`${at}.action_type`, `is required for ${type} contents`);
        continue;
      }
      if (content.action_type === undefined) fail(`${at}.action_type`, 'is required with an action');
      if (content.action === undefined) fail(`${at}.action`, 'is required with an action_type');
      if (!(ACTION_TYPES as readonly string[]).includes(content.action_type)) fail(`${at}.action_type`, `must be one of ${ACTION_TYPES.join(', ')}`);
      checkAction(at, content.action_type as ActionType, content.action, vendors, imageSources);
    }
  }
  if (CAROUSEL_IMAGE_LAYOUTS.includes(cardId) && images > 5) fail('pages', `may hold at most 5 images in the ${cardId} layout (it holds ${images})`);
  if (!optOut) fail('pages', `must carry "${OPT_OUT_TEXT}" in a text content`);
  for (const [field, value] of stringsOf(input.pages, 'pages')) {
    for (const m of value.matchAll(PLACEHOLDER)) {
      if (!declared.has(m[1] as string)) fail(field, `uses ${m[0]}, which params does not declare`);
    }
  }
  return { input, vendors, params, materialIds: [...new Set(materials.map((m) => m.id))], materialRefs: materials };
}

/** Review state of one vendor. */
export type VendorReview = 'reviewing' | 'approved' | 'rejected';

/** audit_state: 1 reviewing, 2 approved (by any vendor), 3 rejected (by all). */
export function overallAuditState(states: readonly VendorReview[]): 1 | 2 | 3 {
  if (states.includes('approved')) return 2;
  if (states.length > 0 && states.every((s) => s === 'rejected')) return 3;
  return 1;
}

/** A vendor's state as lists and template-status receipts give it: 1 active, 2 not yet active, 0 refused. */
export function vendorStateCode(state: VendorReview): 0 | 1 | 2 {
  return state === 'approved' ? 1 : state === 'rejected' ? 0 : 2;
}

/** Why a disabled template is disabled (disable_desc). */
export const DISABLE_DESC = 'Disabled by the account';

/** A declared variable as stored. */
export interface StoredParam {
  /** The dync_params key: `param1` for `${param1}`. */
  key: string;
  name: string;
  type: number;
  example: string;
}

/** One vendor's review of a template. */
export interface VendorState {
  vendor: Vendor;
  review: VendorReview;
  reason: string | null;
  updatedAt: number;
}

/** A template as the store keeps it. Templates registered by id and name only have no card (cardId null). */
export interface StoredTemplate {
  tplId: string;
  tplName: string;
  /** 1 enabled, 0 disabled. */
  tplState: number;
  /** 1 reviewing, 2 approved, 3 rejected. */
  auditState: number;
  auditDesc: string | null;
  /** sms_example. */
  description: string | null;
  scene: string | null;
  cardId: string | null;
  useId: number | null;
  subType: number | null;
  matchType: number | null;
  /** The pages as submitted, JSON text. */
  pages: string | null;
  params: StoredParam[];
  smsSigns: string[];
  smsTemplate: string | null;
  vendors: VendorState[];
  createdAt: number;
  updatedAt: number | null;
  disableTime: number | null;
  disableDesc: string | null;
  previewKey: string | null;
}

/** What the store needs to create a template. */
export interface NewTemplateRecord {
  tplName: string;
  cardId: string;
  scene: string | null;
  useId: number;
  subType: number | null;
  pages: string;
  params: StoredParam[];
  smsSigns: string[];
  smsExample: string | null;
  smsTemplate: string | null;
  vendors: Vendor[];
  /** The materials (aim_resource_ids) the pages use. */
  materialIds: string[];
  /** approved at once (auto-approval) or reviewing. */
  review: Extract<VendorReview, 'reviewing' | 'approved'>;
  previewKey: string;
}

/** The template-status receipt (url_type 1): plain JSON, as KooMessage pushes it. */
export interface TemplateStatusReceipt {
  tpl_id: string;
  tpl_state: number;
  audit_state: number;
  audit_desc: string | null;
  factory_info: Array<{ factory_type: string; state: number }>;
}

export function templateStatusReceipt(t: StoredTemplate): TemplateStatusReceipt {
  return {
    tpl_id: t.tplId, tpl_state: t.tplState, audit_state: t.auditState, audit_desc: t.auditDesc,
    factory_info: t.vendors.map((v) => ({ factory_type: VENDOR_PUSH_NAMES[v.vendor], state: vendorStateCode(v.review) })),
  };
}

/** The material ids (src_type 1) a template's stored pages use. */
export function materialIdsOf(pages: string | null): string[] {
  if (!pages) return [];
  let parsed: TemplatePage[];
  try {
    parsed = JSON.parse(pages) as TemplatePage[];
  } catch {
    return [];
  }
  const ids = new Set<string>();
  for (const page of parsed) {
    for (const c of page.contents) {
      if (c.src_type !== 1) continue;
      for (const v of [c.src, c.cover, c.oppo_background, c.vivo_background]) if (v) ids.add(v);
    }
  }
  return [...ids];
}
