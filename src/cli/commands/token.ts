import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin, DEFAULT_TOKEN_TTL_MS } from '../../service/identity-admin.js';
import { formatDuration, parseDuration } from '../../domain/duration.js';
import { UsageError, databaseOption, readStdin, withStore } from '../shared.js';

/** `token create|revoke`. */
export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API tokens');
  token.command('create')
    .description('issue a token for a user (or the platform operator) and print it alone on standard output')
    .option('--account <name>', 'account name')
    .option('--user <user>', 'user name')
    .option('--operator', 'a platform operator token, for POST /v1/aim/delivery-reports (no --account or --user)')
    .option('--ttl <duration>', 'lifetime: 90s, 30m, 24h, 7d (default 24h)')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account?: string; user?: string; operator?: boolean; ttl?: string }) => {
      const { tokenMaxTtlMs } = loadConfig(opts);
      const ttl = opts.ttl === undefined ? DEFAULT_TOKEN_TTL_MS : parseDuration(opts.ttl);
      if (ttl === null) throw new UsageError(`--ttl must look like 90s, 30m, 24h or 7d (got ${JSON.stringify(opts.ttl)})`);
      if (ttl > tokenMaxTtlMs) {
        throw new UsageError(`--ttl ${opts.ttl} is longer than the longest lifetime allowed (${formatDuration(tokenMaxTtlMs)}, AIMLEDGER_TOKEN_MAX_TTL); ${opts.operator
          ? 'issue a shorter one and a new one before it expires'
          : 'issue a shorter token, or an access key for long-lived use'}`);
      }
      if (opts.operator && (opts.account !== undefined || opts.user !== undefined)) throw new UsageError('--operator takes no --account or --user');
      if (!opts.operator && (opts.account === undefined || opts.user === undefined)) throw new UsageError('give --account and --user, or --operator');
      const issued = await withStore(opts, (store) => {
        const admin = new IdentityAdmin(store, systemClock);
        return opts.operator ? admin.createOperatorToken(ttl) : admin.createToken(opts.account as string, opts.user as string, ttl);
      });
      process.stdout.write(`${issued.token}\n`);
    });

  token.command('revoke [token]')
    .description('revoke a token at once: the token on standard input (or as an argument, after -- if it starts with -), or every token of a user with --account and --user')
    .option('--account <name>', 'account name (with --user: revoke all of the user\'s tokens)')
    .option('--user <user>', 'user name')
    .addOption(databaseOption())
    .action(async (given: string | undefined, opts: ConfigFlags & { account?: string; user?: string }) => {
      if (opts.account !== undefined || opts.user !== undefined) {
        if (given !== undefined) throw new UsageError('give a token, or --account and --user, not both');
        if (opts.account === undefined || opts.user === undefined) throw new UsageError('--account and --user go together');
        const n = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).revokeUserTokens(opts.account as string, opts.user as string));
        process.stderr.write(`revoked ${n} token${n === 1 ? '' : 's'} of ${opts.user}\n`);
        return;
      }
      const value = (given ?? await readStdin())?.trim();
      if (!value) throw new UsageError('give the token to revoke as an argument or on standard input, or --account and --user');
      const revoked = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).revokeToken(value));
      if (!revoked) throw new UsageError('no such token (it may have expired or been revoked already)');
      process.stderr.write('token revoked\n');
    });
}
