import { InvalidParameter } from './errors.js';

/**
 * CheckMobileCapability: which numbers can show an intelligent message. No phone vendor answers
 * here, so the source is the operator's: number prefixes known not to (plain numbers) and exact
 * SHA-1 digests (hashed ones); every other number is supported.
 */
export interface CapabilitySource {
  /** National-number prefixes (e.g. `170` for a virtual carrier's range) that cannot show AIMs. */
  unsupportedPrefixes: string[];
  /** Lower-case SHA-1 digests of `<country code><number>` that cannot. */
  unsupportedSha1: string[];
}

export const EMPTY_CAPABILITY_SOURCE: CapabilitySource = { unsupportedPrefixes: [], unsupportedSha1: [] };

/** The settings names the source is kept under. */
export const CAPABILITY_SETTING = 'capability.source';

/** A mainland number without its country code: `0086` / `86` before an 11-digit `1…` number is dropped. */
export function nationalNumber(mobile: string): string {
  const digits = mobile.replace(/^\+/, '');
  const m = /^(?:0086|86)(1\d{10})$/.exec(digits);
  return m ? (m[1] as string) : digits;
}

export function parseCapabilitySource(text: string | undefined): CapabilitySource {
  if (!text) return EMPTY_CAPABILITY_SOURCE;
  const parsed = JSON.parse(text) as Partial<CapabilitySource>;
  return { unsupportedPrefixes: parsed.unsupportedPrefixes ?? [], unsupportedSha1: parsed.unsupportedSha1 ?? [] };
}

/** Checks an operator's source before it is stored. */
export function capabilitySource(prefixes: string[], sha1: string[]): CapabilitySource {
  for (const p of prefixes) if (!/^\d{1,11}$/.test(p)) throw new InvalidParameter(`a prefix is 1 to 11 digits (got ${JSON.stringify(p)})`);
  for (const h of sha1) if (!/^[0-9a-fA-F]{40}$/.test(h)) throw new InvalidParameter(`a SHA-1 digest is 40 hexadecimal digits (got ${JSON.stringify(h)})`);
  return { unsupportedPrefixes: [...new Set(prefixes)], unsupportedSha1: [...new Set(sha1.map((h) => h.toLowerCase()))] };
}

/**
 * Splits the numbers by capability. Hashed numbers are judged by their digest alone. With a
 * template that no vendor has approved, no number can show it.
 */
export function checkCapability(mobiles: readonly string[], alg: 'NONE' | 'SHA1', source: CapabilitySource, templateShowable: boolean): { supported: string[]; unsupported: string[] } {
  const supported: string[] = [];
  const unsupported: string[] = [];
  const hashes = new Set(source.unsupportedSha1);
  for (const mobile of mobiles) {
    const refused = !templateShowable || (alg === 'SHA1'
      ? hashes.has(mobile.toLowerCase())
      : source.unsupportedPrefixes.some((p) => nationalNumber(mobile).startsWith(p)));
    (refused ? unsupported : supported).push(mobile);
  }
  return { supported, unsupported };
}
