import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { isAllowedAddress } from '../domain/callback.js';

/** What a host name resolves to; tests replace the system resolver with a stub. */
export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** A receipt URL's host, or the peer it connected to, is not one receipts may reach. */
export class AddressNotAllowed extends Error {}

/** The message a caller sees: never the address a name resolved to. */
export const ADDRESS_NOT_ALLOWED = 'the address of its host is not allowed (receipts go only to public addresses)';

/**
 * Resolves `host` once and checks every address it resolves to; a literal address is checked as
 * it is. Throws AddressNotAllowed when any answer is not a public address.
 */
export async function resolveAllowed(host: string, resolve: Resolver): Promise<Array<{ address: string; family: number }>> {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = isIP(bare);
  let answers: Array<{ address: string; family: number }>;
  if (literal !== 0) {
    answers = [{ address: bare, family: literal }];
  } else {
    try {
      answers = await resolve(bare);
    } catch {
      throw new AddressNotAllowed(`the host ${bare} does not resolve`);
    }
  }
  if (answers.length === 0) throw new AddressNotAllowed(`the host ${bare} does not resolve`);
  if (answers.some((a) => !isAllowedAddress(a.address))) throw new AddressNotAllowed(ADDRESS_NOT_ALLOWED);
  return answers;
}

type LookupCallback = (error: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/**
 * An HTTP dispatcher that connects only to public addresses. The name is resolved once, every
 * answer is checked, and the socket connects to a checked answer (the connector's `lookup`), so a
 * name that answers a public address to a check and a private one to the connection (DNS
 * rebinding) cannot reach inside. After connecting, the peer's address is checked again, which
 * also covers literal addresses (no lookup happens for them).
 */
export function guardedDispatcher(resolve: Resolver = systemResolver): Dispatcher {
  const lookup = (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    resolveAllowed(hostname, resolve).then((answers) => {
      const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
      const wanted = family === 0 ? answers : answers.filter((a) => a.family === family);
      const first = wanted[0];
      if (!first) return callback(new AddressNotAllowed(`the host ${hostname} has no IPv${family} address`), '');
      if (options.all) return callback(null, wanted);
      return callback(null, first.address, first.family);
    }, (error: Error) => callback(error, ''));
  };
  const connect = buildConnector({ lookup } as buildConnector.BuildOptions);
  return new Agent({
    connect: (options, callback) => {
      connect(options, (error, socket) => {
        if (error || !socket) {
          callback(error ?? new Error('no connection'), null);
          return;
        }
        const peer = (socket as Socket).remoteAddress;
        if (!peer || !isAllowedAddress(peer)) {
          socket.destroy();
          callback(new AddressNotAllowed(ADDRESS_NOT_ALLOWED), null);
          return;
        }
        callback(null, socket);
      });
    },
  });
}

/**
 * Posts a body to a URL and answers the response's status (the body is read and dropped).
 * Redirects are not followed: a redirect could lead anywhere, a private address included.
 */
export type OutboundPost = (url: string, body: string, options: { headers: Record<string, string>; timeoutMs: number }) => Promise<number>;

/**
 * How outbound pushes are sent: undici's own request API (much less work per request than
 * fetch), through the guarded dispatcher unless the deployment allows private addresses.
 */
export function outboundPost(options: { allowPrivate: boolean; resolve?: Resolver }): OutboundPost {
  const dispatcher = options.allowPrivate ? new Agent() : guardedDispatcher(options.resolve);
  return async (url, body, { headers, timeoutMs }) => {
    const response = await request(url, { method: 'POST', headers, body, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    await response.body.dump();
    return response.statusCode;
  };
}

/** The reason a push through the guarded dispatcher failed, for the log and the job's last error. */
export function outboundFailure(error: unknown): string {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    if (cause instanceof AddressNotAllowed) return cause.message;
    cause = cause.cause;
  }
  return error instanceof Error ? String((error.cause as Error | undefined)?.message ?? error.message) : String(error);
}

/** A GET that reads at most `maxBytes` of the answer (more sets `tooLarge` and stops reading). Redirects are not followed. */
export type OutboundGet = (url: string, options: { timeoutMs: number; maxBytes: number }) => Promise<{ status: number; bytes: Buffer; tooLarge: boolean }>;

/** GETs through the guarded dispatcher unless private addresses are allowed (material fetches). */
export function outboundGet(options: { allowPrivate: boolean; resolve?: Resolver }): OutboundGet {
  const dispatcher = options.allowPrivate ? new Agent() : guardedDispatcher(options.resolve);
  return async (url, { timeoutMs, maxBytes }) => {
    const response = await request(url, { method: 'GET', headers: { 'user-agent': 'aimledger-materials' }, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        return { status: response.statusCode, bytes: Buffer.alloc(0), tooLarge: true };
      }
      parts.push(chunk as Buffer);
    }
    return { status: response.statusCode, bytes: Buffer.concat(parts), tooLarge: false };
  };
}
