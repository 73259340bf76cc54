import { Type } from 'typebox';
import { ERROR_CATALOGUE } from '../../domain/errors.js';
import { STATUS } from '../error-handler.js';

const ref = Type.Unsafe({ $ref: 'ErrorBody#' });

/** What an answer with this status adds to every error of the catalogue it can carry. */
const NOTES: Record<number, string> = {
  401: 'The body adds request_id.',
  429: 'The body adds request_id.',
  500: 'Details are in the server log under the X-Request-Id.',
};

/**
 * The error responses every `/v1/aim/*` route documents, generated from the error catalogue: per
 * status, each code it can carry and what it means.
 */
export const errorResponses: Record<number, object> = (() => {
  const byStatus = new Map<number, string[]>();
  for (const entry of Object.values(ERROR_CATALOGUE)) {
    const status = STATUS[entry.kind];
    byStatus.set(status, [...(byStatus.get(status) ?? []), `${entry.code}: ${entry.summary}.`]);
  }
  return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, lines]) => [
    status, { ...ref, description: [...lines, NOTES[status]].filter(Boolean).join(' ') },
  ]));
})();
