import { InvalidParameter } from '../domain/errors.js';
import { newAimCode, normaliseDomain, type Link, type LinkFailure } from '../domain/link.js';
import type { Repositories } from '../store/store.js';

/** Draws of a taken code before giving up (at 62^6 codes a second collision is already rare). */
const CODE_DRAWS = 8;

/**
 * The domain a task's links go on. Standard codes (generation_type 1) go on the link host's own
 * domain, or on a domain the account registered for standard codes when the task names one;
 * custom codes (generation_type 2) only on a domain the account registered for custom codes.
 */
export async function linkDomainFor(repos: Repositories, accountId: number, generationType: '1' | '2', requested: string | null | undefined, ownDomain: string): Promise<string> {
  const custom = generationType === '2';
  if (requested === null || requested === undefined || requested === '') {
    if (custom) throw new InvalidParameter('generation_type 2 (custom short codes) needs a domain registered for custom codes');
    return ownDomain;
  }
  const name = normaliseDomain(requested);
  const registered = await repos.links.domain(name);
  const codes = custom ? 'custom' : 'standard';
  if (registered?.accountId !== accountId || registered.codes !== codes) {
    throw new InvalidParameter(`domain ${JSON.stringify(requested)} is not registered for ${codes} short codes for this account (generation_type ${generationType}); ask the operator to register it`);
  }
  return name;
}

/**
 * Gives new links their codes and stores them. Without `customCodes` each link gets a drawn code,
 * drawn again when its domain has it already (at 62^6 codes a collision is rare, and a second one
 * for the same link rarer still). With them (generation_type 2) link i gets `customCodes[i]`; one
 * given twice in the request, or taken in the domain, fails that link, which is not stored.
 * Answers the failures by the links' index, in order.
 */
export async function insertLinks(tx: Repositories, links: Link[], customCodes: Array<string | null> | null = null): Promise<LinkFailure[]> {
  if (customCodes !== null) {
    const failures: LinkFailure[] = [];
    const seen = new Set<string>();
    const fresh = new Set<Link>();
    links.forEach((link, index) => {
      const code = customCodes[index] ?? '';
      link.aimCode = code;
      if (seen.has(code)) failures.push({ index, reason: `custom_short_code ${code} is given twice in this request` });
      else fresh.add(link);
      seen.add(code);
    });
    const taken = await tx.links.insert([...fresh]);
    links.forEach((link, index) => {
      if (fresh.has(link) && taken.has(link.aimCode)) failures.push({ index, reason: `custom_short_code ${link.aimCode} is taken in ${link.domain}` });
    });
    return failures.sort((a, b) => a.index - b.index);
  }
  for (const l of links) l.aimCode = newAimCode();
  let pending = links;
  for (let draw = 0; pending.length > 0; draw++) {
    if (draw === CODE_DRAWS) throw new Error(`no free link code in ${pending[0]?.domain ?? ''} after ${CODE_DRAWS} draws`);
    const taken = await tx.links.insert(pending);
    pending = pending.filter((l) => taken.has(l.aimCode));
    for (const l of pending) l.aimCode = newAimCode();
  }
  return [];
}
