import { Type } from 'typebox';

const ref = Type.Unsafe({ $ref: 'ErrorBody#' });

/** The error responses every `/v1/aim/*` route documents. */
export const errorResponses = {
  400: { ...ref, description: 'Invalid parameter (KM.80000002, KM.90016458, KM.90016459).' },
  401: { ...ref, description: 'Missing or invalid credentials (APIG.0301); the body adds request_id.' },
  403: { ...ref, description: 'The role may not call this operation (KM.80020000).' },
  429: { ...ref, description: 'Over the account\'s request rate, or too many failed signatures from this address for this access key (APIG.0308); see Retry-After.' },
  500: { ...ref, description: 'Internal error (KM.80000001); details are in the server log under the X-Request-Id. When the database cannot answer now the message says so and Retry-After is set: retry.' },
  503: { ...ref, description: 'Overloaded (KM.80000001); retry after Retry-After.' },
};

/**
 * A route validator that runs a domain parser on one part of the request (the parsers carry
 * rules JSON Schema cannot, such as the one-year window against the injected clock); what it
 * throws becomes the 400.
 */
export function validateWith(part: 'body' | 'querystring', parse: (data: unknown) => unknown) {
  return ({ httpPart }: { httpPart?: string }) => (data: unknown) => {
    if (httpPart !== part) return true;
    try {
      return { value: parse(data) };
    } catch (error) {
      return { error: error as Error };
    }
  };
}
