import { Option } from 'commander';
import { read } from 'read';
import { loadConfig, type ConfigFlags } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';


/** A failure the user can fix; printed as one line without a stack trace. */
export class UsageError extends Error {}

/** A file the command should write cannot be created. */
export class OutputError extends Error {}

export const databaseOption = () => new Option('--database <url>', 'database URL (sqlite:PATH or postgres://…); default AIMLEDGER_DATABASE_URL or sqlite:./data/aimledger.db');

/** Opens and migrates the store the flags and environment name, runs `work`, always closes it. */
export async function withStore<T>(flags: ConfigFlags, work: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(flags);
  const store = openStore({ url: config.databaseUrl });
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

export async function readStdin(): Promise<string | null> {
  if (process.stdin.isTTY) return null;
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8').replace(/\r?\n$/, '');
  return text === '' ? null : text;
}

/**
 * A new password: piped in on standard input, or typed at a hidden prompt (twice) on a terminal.
 * Null when none is given (`allowNone`: an empty answer means "no password").
 */
export async function readPassword(allowNone: boolean): Promise<string | null> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await read({ prompt: allowNone ? 'Password (empty for none): ' : 'New password: ', silent: true, output: process.stderr });
  if (first === '') {
    if (allowNone) return null;
    throw new UsageError('the password must not be empty');
  }
  const again = await read({ prompt: 'Repeat it: ', silent: true, output: process.stderr });
  if (again !== first) throw new UsageError('the two passwords differ; nothing was changed');
  return first;
}
