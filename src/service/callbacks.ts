import { lookup } from 'node:dns/promises';
import type { Clock } from '../domain/clock.js';
import { isPrivateAddress, type CallbackRequest } from '../domain/callback.js';
import { InvalidParameter } from '../domain/errors.js';
import type { CallbackRecord, Store } from '../store/store.js';

/**
 * Refuses a URL whose host resolves to a private, loopback or link-local address, unless the
 * deployment allows them. Called when a URL is registered and again before every push (a name
 * can be re-pointed after registration: DNS rebinding). Returns the reason, or null when allowed.
 */
export async function privateAddressReason(url: string, allowPrivate: boolean): Promise<string | null> {
  if (allowPrivate) return null;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return `the host ${host} does not resolve`;
  }
  const blocked = addresses.find(isPrivateAddress);
  return blocked ? `${host} resolves to ${blocked}, a private, loopback or link-local address` : null;
}

/** AddCallBack / ListAimCallbacks: one URL per url_type per account. */
export class Callbacks {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly allowPrivate: boolean) {}

  async register(accountId: number, request: CallbackRequest): Promise<{ callback: CallbackRecord; replaced: boolean }> {
    const reason = await privateAddressReason(request.callbackUrl, this.allowPrivate);
    if (reason) throw new InvalidParameter(`callback_url is refused: ${reason} (a deployment may allow them with AIMLEDGER_CALLBACK_ALLOW_PRIVATE=true)`);
    return this.store.upsertCallback(accountId, request.urlType, request.callbackUrl, this.clock().getTime());
  }

  async list(accountId: number): Promise<CallbackRecord[]> {
    return this.store.listCallbacks(accountId);
  }
}
