import { BlockList, isIP } from 'node:net';
import { InvalidParameter } from './errors.js';

/** 0: a receipt per message; 1: template status; 2: receipts in batches (KooMessage's url_type). */
export type UrlType = 0 | 1 | 2;

export interface CallbackRequest {
  callbackUrl: string;
  urlType: UrlType;
}

/** AddCallBack's body: callback_url http(s), 1–1000 characters; url_type 0 (default), 1 or 2. */
export function parseCallbackBody(body: unknown): CallbackRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidParameter('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const url = b.callback_url;
  if (typeof url !== 'string' || url.length === 0) throw new InvalidParameter('callback_url is required', 'KM.90016414');
  if (url.length > 1000) throw new InvalidParameter('callback_url must be at most 1000 characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidParameter('callback_url must be an http:// or https:// URL');
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !/^https?:\/\//i.test(url) || parsed.hostname === '') {
    throw new InvalidParameter('callback_url must be an http:// or https:// URL');
  }
  if (parsed.username || parsed.password) throw new InvalidParameter('callback_url must not carry a user name or password');
  const urlType = b.url_type === undefined || b.url_type === null ? 0 : b.url_type;
  if (urlType !== 0 && urlType !== 1 && urlType !== 2) throw new InvalidParameter('url_type must be 0 (single receipts), 1 (template status) or 2 (batch receipts)');
  return { callbackUrl: url, urlType };
}

const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/**
 * True for addresses a callback must not reach by default: private, loopback, link-local,
 * carrier-grade NAT, multicast and reserved ranges (IPv4-mapped IPv6 judged as IPv4).
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1] as string, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
