import type { Command } from 'commander';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { checkMasterKeySetting, openKeyring } from '../../identity/keyring.js';
import { databaseOption, withStore } from '../shared.js';

/** `key …`: access keys (AK/SK). */
export function registerKey(program: Command): void {
  const key = program.command('key').description('manage access keys (AK/SK) for signed requests');
  key.command('create')
    .description('create an access key for a user; prints "AK SK" on one line, the only time the SK is shown')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--user <user>', 'user name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; user: string }) => {
      const config = loadConfig(opts);
      checkMasterKeySetting({ masterKey: config.masterKey, databaseUrl: config.databaseUrl });
      const created = await withStore(opts, async (store) => {
        const keyring = await openKeyring(store, { masterKey: config.masterKey, databaseUrl: config.databaseUrl });
        return new IdentityAdmin(store, systemClock).createAccessKey(opts.account, opts.user, keyring);
      });
      process.stdout.write(`${created.accessKey} ${created.secretKey}\n`);
    });
  key.command('list')
    .description('list the access keys of an account (never their secrets)')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const keys = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).listAccessKeys(opts.account));
      const lines = keys.map((k) => [k.accessKey, k.userName, k.status, new Date(k.createdAt).toISOString()].join('\t'));
      process.stdout.write(['ACCESS_KEY\tUSER\tSTATUS\tCREATED_AT', ...lines].join('\n') + '\n');
    });
  for (const [verb, status, description] of [
    ['disable', 'inactive', 'disable an access key: signed requests with it get 401 until it is enabled again'],
    ['enable', 'active', 'enable a disabled access key'],
  ] as const) {
    key.command(`${verb} <access-key>`)
      .description(description)
      .requiredOption('--account <name>', 'account name')
      .addOption(databaseOption())
      .action(async (accessKey: string, opts: ConfigFlags & { account: string }) => {
        await withStore(opts, (store) => new IdentityAdmin(store, systemClock).setAccessKeyStatus(opts.account, accessKey, status));
        process.stderr.write(`access key ${accessKey} ${verb}d\n`);
      });
  }
  key.command('delete <access-key>')
    .description('delete an access key for good')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (accessKey: string, opts: ConfigFlags & { account: string }) => {
      await withStore(opts, (store) => new IdentityAdmin(store, systemClock).deleteAccessKey(opts.account, accessKey));
      process.stderr.write(`access key ${accessKey} deleted\n`);
    });
}
