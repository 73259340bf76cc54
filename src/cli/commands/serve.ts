import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config, type ConfigFlags } from '../../config.js';
import { REGION } from '../../domain/identity.js';
import { DEMO_APP_NAME, DEMO_PASSWORD, DEMO_USER, type DemoSetup } from '../../dev/demo.js';
import { DEMO_SIGNATURES, DEMO_TEMPLATES } from '../../dev/synthetic.js';
import { UsageError, databaseOption, withStore } from '../shared.js';

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

/** What a listening server process tells the primary (and the banner shows). */
interface Listening {
  base: string;
  backend: string;
  linkUrl: string;
  linkDomain: string;
  workers: number;
}

/** The lines `serve` prints once it listens: where, and with --demo how to try it. */
function banner(at: Listening, demo: DemoSetup | undefined): string {
  const { base } = at;
  const lines = [
    `aimledger serving on ${base} (store: ${at.backend}${at.workers > 1 ? `, ${at.workers} server processes` : ''})`,
    `Web console: ${base}/console    API docs: ${base}/docs    OpenAPI: ${base}/openapi.json`,
    `Link host (recipients' short links): ${at.linkUrl} (links read ${at.linkDomain}/<aim_code>)`,
  ];
  if (demo) {
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
  return lines.join('\n') + '\n\n';
}

/**
 * Runs the whole server (API, link host, outbox worker) in this process until SIGINT or SIGTERM,
 * which drain and stop it. As one of `serve --workers N`'s processes it shares the ports with the
 * others through node:cluster and does not set up the demo (the primary did), though it approves
 * templates at creation as the demo's single process would.
 */
async function serveHere(config: Config, demo: boolean): Promise<{ listening: Listening; demo: DemoSetup | undefined }> {
  // Loaded only here: the server's modules take most of a second to load, and every other
  // command would pay for them.
  const { startServer } = await import('../../server.js');
  const server = cluster.isWorker
    ? await startServer({ ...config, templateAutoApprove: config.templateAutoApprove ?? demo })
    : await startServer(config, { demo });
  const { port } = server.app.server.address() as AddressInfo;
  const stop = (signal: string) => {
    server.app.log.info({ signal, pid: process.pid }, 'shutting down');
    server.close().then(() => process.exit(0), (err: unknown) => {
      server.app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return {
    listening: { base: `http://${displayHost(config.host)}:${port}`, backend: server.store.backend, linkUrl: server.linkUrl, linkDomain: server.linkDomain, workers: config.workers },
    demo: server.demo,
  };
}

/**
 * `serve --workers N`: prepares the database once (migrations, demo, master key), then runs N
 * server processes sharing the ports. One that dies is replaced (a second later, so a process
 * that cannot start does not spin); SIGTERM or SIGINT stops them all gracefully, each draining its
 * connections, and the primary exits when the last one has.
 */
async function servePrimary(config: Config, demo: boolean): Promise<void> {
  const { prepareDatabase } = await import('../../server.js');
  const demoSetup = await prepareDatabase(config, { demo });
  let stopping = false;
  let started = false;
  const listening = new Map<number, Listening>();
  const first = await new Promise<Listening>((resolve, reject) => {
    cluster.on('message', (worker, message: { type?: string } & Listening) => {
      if (message?.type !== 'listening') return;
      listening.set(worker.id, message);
      if (!started && listening.size === config.workers) {
        started = true;
        resolve(message);
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker.id);
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
        return;
      }
      if (!started) {
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
        reject(new UsageError(`a server process exited (${code ?? signal}) before it listened; see its message above`));
        return;
      }
      process.stderr.write(`aimledger: server process ${worker.process.pid ?? '?'} exited (${code ?? signal}); starting another\n`);
      setTimeout(() => { if (!stopping) cluster.fork(); }, 1000).unref();
    });
    for (let i = 0; i < config.workers; i++) cluster.fork();
  });
  process.stdout.write(banner(first, demoSetup));
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker?.process.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `serve` and `migrate`. */
export function registerServe(program: Command): void {
  program.command('serve')
    .description('serve the HTTP API (migrates the database first)')
    .option('--port <n>', 'port to listen on; default AIMLEDGER_PORT or 8080')
    .option('--link-port <n>', 'port of the link host (recipients\' short links); default AIMLEDGER_LINK_PORT or the API port + 1')
    .option('--host <h>', 'address to listen on; default AIMLEDGER_HOST or 127.0.0.1')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent; default AIMLEDGER_LOG_LEVEL or info')
    .option('--trust-proxy <hops|addresses>', 'believe X-Forwarded-For from this many proxy hops, or from these proxy addresses/CIDRs (comma-separated); default AIMLEDGER_TRUST_PROXY or none')
    .option('--retention-months <n>', 'purge send details older than this many months, hourly; default AIMLEDGER_RETENTION_MONTHS or 13')
    .option('--bench-routes', 'serve the benchmark reference route /bench/echo; default AIMLEDGER_BENCH_ROUTES or false')
    .option('--channel <name>', 'where messages go: simulator (the built-in carrier simulator) or kannel (a Kannel gateway: AIMLEDGER_KANNEL_* settings); default AIMLEDGER_CHANNEL or simulator')
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
    .option('--workers <n>', 'server processes sharing the ports (a number, or auto: one per core), each with its own connections and outbox worker; default AIMLEDGER_WORKERS or 1')
    .option('--demo', 'create a demo account with data on first run and print a token and a curl')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { demo?: boolean }) => {
      const config = loadConfig(opts);
      if (config.workers > 1 && cluster.isPrimary) return servePrimary(config, opts.demo === true);
      const { listening, demo } = await serveHere(config, opts.demo === true);
      if (cluster.isWorker) process.send?.({ type: 'listening', ...listening });
      else process.stdout.write(banner(listening, demo));
    });

  program.command('migrate')
    .description('apply pending database migrations (harmless when there are none)')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      await withStore(opts, async () => undefined);
      process.stderr.write('migrations applied\n');
    });
}
