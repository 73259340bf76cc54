/**
 * The parts of the Huawei Cloud API signature (`SDK-HMAC-SHA256`) that need no cryptography, shared
 * by the server's verifier and the client's signer. No Node.js imports: the client runs in
 * browsers too.
 */
export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';

/** Percent-encodes everything but RFC 3986's unreserved characters, as the SDK signers do. */
export function encodeUnreserved(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Each path segment encoded again (as sent), with a trailing slash. */
export function canonicalUri(rawPath: string): string {
  const path = rawPath.split('/').map(encodeUnreserved).join('/');
  return path.endsWith('/') ? path : `${path}/`;
}

function decodeQueryPart(part: string): string {
  return decodeURIComponent(part.replaceAll('+', ' '));
}

/**
 * The query as the signer saw it before encoding: names sorted, a repeated name's values sorted,
 * each `name=value` encoded. Throws URIError on malformed percent-encoding.
 */
export function canonicalQueryString(rawQuery: string): string {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  const out: string[] = [];
  for (const name of [...values.keys()].sort()) {
    const list = values.get(name) as string[];
    if (list.length > 1) list.sort();
    for (const value of list) out.push(`${encodeUnreserved(name)}=${encodeUnreserved(value)}`);
  }
  return out.join('&');
}

/** Formats epoch ms as an `X-Sdk-Date` value. */
export function formatSdkDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
