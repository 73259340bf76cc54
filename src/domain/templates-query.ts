import { InvalidParameter } from './errors.js';
import { integerParam, pairedRange, single, textParam, type RawQuery } from './query-params.js';

/** A validated ListAimTemplates query. */
export interface TemplatesQuery {
  tplId?: string;
  tplName?: string;
  createdFrom?: number;
  createdTo?: number;
  /** The filters exclude every template (public ones, ones with variables: there are none here). */
  none: boolean;
  offset: number;
  limit: number;
}

function bool(raw: RawQuery, name: string): boolean | undefined {
  const value = single(raw, name);
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidParameter(`${name} must be true or false`);
}

/** ListAimTemplates' query. Every template here is private, approved and without variables. */
export function parseTemplatesQuery(raw: RawQuery, now: Date): TemplatesQuery {
  const query: TemplatesQuery = { none: false, offset: 0, limit: 20 };
  const tplId = textParam(raw, 'tpl_id', 36);
  if (tplId !== undefined) query.tplId = tplId;
  const tplName = textParam(raw, 'tpl_name', 100);
  if (tplName !== undefined) query.tplName = tplName;
  const type = textParam(raw, 'tpl_type', 16);
  if (type !== undefined && type !== 'public' && type !== 'private') throw new InvalidParameter('tpl_type must be public or private');
  const factories = raw.factory_type === undefined ? [] : [raw.factory_type].flat();
  if (factories.length > 5 || factories.some((f) => !['HUAWEI', 'XIAOMI', 'OPPO', 'MEIZU', 'VIVO'].includes(f))) {
    throw new InvalidParameter('factory_type takes up to 5 of HUAWEI, XIAOMI, OPPO, MEIZU, VIVO');
  }
  const hasParam = bool(raw, 'has_param');
  bool(raw, 'is_only_status');
  const range = pairedRange(raw, now, 'templates');
  if (range) {
    query.createdFrom = range.from;
    query.createdTo = range.to;
  }
  query.none = type === 'public' || hasParam === true;
  query.offset = integerParam(raw, 'offset', 0, 1_000_000, 0);
  query.limit = integerParam(raw, 'limit', 1, 100, 20);
  return query;
}

