import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { buildApp } from './http/app.js';
import { ConnectionTracker } from './http/drain.js';
import { ListenError } from './http/listen-error.js';
import { redactUrl } from './http/log-redaction.js';
import { runMaintenance } from './service/maintenance.js';
import { AuthThrottle, DEFAULT_AUTH_THROTTLE } from './identity/auth-throttle.js';
import { openLimiters } from './store/limiters.js';
import { AkSkAuthenticator, AuthenticatorChain, TokenAuthenticator, type Authenticator } from './identity/authenticator.js';
import { checkMasterKeySetting, openKeyring, type Keyring } from './identity/keyring.js';
import { IamService } from './service/iam.js';
import type { AppDeps, Lifecycle } from './http/deps.js';
import { createPipeline, type Pipeline, type PipelineOptions } from './pipeline/index.js';
import { Metrics } from './metrics.js';
import { Callbacks } from './service/callbacks.js';
import { DeliveryReports } from './service/delivery-reports.js';
import { SendTasks } from './service/send-tasks.js';
import { Materials } from './service/materials.js';
import { Templates } from './service/templates.js';
import { Links } from './service/links.js';
import { ResolveTasks } from './service/resolve-tasks.js';
import { buildLinkApp } from './http/link-host.js';
import { DEFAULT_MATERIAL_QUOTA_BYTES } from './domain/material.js';
import { ensureDemo, type DemoSetup } from './dev/demo.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The link host (recipients' short links), on its own listener. */
  linkApp: FastifyInstance;
  linkUrl: string;
  /** The links' domain: aim_url is `<linkDomain>/<aim_code>`. */
  linkDomain: string;
  pipeline: Pipeline;
  store: Store;
  url: string;
  demo?: DemoSetup;
  /**
   * Drains (answers close their connections, /readyz 503) until clients leave or the drain time is
   * up, stops accepting, waits for in-flight requests, stops the workers at a safe point (every
   * claimed job done or released), closes the store. Idempotent.
   */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** Both ways in (token, AK/SK signature) and the IAM token service, sharing one throttle. */
export function identityFor(store: Store, clock: Clock, keyring: Keyring, throttle: AuthThrottle = new AuthThrottle()): {
  authenticator: Authenticator; iam: IamService;
} {
  return {
    authenticator: new AuthenticatorChain([new TokenAuthenticator(store, clock), new AkSkAuthenticator(store, clock, keyring, throttle)]),
    iam: new IamService(store, clock, throttle),
  };
}

export interface Services {
  deps: Pick<AppDeps, 'store' | 'clock' | 'authenticator' | 'iam' | 'sendTasks' | 'deliveryReports' | 'callbacks' | 'templates' | 'materials' | 'resolveTasks' | 'kannelDlrSecret' | 'metrics'>;
  /** Opening recipients' links (the link host's service). */
  links: Links;
  /** Builds the outbox worker once a logger exists (the app's); wakes on new send tasks. */
  startPipeline(log: Parameters<typeof createPipeline>[3]): Pipeline;
}

/** Every service the API and the workers share, wired once. */
export function servicesFor(store: Store, clock: Clock, keyring: Keyring, options: Omit<PipelineOptions, 'channel'> & {
  throttle?: AuthThrottle; allowPrivate?: boolean; templateAutoApprove?: boolean;
  materials?: { quotaBytes?: number; allowUrlFetch?: boolean; fetchTimeoutMs?: number };
  /** The links' domain (known once the link host listens) and the extra preview agents. */
  links?: { domain: () => string; previewAgents?: readonly string[] };
}): Services {
  const identity = identityFor(store, clock, keyring, options.throttle);
  const metrics = new Metrics(store, clock);
  const deliveryReports = new DeliveryReports(store, clock, metrics);
  const allowPrivate = options.allowPrivate ?? false;
  const callbacks = new Callbacks(store, clock, allowPrivate, options.receipts?.resolve);
  let notify = () => {};
  const linkDomain = options.links?.domain ?? (() => '127.0.0.1:8081');
  const sendTasks = new SendTasks(store, clock, () => notify(), { linkDomain });
  const resolveTasks = new ResolveTasks(store, clock, { linkDomain });
  const links = new Links(store, clock, { previewAgents: options.links?.previewAgents ?? [] });
  const templates = new Templates(store, clock, { autoApprove: options.templateAutoApprove ?? false });
  const materials = new Materials(store, clock, {
    quotaBytes: options.materials?.quotaBytes ?? DEFAULT_MATERIAL_QUOTA_BYTES, allowUrlFetch: options.materials?.allowUrlFetch ?? false,
    fetchTimeoutMs: options.materials?.fetchTimeoutMs ?? 10_000, allowPrivate,
  });
  return {
    links,
    deps: { store, clock, ...identity, sendTasks, deliveryReports, callbacks, templates, materials, resolveTasks, metrics, ...(options.kannel ? { kannelDlrSecret: options.kannel.dlrSecret } : {}) },
    startPipeline: (log) => {
      const pipeline = createPipeline(store, clock, deliveryReports, log, {
        ...options, channel: options.kannel ? 'kannel' : 'simulator', receipts: { ...options.receipts, allowPrivate }, metrics,
      });
      notify = () => pipeline.worker.notify();
      return pipeline;
    },
  };
}

/**
 * The server's log settings. Credentials never reach the log, whatever a serializer is later
 * taught to print: the headers that carry them are redacted. Request URLs are logged with secrets
 * (the Kannel DLR secret) replaced, and phone numbers too unless the level is debug or finer.
 */
export function loggerOptions(level: Config['logLevel'], stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  const phones = level === 'debug' || level === 'trace';
  return {
    level,
    serializers: {
      req: (request: { method: string; url: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
        method: request.method,
        url: redactUrl(request.url, { phones }),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
    redact: {
      paths: ['req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'req.headers.authorization', 'req.headers["x-security-token"]', 'req.body'],
      censor: '[redacted]',
    },
    ...(stream ? { stream } : {}),
  };
}

function listenFailure(error: unknown, config: Config, which: { port: number; flag: string; variable: string } = { port: config.port, flag: '--port', variable: 'AIMLEDGER_PORT' }): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${config.host}:${which.port}`;
  const choose = `choose another port with ${which.flag} or ${which.variable}`;
  if (code === 'EADDRINUSE') return new ListenError(`${where} is already in use by another program: stop it, or ${choose}`, { cause: error });
  if (code === 'EACCES' || code === 'EPERM') return new ListenError(`not allowed to listen on ${where} (ports below 1024 need privileges): ${choose}`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ListenError(`${config.host} is not an address of this machine: choose another with --host or AIMLEDGER_HOST`, { cause: error });
  return error;
}

/**
 * Opens the store ready for serving: settings checked before the database is touched (a
 * deployment that cannot start must not leave a half-made demo account behind), migrated, the
 * demo set up if asked for, the master key made or checked. Closes the store if any step fails.
 */
async function openPrepared(config: Config, options: { demo?: boolean; clock?: Clock; replica?: boolean }): Promise<{ store: Store; demo: DemoSetup | undefined; keyring: Keyring }> {
  checkMasterKeySetting({ masterKey: config.masterKey, databaseUrl: config.databaseUrl });
  const store = openStore({
    url: config.databaseUrl,
    ...(options.replica && config.databaseReadUrl ? { readUrl: config.databaseReadUrl, replicaMaxLagMs: config.replicaMaxLagMs } : {}),
  });
  try {
    await store.migrate();
    const demo = options.demo ? await ensureDemo(store, options.clock ?? systemClock) : undefined;
    const keyring = await openKeyring(store, { masterKey: config.masterKey, databaseUrl: config.databaseUrl });
    return { store, demo, keyring };
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
}

/**
 * What a group of server processes does once before they start (`serve --workers`), so that they
 * do not each try at the same moment. Answers the demo's sign-in, if asked for.
 */
export async function prepareDatabase(config: Config, options: { demo?: boolean; clock?: Clock } = {}): Promise<DemoSetup | undefined> {
  const { store, demo } = await openPrepared(config, options);
  await store.close();
  return demo;
}

/** Opens the store, migrates, optionally sets up the demo, and listens. */
export async function startServer(config: Config, options: {
  demo?: boolean; clock?: Clock;
  /** Where the log goes (standard output when absent). */
  logStream?: NodeJS.WritableStream;
} = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const { store, demo, keyring } = await openPrepared(config, { demo: options.demo === true, clock, replica: true });
  // Request limits and the sign-in throttle count where every process and instance sees them.
  const shared = await openLimiters({ databaseUrl: config.databaseUrl, redisUrl: config.redisUrl, redisKeyPrefix: config.redisKeyPrefix })
    .catch(async (error: unknown) => {
      await store.close().catch(() => {});
      throw error;
    });
  try {
    // The links' domain: AIMLEDGER_LINK_BASE_URL's host, or the link host's own address once it listens.
    let linkDomain = config.linkBaseUrl ? new URL(config.linkBaseUrl).host : `${config.host}:${config.linkPort}`;
    const services = servicesFor(store, clock, keyring, {
      simulator: config.simulator, allowPrivate: config.callbackAllowPrivate, ...(config.kannel ? { kannel: config.kannel } : {}),
      throttle: new AuthThrottle(DEFAULT_AUTH_THROTTLE, shared),
      templateAutoApprove: config.templateAutoApprove ?? options.demo === true,
      materials: { quotaBytes: config.materialQuotaBytes, allowUrlFetch: config.materialUrlFetch },
      links: { domain: () => linkDomain, previewAgents: config.linkPreviewAgents },
    });
    const lifecycle: Lifecycle = { draining: false };
    const app = await buildApp({
      ...services.deps, limiters: shared, trustProxy: config.trustProxy, benchRoutes: config.benchRoutes, lifecycle,
      rateLimitPerMinute: config.rateLimitPerMinute, maxEventLoopDelayMs: config.maxEventLoopDelayMs,
      exportsPerAccount: config.exportsPerAccount, unauthenticatedPerMinute: config.unauthenticatedPerMinute, http: config.http,
      logger: loggerOptions(config.logLevel, options.logStream),
    });
    store.onConnectionError((err) => app.log.warn({ err }, 'database connection lost while idle; the next query reconnects'));
    const pipeline = services.startPipeline(app.log);
    const connections = new ConnectionTracker(app.server);
    let url: string;
    try {
      url = await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      await app.close().catch(() => {});
      throw listenFailure(error, config);
    }
    const linkApp = await buildLinkApp({
      links: services.links, materials: services.deps.materials, store, limiters: shared, http: config.http, lifecycle,
      logger: loggerOptions(config.logLevel, options.logStream),
    });
    let linkUrl: string;
    try {
      linkUrl = await linkApp.listen({ host: config.host, port: config.linkPort });
    } catch (error) {
      await linkApp.close().catch(() => {});
      await app.close().catch(() => {});
      throw listenFailure(error, config, { port: config.linkPort, flag: '--link-port', variable: 'AIMLEDGER_LINK_PORT' });
    }
    if (!config.linkBaseUrl) linkDomain = new URL(linkUrl).host;
    // Resumes whatever the outbox holds from before a restart (leases of a dead process expire).
    pipeline.worker.start();
    let running: Promise<void> = Promise.resolve();
    let retry: NodeJS.Timeout | undefined;
    const maintain = () => {
      running = running.then(() => runMaintenance(store, clock().getTime(), config.retentionMonths))
        .then((purged) => { if (purged > 0) app.log.info({ purged }, 'retention: purged old send details'); })
        .catch((err: unknown) => {
          // A database outage should not leave next month's partition missing for an hour.
          app.log.warn({ err }, 'maintenance failed; retrying in a minute');
          clearTimeout(retry);
          retry = setTimeout(maintain, MINUTE_MS);
          retry.unref();
        });
    };
    maintain();
    const sweep = setInterval(maintain, HOUR_MS);
    sweep.unref();
    let closing: Promise<void> | undefined;
    return {
      app, linkApp, linkUrl, linkDomain, pipeline, store, url, ...(demo ? { demo } : {}),
      close: () => {
        closing ??= (async () => {
          clearInterval(sweep);
          // Keep serving, each answer closing its connection, until clients have gone (or the
          // drain time is up); then stop listening and wait for the requests still running.
          lifecycle.draining = true;
          await connections.drain(config.shutdownDrainMs);
          await Promise.all([app.close(), linkApp.close()]);
          // After the last request: the current round finishes, so no claimed job is left half done.
          await pipeline.worker.stop();
          // Maintenance works in short transactions; let the current one finish before closing.
          await running;
          clearTimeout(retry);
          await shared.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await shared.close().catch(() => {});
    await store.close().catch(() => {});
    throw error;
  }
}
