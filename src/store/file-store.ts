import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Material bytes kept outside the database (SQLite: a folder beside the database file). Keys are
 * random URL-safe names the store makes, never a caller's text.
 */
export interface FileStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  delete(keys: readonly string[]): Promise<void>;
  /** Copies every file into `folder` (a backup's). */
  copyTo(folder: string): Promise<void>;
}

const SAFE_KEY = /^[A-Za-z0-9_-]{1,64}$/;

function checked(key: string): string {
  if (!SAFE_KEY.test(key)) throw new Error(`not a file key: ${JSON.stringify(key)}`);
  return key;
}

/** Files in one folder (0700), each written whole (a temporary name, then renamed) with mode 0600. */
export class FolderFileStore implements FileStore {
  constructor(readonly folder: string) {}

  private ensure(): void {
    if (!existsSync(this.folder)) mkdirSync(this.folder, { recursive: true, mode: 0o700 });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.ensure();
    const path = join(this.folder, checked(key));
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, bytes, { mode: 0o600 });
    renameSync(temporary, path);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return readFileSync(join(this.folder, checked(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) rmSync(join(this.folder, checked(key)), { force: true });
  }

  async copyTo(folder: string): Promise<void> {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    if (existsSync(this.folder)) cpSync(this.folder, folder, { recursive: true, filter: (source) => !source.endsWith('.tmp') });
  }
}

/** Files in memory, for a throw-away (":memory:") database. */
export class MemoryFileStore implements FileStore {
  private readonly files = new Map<string, Buffer>();

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.files.set(checked(key), Buffer.from(bytes));
  }

  async get(key: string): Promise<Buffer | null> {
    return this.files.get(key) ?? null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.files.delete(key);
  }

  async copyTo(folder: string): Promise<void> {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    for (const [key, bytes] of this.files) writeFileSync(join(folder, key), bytes, { mode: 0o600 });
  }
}
