import { Option, type Command } from 'commander';
import type { ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { ROLES, type Role } from '../../domain/identity.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { UsageError, databaseOption, readPassword, withStore } from '../shared.js';

/** `user …`: an account's users, their roles, passwords and status. */
export function registerUser(program: Command): void {
  const user = program.command('user').description('manage users');
  user.command('create')
    .description('create a user; its password is read from standard input when piped in, or asked for (hidden) on a terminal')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--name <user>', 'user name')
    .addOption(new Option('--role <role>', 'role').choices(ROLES as unknown as string[]).default('readonly'))
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; name: string; role: Role }) => {
      const password = await readPassword(true);
      const created = await withStore(opts, (store) =>
        new IdentityAdmin(store, systemClock).createUser(opts.account, opts.name, opts.role, password));
      process.stderr.write(`user ${created.name} created with role ${created.role}${password ? ' and a password' : ''}\n`);
    });

  user.command('list')
    .description('list an account\'s users: name, role, status, whether it has a password')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).listUsers(opts.account));
      const lines = rows.map((u) => [u.name, u.role, u.status, u.hasPassword ? 'yes' : 'no', new Date(u.createdAt).toISOString()].join('\t'));
      process.stdout.write(['NAME\tROLE\tSTATUS\tPASSWORD\tCREATED_AT', ...lines].join('\n') + '\n');
    });
  for (const [verb, description] of [
    ['disable', 'disable a user: sign-in, its tokens and its access keys are refused at once, and its tokens are deleted'],
    ['enable', 'enable a disabled user again (its access keys work again; tokens must be issued anew)'],
    ['delete', 'delete a user with its tokens and access keys, for good'],
  ] as const) {
    user.command(verb)
      .description(description)
      .requiredOption('--account <name>', 'account name')
      .requiredOption('--name <user>', 'user name')
      .addOption(databaseOption())
      .action(async (opts: ConfigFlags & { account: string; name: string }) => {
        await withStore(opts, (store) => {
          const admin = new IdentityAdmin(store, systemClock);
          return verb === 'delete' ? admin.deleteUser(opts.account, opts.name) : admin.setUserStatus(opts.account, opts.name, verb === 'disable' ? 'disabled' : 'active');
        });
        process.stderr.write(`user ${opts.name} ${verb}d\n`);
      });
  }
  user.command('passwd')
    .description('set a user\'s password: from standard input when piped in, or asked for (hidden, twice) on a terminal')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--name <user>', 'user name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; name: string }) => {
      const password = await readPassword(false);
      if (password === null) throw new UsageError('no password given: pipe it in on standard input, or run on a terminal to be asked');
      await withStore(opts, (store) => new IdentityAdmin(store, systemClock).setPassword(opts.account, opts.name, password));
      process.stderr.write(`password of ${opts.name} changed\n`);
    });
  user.command('role <role>')
    .description(`change a user's role (${ROLES.join(', ')})`)
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--name <user>', 'user name')
    .addOption(databaseOption())
    .action(async (role: string, opts: ConfigFlags & { account: string; name: string }) => {
      if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`the role must be one of ${ROLES.join(', ')} (got ${JSON.stringify(role)})`);
      await withStore(opts, (store) => new IdentityAdmin(store, systemClock).setRole(opts.account, opts.name, role as Role));
      process.stderr.write(`user ${opts.name} now has role ${role}\n`);
    });
}
