import { optionalTime, pairedRange } from './query-params.js';

/** The phone vendors a template may target (ListAimTemplates' factory_type). */
export const FACTORY_TYPES = ['HUAWEI', 'XIAOMI', 'OPPO', 'MEIZU', 'VIVO'] as const;

/** A validated ListAimTemplates query. */
export interface TemplatesQuery {
  tplId?: string;
  tplName?: string;
  createdFrom?: number;
  createdTo?: number;
  hasParam?: boolean;
  /** Submitted to any of these vendors. */
  vendors?: string[];
  /** The filters exclude every template (public ones: there are none here). */
  none: boolean;
  offset: number;
  limit: number;
}

/** ListAimTemplates' query, its fields already validated. Every template here is private. */
export function templatesQuery(input: {
  tplId?: string; tplName?: string; tplType?: 'public' | 'private'; hasParam?: boolean; vendors?: string[]; beginTime?: string; endTime?: string;
  offset?: number; limit?: number;
}, now: Date): TemplatesQuery {
  const query: TemplatesQuery = { none: input.tplType === 'public', offset: input.offset ?? 0, limit: input.limit ?? 20 };
  if (input.hasParam !== undefined) query.hasParam = input.hasParam;
  if (input.vendors?.length) query.vendors = [...new Set(input.vendors)];
  if (input.tplId !== undefined) query.tplId = input.tplId;
  if (input.tplName !== undefined) query.tplName = input.tplName;
  const range = pairedRange(optionalTime(input.beginTime, 'begin_time'), optionalTime(input.endTime, 'end_time'), now, 'templates');
  if (range) {
    query.createdFrom = range.from;
    query.createdTo = range.to;
  }
  return query;
}
