import type { Command } from 'commander';
import type { ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { databaseOption, withStore } from '../shared.js';

/** `account create|list`: tenants. */
export function registerAccount(program: Command): void {
  const account = program.command('account').description('manage accounts (tenants)');
  account.command('create <name>')
    .description('create an account and print its domain_id')
    .addOption(databaseOption())
    .action(async (name: string, opts: ConfigFlags) => {
      const created = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).createAccount(name));
      process.stdout.write(`${created.domainId}\n`);
    });

  account.command('list')
    .description('list accounts: name, domain_id, users, created at')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      const rows = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).listAccounts());
      const lines = rows.map((a) => [a.name, a.domainId, String(a.users), new Date(a.createdAt).toISOString()].join('\t'));
      process.stdout.write(['NAME\tDOMAIN_ID\tUSERS\tCREATED_AT', ...lines].join('\n') + '\n');
    });
}
