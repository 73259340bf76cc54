import type { TokenRecord } from '../domain/identity.js';

/** How long a token found in the database is believed without asking again. */
export const TOKEN_CACHE_MS = 2000;
const MAX_ENTRIES = 10_000;

/**
 * Tokens found recently, so a request does not pay a database round trip to authenticate. Only
 * tokens that exist are kept (a flood of made-up tokens cannot fill it), each for `ttlMs`. The
 * store that revokes a token, or disables, deletes or changes a user, forgets the entries at once;
 * another process (the CLI, another instance) is believed within `ttlMs`, when the entry expires.
 */
export class TokenCache {
  private readonly entries = new Map<string, { record: TokenRecord; until: number }>();

  constructor(private readonly ttlMs: number = TOKEN_CACHE_MS, private readonly now: () => number = Date.now) {}

  get(tokenHash: string): TokenRecord | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry.record;
  }

  set(tokenHash: string, record: TokenRecord): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(tokenHash, { record, until: this.now() + this.ttlMs });
  }

  forget(tokenHash: string): void {
    this.entries.delete(tokenHash);
  }

  /** Forgets every token of a user (revoked, disabled, deleted, or given another role). */
  forgetUser(userId: number): void {
    for (const [hash, entry] of this.entries) if (entry.record.user.id === userId) this.entries.delete(hash);
  }
}
