import type { Principal } from '../domain/identity.js';
import { RESULT_WINDOW, type SendDetailsQuery } from '../domain/send-detail.js';
import type { Store } from '../store/store.js';
import type { SendDetailsPage } from '../domain/send-detail.js';

/**
 * The send-details query use case: the caller's account only, newest first, exact total.
 * Past the 10000 window the page is empty but the total is still true, so clients learn to narrow
 * their filters rather than page on.
 */
export async function listSendDetails(store: Store, principal: Principal, query: SendDetailsQuery): Promise<SendDetailsPage> {
  const beyondWindow = query.offset + query.limit > RESULT_WINDOW;
  // The read replica answers when there is one (a detail shows there within its lag).
  return store.read((r) => r.details.page(principal.account.id, query.filter, query.offset, beyondWindow ? 0 : query.limit));
}
