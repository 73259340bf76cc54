import { optionalTime, pairedRange } from './query-params.js';

/** The phone vendors a template may target (ListAimTemplates' factory_type). */
export const FACTORY_TYPES = ['HUAWEI', 'XIAOMI', 'OPPO', 'MEIZU', 'VIVO'] as const;

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

/** ListAimTemplates' query, its fields already validated. Every template here is private, approved and without variables. */
export function templatesQuery(input: {
  tplId?: string; tplName?: string; tplType?: 'public' | 'private'; hasParam?: boolean; beginTime?: string; endTime?: string;
  offset?: number; limit?: number;
}, now: Date): TemplatesQuery {
  const query: TemplatesQuery = { none: input.tplType === 'public' || input.hasParam === true, offset: input.offset ?? 0, limit: input.limit ?? 20 };
  if (input.tplId !== undefined) query.tplId = input.tplId;
  if (input.tplName !== undefined) query.tplName = input.tplName;
  const range = pairedRange(optionalTime(input.beginTime, 'begin_time'), optionalTime(input.endTime, 'end_time'), now, 'templates');
  if (range) {
    query.createdFrom = range.from;
    query.createdTo = range.to;
  }
  return query;
}
