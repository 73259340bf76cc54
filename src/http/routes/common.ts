import { Type } from 'typebox';

const ref = Type.Unsafe({ $ref: 'ErrorBody#' });

/** The error responses every `/v1/aim/*` route documents. */
export const errorResponses = {
  400: { ...ref, description: 'Invalid parameter (KM.80000002, KM.90016458, KM.90016459).' },
  401: { ...ref, description: 'Missing or invalid credentials (APIG.0301); the body adds request_id.' },
  403: { ...ref, description: 'The role may not call this operation (KM.80020000).' },
  429: { ...ref, description: 'Too many failed signatures from this address for this access key (APIG.0308); see Retry-After.' },
  500: { ...ref, description: 'Internal error (KM.80000001); details are in the server log under the X-Request-Id.' },
};
