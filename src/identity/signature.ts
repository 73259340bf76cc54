import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalQueryString, canonicalUri, SIGNING_ALGORITHM } from '../../packages/client/src/canonical.js';

export { canonicalQueryString, canonicalUri, encodeUnreserved, formatSdkDate, SIGNING_ALGORITHM } from '../../packages/client/src/canonical.js';

/**
 * The Huawei Cloud API signature (`SDK-HMAC-SHA256`), as the official SDK cores compute it:
 *
 *   canonical request = METHOD \n URI \n QUERY \n HEADERS \n SIGNED-HEADERS \n SHA256(body)
 *   string to sign    = SDK-HMAC-SHA256 \n X-Sdk-Date \n hex(SHA256(canonical request))
 *   signature         = hex(HMAC-SHA256(secret key, string to sign))
 *
 * Pure functions over the request as it arrived; `identity/authenticator.ts` decides what to trust.
 */

/** SHA-256 of an empty body, the payload hash of a request without one. */
export const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

export interface SignatureHeader {
  accessKey: string;
  /** Lower-case header names, in the order the client listed them. */
  signedHeaders: string[];
  /** Lower-case hex. */
  signature: string;
}

/**
 * Parses `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`. Returns a reason string
 * when the header is malformed.
 */
export function parseSignatureHeader(value: string): SignatureHeader | string {
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${SIGNING_ALGORITHM} `)) return `the Authorization scheme must be ${SIGNING_ALGORITHM}`;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(SIGNING_ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return 'the Authorization header must be Access=…, SignedHeaders=…, Signature=…';
    const name = part.slice(0, eq).trim();
    if (fields.has(name)) return `the Authorization header names ${name} twice`;
    fields.set(name, part.slice(eq + 1).trim());
  }
  const accessKey = fields.get('Access');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKey || !signed || !signature || fields.size !== 3) {
    return 'the Authorization header must be Access=…, SignedHeaders=…, Signature=…';
  }
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return 'the signature must be 64 hex characters';
  const signedHeaders = signed.split(';');
  if (signedHeaders.some((h) => !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(h))) {
    return 'SignedHeaders must be lower-case header names separated by ;';
  }
  return { accessKey, signedHeaders, signature: signature.toLowerCase() };
}

export interface CanonicalInput {
  method: string;
  /** The request target as received: path and query, still encoded. */
  url: string;
  /** Header values by lower-case name, as Node presents them. */
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: string[];
  /** Hex SHA-256 of the body, or the client's `X-Sdk-Content-Sha256` value. */
  payloadHash: string;
}

/** Returns the canonical request, or the name of a signed header the request does not carry. */
export function canonicalRequest(input: CanonicalInput): { request: string } | { missingHeader: string } {
  const q = input.url.indexOf('?');
  const path = q < 0 ? input.url : input.url.slice(0, q);
  const query = q < 0 ? '' : input.url.slice(q + 1);
  let headerLines = '';
  for (const name of input.signedHeaders) {
    const value = input.headers[name];
    if (value === undefined) return { missingHeader: name };
    headerLines += `${name}:${(Array.isArray(value) ? value.join(',') : value).trim()}\n`;
  }
  return {
    request: [
      input.method.toUpperCase(),
      canonicalUri(path),
      canonicalQueryString(query),
      headerLines,
      input.signedHeaders.join(';'),
      input.payloadHash,
    ].join('\n'),
  };
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return [SIGNING_ALGORITHM, sdkDate, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
}

export function sign(secretKey: string, toSign: string): string {
  return createHmac('sha256', secretKey).update(toSign, 'utf8').digest('hex');
}

/** Compares two lower-case hex signatures in constant time. */
export function signaturesEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `YYYYMMDDTHHMMSSZ` to epoch ms, or undefined when it is not that shape or not a real time. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
    || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== s) return undefined;
  return ms;
}

