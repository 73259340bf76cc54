import type { Clock } from '../domain/clock.js';
import type { CallbackRequest } from '../domain/callback.js';
import { InvalidParameter } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { CallbackRecord } from '../domain/callback.js';
import { AddressNotAllowed, resolveAllowed, systemResolver, type Resolver } from './outbound.js';

/** AddCallBack / ListAimCallbacks: one URL per url_type per account. */
export class Callbacks {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly allowPrivate: boolean,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /**
   * Refuses a URL whose host resolves to anything but public addresses, unless the deployment
   * allows them. Every push checks again, at connection time (a name can be re-pointed later).
   */
  async register(accountId: number, request: CallbackRequest): Promise<{ callback: CallbackRecord; replaced: boolean }> {
    if (!this.allowPrivate) {
      try {
        await resolveAllowed(new URL(request.callbackUrl).hostname, this.resolve);
      } catch (error) {
        if (error instanceof AddressNotAllowed) throw new InvalidParameter(`callback_url is refused: ${error.message}`);
        throw error;
      }
    }
    return this.store.callbacks.upsert(accountId, request.urlType, request.callbackUrl, this.clock().getTime());
  }

  async list(accountId: number): Promise<CallbackRecord[]> {
    return this.store.callbacks.list(accountId);
  }
}
