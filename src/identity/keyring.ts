import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../domain/errors.js';
import type { Store } from '../store/store.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = 'v1';
/** The file an embedded deployment keeps its generated master key in, beside the database. */
export const MASTER_KEY_FILE = 'master.key';

/** Reads a 32-byte key written as 64 hex characters or base64 (standard or URL-safe). */
export function parseMasterKey(text: string, source: string): Buffer {
  const value = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? Buffer.from(value.replaceAll('-', '+').replaceAll('_', '/'), 'base64')
      : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new ConfigError(`${source} must be 32 random bytes as 64 hex characters or base64 (generate one with: openssl rand -base64 32)`);
  }
  return key;
}

/**
 * Encrypts small secrets (access-key secrets) with AES-256-GCM under the deployment's master key.
 * Each value is bound to a context string (its access key id) as associated data, so a ciphertext
 * copied to another row does not decrypt.
 */
export class Keyring {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error('the master key must be 32 bytes');
    this.key = Buffer.from(key);
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, or undefined when the value was not encrypted by this key for this context. */
  decrypt(sealed: string, context: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * The master key for a deployment: `AIMLEDGER_MASTER_KEY` when set; otherwise, for an embedded
 * SQLite store, a key generated on first run into `master.key` beside the database file (mode 0600);
 * a throw-away key for an in-memory store. PostgreSQL deployments must set the variable: their data
 * lives elsewhere and a key generated on one host would be lost with it.
 */
export function loadMasterKey(options: { masterKey: string | undefined; databaseUrl: string }): Buffer {
  if (options.masterKey !== undefined) return parseMasterKey(options.masterKey, 'AIMLEDGER_MASTER_KEY');
  checkMasterKeySetting(options);
  const path = options.databaseUrl.slice('sqlite:'.length);
  if (path === ':memory:') return randomBytes(KEY_BYTES);
  const file = join(dirname(path), MASTER_KEY_FILE);
  // Written whole under another name, then linked into place: an instance starting at the same
  // moment either makes the key or reads a complete one, never an empty file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(KEY_BYTES).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  return parseMasterKey(readFileSync(file, 'utf8'), file);
}

/**
 * Checks the master-key setting without touching the database or the file system, so a command
 * that needs one stops before it writes anything: a given key must parse, and PostgreSQL needs one.
 */
export function checkMasterKeySetting(options: { masterKey: string | undefined; databaseUrl: string }): void {
  if (options.masterKey !== undefined) {
    parseMasterKey(options.masterKey, 'AIMLEDGER_MASTER_KEY');
    return;
  }
  if (!options.databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError('AIMLEDGER_MASTER_KEY is required when the store is PostgreSQL (generate one with: openssl rand -base64 32, and keep it safe: access-key secrets cannot be read without it)');
  }
}

const CHECK_SETTING = 'master_key_check';
const CHECK_CONTEXT = 'aimledger master key check';

/**
 * Stores a value sealed under the key on first use and checks it on every later start, so a
 * wrong or changed master key stops start-up with a clear message instead of failing every
 * AK/SK request.
 */
export async function verifyKeyring(store: Store, keyring: Keyring): Promise<void> {
  const stored = await store.settings.init(CHECK_SETTING, keyring.encrypt(CHECK_CONTEXT, CHECK_CONTEXT));
  if (keyring.decrypt(stored, CHECK_CONTEXT) !== CHECK_CONTEXT) {
    throw new ConfigError('the master key does not match the one this database\'s access-key secrets were encrypted with (check AIMLEDGER_MASTER_KEY or the master.key file)');
  }
}

/** Loads the master key the configuration names and checks it against the store. */
export async function openKeyring(store: Store, options: { masterKey: string | undefined; databaseUrl: string }): Promise<Keyring> {
  const keyring = new Keyring(loadMasterKey(options));
  await verifyKeyring(store, keyring);
  return keyring;
}
