import { Command } from 'commander';
import { ApiError } from '../../packages/client/src/index.js';
import { debugRequested } from '../config.js';
import { VERSION } from '../version.js';
import { ConfigError } from '../domain/errors.js';
import { DomainError } from '../domain/errors.js';
import { ListenError } from '../http/listen-error.js';
import { DatabaseOpenError } from '../store/open-error.js';
import { registerAccount } from './commands/account.js';
import { registerBenchData } from './commands/bench-data.js';
import { registerDetails } from './commands/details.js';
import { registerImport } from './commands/import.js';
import { registerKey } from './commands/key.js';
import { registerMaintenance } from './commands/maintenance.js';
import { registerReferenceData } from './commands/reference-data.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { registerUser } from './commands/user.js';
import { OutputError, UsageError } from './shared.js';

/** The command line: one file per group of commands under commands/, registered in help order. */
export function buildCli(): Command {
  const program = new Command('aimledger')
    .description('KooMessage-compatible system of record for intelligent messages (AIM)')
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  for (const register of [
    registerServe, registerAccount, registerUser, registerToken, registerReferenceData, registerKey, registerDetails,
    registerImport, registerMaintenance, registerBenchData,
  ]) register(program);
  return program;
}

/**
 * Exit statuses, one per kind of failure (the README lists them): 1 the command failed, 2 a bad
 * setting, 3 the database cannot be opened or reached, 4 the server cannot listen, 5 a file to
 * write cannot be created.
 */
export const EXIT = { failed: 1, config: 2, database: 3, listen: 4, output: 5 } as const;

/** Runs the CLI; every failure prints one line (a stack too at --log-level debug) and exits with its kind's status. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (debugRequested(argv) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    if (error instanceof ConfigError) {
      process.stderr.write(`aimledger: configuration error: ${error.message}\n`);
      process.exitCode = EXIT.config;
    } else if (error instanceof DatabaseOpenError) {
      process.stderr.write(`aimledger: database: ${error.message}\n`);
      process.exitCode = EXIT.database;
    } else if (error instanceof ListenError) {
      process.stderr.write(`aimledger: cannot listen: ${error.message}\n`);
      process.exitCode = EXIT.listen;
    } else if (error instanceof OutputError) {
      process.stderr.write(`aimledger: ${error.message}\n`);
      process.exitCode = EXIT.output;
    } else if (error instanceof TypeError && error.message === 'fetch failed') {
      process.stderr.write(`aimledger: cannot reach the server: ${String((error as { cause?: { message?: string } }).cause?.message ?? error.message)}\n`);
      process.exitCode = 1;
    } else if (error instanceof ApiError) {
      process.stderr.write(`aimledger: the server answered ${error.status} ${error.errorCode}: ${error.errorMsg}${error.requestId ? ` (request id ${error.requestId})` : ''}\n`);
      process.exitCode = 1;
    } else if (error instanceof UsageError || error instanceof DomainError) {
      process.stderr.write(`aimledger: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`aimledger: unexpected error: ${error instanceof Error ? error.message : String(error)}${debugRequested(argv) ? '' : ' (run with --log-level debug for details)'}\n`);
      process.exitCode = EXIT.failed;
    }
  }
}
