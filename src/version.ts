import { readFileSync } from 'node:fs';

/** The release, as package.json says: the CLI's --version and the OpenAPI document's. */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
