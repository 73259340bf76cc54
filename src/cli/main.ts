import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, extname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AimLedgerClient, ApiError, type SendDetailsFilter } from '../client/index.js';
import { EXPORT_COLUMNS } from '../service/export.js';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, debugRequested, loadConfig, loadRemoteConfig, type ConfigFlags } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import { REGION, ROLES, type Role } from '../domain/identity.js';
import { ListenError } from '../http/listen-error.js';
import { runMaintenance } from '../service/maintenance.js';
import { monthsBefore } from '../store/partitions.js';
import { DEMO_APP_NAME, DEMO_PASSWORD, DEMO_USER } from '../service/demo.js';
import { DEMO_SIGNATURES, DEMO_TEMPLATES } from '../service/synthetic.js';
import { IdentityAdmin, DEFAULT_TOKEN_TTL_MS } from '../service/identity-admin.js';
import { writeBenchData } from '../service/bench-data.js';
import { importSendDetails, type ImportFormat } from '../service/import.js';
import { ReferenceData } from '../service/reference-data.js';
import { checkMasterKeySetting, openKeyring } from '../identity/keyring.js';
import { DatabaseOpenError } from '../store/open-error.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { read } from 'read';

/** A failure the user can fix; printed as one line without a stack trace. */
class UsageError extends Error {}

/** A file the command should write cannot be created. */
class OutputError extends Error {}

const databaseOption = () => new Option('--database <url>', 'database URL (sqlite:PATH or postgres://…); default AIMLEDGER_DATABASE_URL or sqlite:./data/aimledger.db');

/** Opens and migrates the store the flags and environment name, runs `work`, always closes it. */
async function withStore<T>(flags: ConfigFlags, work: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(flags);
  const store = openStore({ url: config.databaseUrl });
  try {
    await store.migrate();
    return await work(store);
  } finally {
    await store.close();
  }
}

async function readStdin(): Promise<string | null> {
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
async function readPassword(allowNone: boolean): Promise<string | null> {
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

/** The IAM password sign-in body for the demo user, as the banner prints it. */
function demoLogin(domain: string) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: DEMO_USER, password: DEMO_PASSWORD, domain: { name: domain } } } },
      scope: { project: { name: REGION } },
    },
  };
}

/** A send task on the demo account's first template and signature, as the banner prints it. */
function demoTask() {
  const [tplId] = DEMO_TEMPLATES[0];
  const [smsSign, channelNumber] = DEMO_SIGNATURES[0];
  return {
    task_name: 'demo send',
    sms_channel: { channel_number: channelNumber, sms_tpl_id: '15010661', sms_sign: smsSign, sms_app_name: DEMO_APP_NAME },
    resolve_task: {
      tpl_id: tplId, resolve_times: 1, aim_code_type: 'individual', expiration_time: 7,
      params: [{ cust_flag: '13100000001' }, { cust_flag: '13100000002' }],
    },
  };
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function buildCli(): Command {
  const program = new Command('aimledger')
    .description('KooMessage-compatible system of record for intelligent messages (AIM)')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program.command('serve')
    .description('serve the HTTP API (migrates the database first)')
    .option('--port <n>', 'port to listen on; default AIMLEDGER_PORT or 8080')
    .option('--host <h>', 'address to listen on; default AIMLEDGER_HOST or 127.0.0.1')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent; default AIMLEDGER_LOG_LEVEL or info')
    .option('--trust-proxy <hops|addresses>', 'believe X-Forwarded-For from this many proxy hops, or from these proxy addresses/CIDRs (comma-separated); default AIMLEDGER_TRUST_PROXY or none')
    .option('--retention-months <n>', 'purge send details older than this many months, hourly; default AIMLEDGER_RETENTION_MONTHS or 13')
    .option('--bench-routes', 'serve the benchmark reference route /bench/echo; default AIMLEDGER_BENCH_ROUTES or false')
    .option('--channel <name>', 'where messages go: simulator; default AIMLEDGER_CHANNEL or simulator')
    .option('--rate-limit-per-minute <n>', 'requests a minute per account on /v1/aim/* (0: no limit); default AIMLEDGER_RATE_LIMIT_PER_MINUTE or 6000')
    .option('--max-event-loop-delay-ms <ms>', 'shed load with 503 past this event-loop delay (0: never); default AIMLEDGER_MAX_EVENT_LOOP_DELAY_MS or 1000')
    .option('--shutdown-drain-ms <ms>', 'on SIGTERM, keep answering (with Connection: close) until clients leave or this long; default AIMLEDGER_SHUTDOWN_DRAIN_MS or 5000')
    .option('--exports-per-account <n>', 'exports one account may run at once (more answer 429); default AIMLEDGER_EXPORTS_PER_ACCOUNT or 2')
    .option('--unauthenticated-per-minute <n>', 'requests a minute per address without credentials or failing authentication (0: no limit); default AIMLEDGER_UNAUTHENTICATED_PER_MINUTE or 600')
    .option('--request-timeout-ms <ms>', 'a whole request must arrive within this long (else 408); default AIMLEDGER_REQUEST_TIMEOUT_MS or 30000')
    .option('--headers-timeout-ms <ms>', 'request headers must arrive within this long; default AIMLEDGER_HEADERS_TIMEOUT_MS or 10000')
    .option('--keep-alive-timeout-ms <ms>', 'idle kept-alive connections close after this long; default AIMLEDGER_KEEP_ALIVE_TIMEOUT_MS or 5000')
    .option('--max-connections <n>', 'open connections at most, more are closed at once (0: no cap); default AIMLEDGER_MAX_CONNECTIONS or 10000')
    .option('--callback-allow-private', 'let receipt URLs point at private, loopback or link-local addresses; default AIMLEDGER_CALLBACK_ALLOW_PRIVATE or false')
    .option('--simulator-delay-ms <ms>', 'simulated delivery report delay; default AIMLEDGER_SIMULATOR_DELAY_MS or 2000')
    .option('--simulator-fail-ratio <r>', 'share of simulated messages that fail, 0 to 1; default AIMLEDGER_SIMULATOR_FAIL_RATIO or 0.05')
    .option('--simulator-seed <n>', 'same seed and msg_id, same simulated outcome; default AIMLEDGER_SIMULATOR_SEED or 1')
    .option('--demo', 'create a demo account with data on first run and print a token and a curl')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { demo?: boolean }) => {
      const config = loadConfig(opts);
      // Loaded only here: the server's modules take most of a second to load, and every other
      // command would pay for them.
      const { startServer } = await import('../server.js');
      const server = await startServer(config, { demo: opts.demo === true });
      const { port } = server.app.server.address() as AddressInfo;
      const base = `http://${displayHost(config.host)}:${port}`;
      const lines = [
        `aimledger serving on ${base} (store: ${server.store.backend})`,
        `Web console: ${base}/console    API docs: ${base}/docs    OpenAPI: ${base}/openapi.json`,
      ];
      if (server.demo) {
        const { demo } = server;
        const query = `offset=0&limit=2${demo.sampleTaskId ? `&task_id=${demo.sampleTaskId}` : ''}`;
        lines.push(
          '',
          `Demo account "${demo.account.name}" (domain_id ${demo.account.domainId})${demo.created ? ', created with demo data' : ''}`,
          `Demo user: ${DEMO_USER} / ${DEMO_PASSWORD} (te_admin)`,
          `Token (valid until ${new Date(demo.expiresAt).toISOString()}):`,
          demo.token,
          '',
          'Try:',
          `curl -s -H "X-Auth-Token: ${demo.token}" "${base}/v1/aim/send-details?${query}"`,
          '',
          'Sign in as IAM clients do (the token comes back in the X-Subject-Token header):',
          `curl -si -X POST "${base}/v3/auth/tokens" -H "Content-Type: application/json" -d '${JSON.stringify(demoLogin(demo.account.name))}'`,
          '',
          'Send a task to two phones (the simulator reports delivery a few seconds later; look the task up with task_id):',
          `curl -s -X POST "${base}/v1/aim/send-tasks" -H "X-Auth-Token: ${demo.token}" -H "Content-Type: application/json" -d '${JSON.stringify(demoTask())}'`,
          '',
          `Access keys for the official Huawei Cloud SDKs (AK/SK): ./bin/aimledger key create --account ${demo.account.name} --user ${DEMO_USER}`,
        );
      }
      process.stdout.write(lines.join('\n') + '\n\n');
      const stop = (signal: string) => {
        server.app.log.info({ signal }, 'shutting down');
        server.close().then(() => process.exit(0), (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });

  program.command('migrate')
    .description('apply pending database migrations (harmless when there are none)')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      await withStore(opts, async () => undefined);
      process.stderr.write('migrations applied\n');
    });

  const account = program.command('account').description('manage accounts (tenants)');
  account.command('create <name>')
    .description('create an account and print its domain_id')
    .addOption(databaseOption())
    .action(async (name: string, opts: ConfigFlags) => {
      const created = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).createAccount(name));
      process.stdout.write(`${created.domainId}\n`);
    });

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
        throw new UsageError(`--ttl ${opts.ttl} is longer than the longest lifetime allowed (${formatDuration(tokenMaxTtlMs)}, AIMLEDGER_TOKEN_MAX_TTL); issue a shorter token, or an access key for long-lived use`);
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

  account.command('list')
    .description('list accounts: name, domain_id, users, created at')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      const rows = await withStore(opts, (store) => new IdentityAdmin(store, systemClock).listAccounts());
      const lines = rows.map((a) => [a.name, a.domainId, String(a.users), new Date(a.createdAt).toISOString()].join('\t'));
      process.stdout.write(['NAME\tDOMAIN_ID\tUSERS\tCREATED_AT', ...lines].join('\n') + '\n');
    });

  const template = program.command('template').description('manage AIM templates (what send tasks name in resolve_task.tpl_id)');
  template.command('add')
    .description('add an AIM template to an account')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--tpl-id <id>', '9-digit template id')
    .requiredOption('--name <name>', 'template name (1 to 100 characters)')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; tplId: string; name: string }) => {
      const created = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new ReferenceData(store, systemClock).addTemplate(target.id, { tplId: opts.tplId, tplName: opts.name });
      });
      process.stderr.write(`template ${created.tplId} (${created.tplName}) added\n`);
    });
  template.command('list')
    .description('list an account\'s AIM templates')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return (await store.templates.list(target.id, {}, 0, 1_000_000)).rows;
      });
      const lines = rows.map((t) => [t.tplId, t.tplState === 1 ? 'enabled' : 'disabled', new Date(t.createdAt).toISOString(), t.tplName].join('\t'));
      process.stdout.write(['TPL_ID\tSTATE\tCREATED_AT\tNAME', ...lines].join('\n') + '\n');
    });

  const smsTemplate = program.command('sms-template').description('manage SMS template contents (the text a gateway channel such as Kannel sends)');
  smsTemplate.command('add')
    .description('set the content of an SMS template: ${1}, ${2}, … take the task\'s sms_params in order')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--id <id>', 'the SMS template id send tasks name in sms_channel.sms_tpl_id')
    .requiredOption('--content <text>', 'the text after the 【signature】')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; id: string; content: string }) => {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(opts.id)) throw new UsageError('--id must be 1 to 32 letters, digits, _ or -');
      if (opts.content.length === 0 || opts.content.length > 500) throw new UsageError('--content must be 1 to 500 characters');
      await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        await store.smsTemplates.upsert(target.id, opts.id, opts.content, systemClock().getTime());
      });
      process.stderr.write(`SMS template ${opts.id} set\n`);
    });
  smsTemplate.command('list')
    .description('list an account\'s SMS template contents')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return store.smsTemplates.list(target.id);
      });
      process.stdout.write(['ID\tCONTENT', ...rows.map((r) => `${r.smsTplId}\t${r.content}`)].join('\n') + '\n');
    });

  const sign = program.command('sign').description('manage SMS signatures (what send tasks name in sms_channel.sms_sign)');
  sign.command('add')
    .description('add an SMS signature to an account')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--sign <sign>', 'the signature (1 to 18 characters)')
    .option('--channel-number <n>', 'its channel number; send tasks must then name the same one')
    .option('--app-name <name>', 'its SMS application; send tasks must then name the same one')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; sign: string; channelNumber?: string; appName?: string }) => {
      const created = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return new ReferenceData(store, systemClock).addSignature(target.id, {
          smsSign: opts.sign, channelNumber: opts.channelNumber ?? null, appName: opts.appName ?? null,
        });
      });
      process.stderr.write(`signature ${created.smsSign} added\n`);
    });
  sign.command('list')
    .description('list an account\'s SMS signatures')
    .requiredOption('--account <name>', 'account name')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string }) => {
      const rows = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        return store.signatures.list(target.id);
      });
      const lines = rows.map((r) => [r.smsSign, r.channelNumber ?? '', r.appName ?? ''].join('\t'));
      process.stdout.write(['SIGN\tCHANNEL_NUMBER\tAPP_NAME', ...lines].join('\n') + '\n');
    });

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

  const details = program.command('details').description('query a running server\'s send details (token or AK/SK from the environment)');
  const filterOptions = (cmd: Command) => cmd
    .option('--endpoint <url>', 'the server; default AIMLEDGER_ENDPOINT')
    .option('--task-id <id>').option('--tpl-id <id>').option('--sms-sign <sign>').option('--cust-flag <phone>')
    .option('--begin-time <utc>', 'e.g. 2026-06-01T00:00:00Z (with --end-time)').option('--end-time <utc>')
    .addOption(new Option('--send-status <status>').choices(['sending', 'success', 'fail']))
    .option('--msg-id <id>');
  const filterOf = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries({
    task_id: o.taskId, tpl_id: o.tplId, sms_sign: o.smsSign, cust_flag: o.custFlag, begin_time: o.beginTime,
    end_time: o.endTime, send_status: o.sendStatus, msg_id: o.msgId,
  }).filter(([, v]) => v !== undefined)) as SendDetailsFilter;

  filterOptions(details.command('list'))
    .description('one page of send details: a table with the total, or the raw JSON')
    .option('--offset <n>', 'rows to skip', '0')
    .option('--limit <n>', 'page size, 1 to 100', '20')
    .option('--json', 'print the response body as it came')
    .action(async (opts: Record<string, string | undefined> & { json?: boolean }) => {
      const remote = loadRemoteConfig({ ...(opts.endpoint !== undefined ? { endpoint: String(opts.endpoint) } : {}) });
      const client = new AimLedgerClient(remote);
      if (!/^[0-9]{1,7}$/.test(opts.offset ?? '') || !/^[0-9]{1,3}$/.test(opts.limit ?? '')) throw new UsageError('--offset and --limit must be whole numbers');
      const page = await client.listSendDetails({ ...filterOf(opts), offset: Number(opts.offset), limit: Number(opts.limit) });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(page)}\n`);
        return;
      }
      const lines = page.send_details.map((r) => EXPORT_COLUMNS.map((c) => r[c] ?? '').join('\t'));
      process.stdout.write([EXPORT_COLUMNS.join('\t').toUpperCase(), ...lines].join('\n') + '\n');
      process.stderr.write(`rows ${page.page_info.offset + 1}-${page.page_info.offset + page.send_details.length} of ${page.page_info.total}\n`);
    });

  filterOptions(details.command('export'))
    .description('every matching send detail (no 10000 window), streamed to a file or standard output')
    .addOption(new Option('--format <format>', 'csv (UTF-8 with BOM) or ndjson').choices(['csv', 'ndjson']).default('csv'))
    .option('--output <file>', 'write here instead of standard output')
    .action(async (opts: Record<string, string | undefined>) => {
      const remote = loadRemoteConfig({ ...(opts.endpoint !== undefined ? { endpoint: String(opts.endpoint) } : {}) });
      const client = new AimLedgerClient(remote);
      const filter = filterOf(opts);
      const { page_info: { total } } = await client.listSendDetails({ ...filter, offset: 0, limit: 1 });
      const body = await client.exportSendDetails({ ...filter, format: opts.format as 'csv' | 'ndjson' });
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar({ format: 'export [{bar}] {percentage}% | {value}/{total} rows', stream: process.stderr }, cliProgress.Presets.shades_classic)
        : undefined;
      bar?.start(total, 0);
      let rows = opts.format === 'csv' ? -1 : 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          for (const byte of chunk) if (byte === 0x0a) rows += 1;
          bar?.update(Math.max(0, rows));
          done(null, chunk);
        },
      });
      const out = opts.output ? createWriteStream(opts.output) : process.stdout;
      try {
        await pipeline(Readable.fromWeb(body as never), counter, out);
      } finally {
        bar?.stop();
      }
      process.stderr.write(`exported ${Math.max(0, rows)} rows${opts.output ? ` to ${opts.output}` : ''}\n`);
    });

  program.command('import <file>')
    .description('import send details from .ndjson or .csv (idempotent on msg_id); exit 1 if any line was rejected')
    .requiredOption('--account <name>', 'account name')
    .addOption(new Option('--format <format>', 'file format; default from the file extension').choices(['ndjson', 'csv']))
    .addOption(databaseOption())
    .action(async (file: string, opts: ConfigFlags & { account: string; format?: ImportFormat }) => {
      const format = opts.format ?? formatOf(file);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      const summary = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} bytes | {rows} rows', stream: process.stderr }, cliProgress.Presets.shades_classic)
          : undefined;
        bar?.start(size, 0, { rows: 0 });
        let bytes = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        try {
          return await importSendDetails(store, target.id, createReadStream(file).pipe(counter), systemClock, {
            format,
            onReject: ({ line, reason }) => {
              if (bar) bar.stop();
              process.stderr.write(`${file}:${line}: rejected: ${reason}\n`);
              bar?.start(size, bytes, { rows: 0 });
            },
            onProgress: (s) => bar?.update(bytes, { rows: s.read }),
          });
        } finally {
          bar?.update(bytes);
          bar?.stop();
        }
      });
      process.stderr.write(`read ${summary.read}, inserted ${summary.inserted}, already present ${summary.skipped}, rejected ${summary.rejected}\n`);
      if (summary.rejected > 0) process.exitCode = 1;
    });

  program.command('backup <file>')
    .description('write a consistent copy of the embedded (SQLite) database to FILE, safe while serve runs; PostgreSQL: use pg_dump (see the README)')
    .addOption(databaseOption())
    .action(async (file: string, opts: ConfigFlags) => {
      if (existsSync(file)) throw new UsageError(`${file} exists; give a new file name`);
      const folder = dirname(resolve(file));
      if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new OutputError(`cannot write the backup: the folder ${folder} does not exist; create it first`);
      const config = loadConfig(opts);
      const store = openStore({ url: config.databaseUrl });
      try {
        // No migration: a backup copies the database as it is.
        if (!(await store.backup(file))) throw new UsageError('the store is PostgreSQL: back it up with pg_dump (see the README), and keep AIMLEDGER_MASTER_KEY apart from it');
      } finally {
        await store.close();
      }
      process.stderr.write(`backed up to ${file}${config.databaseUrl.startsWith('sqlite:') ? ' (keep master.key with it: access-key secrets need it)' : ''}\n`);
    });

  program.command('purge')
    .description('delete send details older than the retention period (what serve does hourly) and prepare the coming months')
    .option('--retention-months <n>', 'months to keep; default AIMLEDGER_RETENTION_MONTHS or 13')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      const config = loadConfig(opts);
      const now = systemClock().getTime();
      const purged = await withStore(opts, (store) => runMaintenance(store, now, config.retentionMonths));
      process.stderr.write(`purged ${purged} send details sent before ${new Date(monthsBefore(now, config.retentionMonths)).toISOString()}\n`);
    });

  program.command('bench-data')
    .description('write synthetic send details for benchmarks: one large account plus three small ones')
    .requiredOption('--account <name>', 'the large account (created when missing; the small ones are NAME-small-1..3)')
    .requiredOption('--rows <n>', 'details for the large account (the small ones get 1% each)')
    .option('--seed <n>', 'random seed (same seed, same rows)', '1')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; rows: string; seed: string }) => {
      if (!/^[0-9]{1,9}$/.test(opts.rows) || Number(opts.rows) < 1) throw new UsageError('--rows must be a positive integer');
      if (!/^[0-9]{1,9}$/.test(opts.seed)) throw new UsageError('--seed must be a non-negative integer');
      const rows = Number(opts.rows);
      await withStore(opts, async (store) => {
        const admin = new IdentityAdmin(store, systemClock);
        const now = systemClock().getTime();
        const targets = [
          { name: opts.account, rows, seed: Number(opts.seed) },
          ...[1, 2, 3].map((i) => ({ name: `${opts.account}-small-${i}`, rows: Math.max(1, Math.floor(rows / 100)), seed: Number(opts.seed) + i })),
        ];
        for (const target of targets) {
          const account = (await store.accounts.findByName(target.name)) ?? (await admin.createAccount(target.name));
          const bar = process.stderr.isTTY
            ? new cliProgress.SingleBar({ format: `${target.name} [{bar}] {percentage}% | {value}/{total} rows | {eta}s left`, stream: process.stderr }, cliProgress.Presets.shades_classic)
            : undefined;
          bar?.start(target.rows, 0);
          const started = Date.now();
          const inserted = await writeBenchData(store, account.id, { rows: target.rows, now, seed: target.seed, onProgress: (n) => bar?.update(n) });
          bar?.stop();
          const seconds = (Date.now() - started) / 1000;
          process.stderr.write(`${target.name}: ${inserted} new of ${target.rows} rows in ${seconds.toFixed(1)} s (${Math.round(target.rows / Math.max(seconds, 0.001))} rows/s)\n`);
        }
      });
    });

  return program;
}

function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  throw new UsageError(`cannot tell the format of ${file}: use a .ndjson or .csv file, or --format`);
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
