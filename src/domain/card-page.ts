import { randomBytes } from 'node:crypto';
import { cardPage } from './card-render.js';

/**
 * Card pages as the server sends them (Node only; the console renders cards with card-render.ts
 * alone): a fresh CSP nonce in every answer, around bytes encoded once.
 */

const NONCE_BYTES = 12;
/** Random bytes drawn at once for nonces: one call to the system's generator serves 512 pages. */
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

/**
 * A fresh nonce for one page's Content-Security-Policy: 96 random bits, base64. Each is cut from a
 * pool of cryptographically random bytes and used once; drawing the pool in one call keeps a
 * system call (and a small allocation) off every page served.
 */
export function newNonce(): string {
  if (nonceOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_BYTES * 512);
    nonceOffset = 0;
  }
  const nonce = noncePool.toString('base64', nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * A card's page as bytes around its nonce: everything but the nonce is the same for every answer
 * of one card (its title, banner and filled body), so it can be encoded once and each answer only
 * joins three buffers.
 */
export interface PageParts {
  before: Buffer;
  after: Buffer;
}

export function cardPageParts(title: string, body: string, banner?: string): PageParts {
  // A mark no title or body can hold, where the nonce goes.
  const mark = newNonce().replace(/[^A-Za-z0-9]/g, '') + newNonce().replace(/[^A-Za-z0-9]/g, '');
  const page = cardPage(title, body, mark, banner);
  const at = page.indexOf(`nonce="${mark}"`) + 'nonce="'.length;
  return { before: Buffer.from(page.slice(0, at)), after: Buffer.from(page.slice(at + mark.length)) };
}

/** The page of `parts` with its nonce (base64: nothing to escape). */
export function pageWithNonce(parts: PageParts, nonce: string): Buffer {
  return Buffer.concat([parts.before, Buffer.from(nonce, 'latin1'), parts.after]);
}
