import ipaddr from 'ipaddr.js';
import { InvalidParameter } from './errors.js';

/** 0: a receipt per message; 1: template status; 2: receipts in batches (KooMessage's url_type). */
export type UrlType = 0 | 1 | 2;

export interface CallbackRequest {
  callbackUrl: string;
  urlType: UrlType;
}

/**
 * AddCallBack's request, its fields' forms already checked (1–1000 characters beginning http:// or
 * https://; url_type 0, 1 or 2, default 0): the URL must parse, name a host, and carry no
 * credentials.
 */
export function callbackRequest(input: { callbackUrl: string; urlType?: UrlType }): CallbackRequest {
  const url = input.callbackUrl;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidParameter('callback_url must be an http:// or https:// URL');
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new InvalidParameter('callback_url must be an http:// or https:// URL');
  }
  if (parsed.username || parsed.password) throw new InvalidParameter('callback_url must not carry a user name or password');
  return { callbackUrl: url, urlType: input.urlType ?? 0 };
}

/**
 * True for an address a receipt may be pushed to: global unicast only. IPv4 private, loopback,
 * link-local, carrier-grade NAT, documentation, benchmarking, multicast and reserved ranges are
 * refused; IPv6 must lie in 2000::/3 and outside its special ranges (Teredo, documentation,
 * ORCHID, benchmarking, …), so site-local fec0::/10, discard 100::/64, unique-local and the rest
 * are refused too. An IPv4 address carried inside IPv6 (mapped ::ffff:a.b.c.d, translated,
 * compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as the IPv4 address it
 * carries: `[::7f00:1]` is 127.0.0.1.
 */
export function isAllowedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const v6 = parsed as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return embedded.range() === 'unicast';
  const [first = 0] = v6.parts;
  // 2000::/3 is the global unicast space; everything outside it is special-purpose.
  return (first & 0xe000) === 0x2000 && v6.range() === 'unicast';
}

/** The IPv4 address an IPv6 address carries, for the forms that carry one. */
function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = v6.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (v6.range()) {
    case 'ipv4Mapped': case 'rfc6145':
      return v4(p[6] ?? 0, p[7] ?? 0);
    case 'rfc6052':
      // The well-known NAT64 prefix 64:ff9b::/96 carries a public IPv4 address; the local-use
      // prefix 64:ff9b:1::/48 belongs to a site's own translator: refused as a whole.
      return p[2] === 0 ? v4(p[6] ?? 0, p[7] ?? 0) : new ipaddr.IPv4([0, 0, 0, 0]);
    case '6to4':
      return v4(p[1] ?? 0, p[2] ?? 0);
    default:
      // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks); :: and ::1 are
      // their own ranges and already refused.
      if (p.slice(0, 6).every((x) => x === 0) && v6.range() !== 'unspecified' && v6.range() !== 'loopback') return v4(p[6] ?? 0, p[7] ?? 0);
      return undefined;
  }
}

export interface CallbackRecord {
  id: string;
  urlType: number;
  callbackUrl: string;
  createdAt: number;
  updatedAt: number;
}
