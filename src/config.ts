import { availableParallelism } from 'node:os';
import { isIP } from 'node:net';
import { parseDuration } from './domain/duration.js';
import { ConfigError } from './domain/errors.js';

/*
 * The one place that reads `process.env`. Every setting is an `AIMLEDGER_*` variable with a CLI flag
 * of the same name; a flag wins over the variable. Bad values stop start-up with a ConfigError that
 * names the variable.
 */

export interface Config {
  databaseUrl: string;
  /**
   * A streaming replica of the PostgreSQL database (AIMLEDGER_DATABASE_READ_URL): queries and
   * exports read from it, writes and reads of one's own writes go to databaseUrl.
   */
  databaseReadUrl: string | undefined;
  /** Further behind than this (AIMLEDGER_REPLICA_MAX_LAG_MS, default 10 s), reads go to the primary until the replica catches up. */
  replicaMaxLagMs: number;
  /**
   * Redis for request limits and the brute-force throttle (AIMLEDGER_REDIS_URL). Unset: they
   * count in the database, shared by every process and instance all the same.
   */
  redisUrl: string | undefined;
  /** What Redis keys begin with (AIMLEDGER_REDIS_KEY_PREFIX, default aimledger), for deployments sharing a server. */
  redisKeyPrefix: string;
  host: string;
  port: number;
  /** The link host's port (AIMLEDGER_LINK_PORT; default the API's + 1, or 0 when that is 0). */
  linkPort: number;
  /** The link host's public address (AIMLEDGER_LINK_BASE_URL); its host is the links' domain. Unset: http://<host>:<link port>. */
  linkBaseUrl: string | undefined;
  /** More user-agent substrings the link host treats as previews (AIMLEDGER_LINK_PREVIEW_AGENTS, comma-separated). */
  linkPreviewAgents: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Which proxies' X-Forwarded-For to believe: false (none), a hop count, or the proxies'
   * addresses and CIDR ranges. Never "every hop": then anyone could name their own address.
   */
  trustProxy: TrustProxy;
  /** Benchmark reference routes (`/bench/echo`); off unless benchmarking. */
  benchRoutes: boolean;
  /** Send details older than this many calendar months are purged (default 13: a year and a month). */
  retentionMonths: number;
  /**
   * Encrypts access-key secrets at rest. Environment only (a flag would show in `ps`). Required on
   * PostgreSQL; an embedded store generates one beside its database file when unset.
   */
  masterKey: string | undefined;
  /** Where messages go: `simulator` (default) or `kannel`. */
  channel: 'simulator' | 'kannel';
  /** Set when the channel is kannel. */
  kannel: KannelConfig | undefined;
  simulator: { delayMs: number; failRatio: number; seed: number };
  /** Receipt URLs may point at private, loopback or link-local addresses (local use and tests). */
  callbackAllowPrivate: boolean;
  /** Approve new templates for every vendor at creation (AIMLEDGER_TEMPLATE_AUTO_APPROVE); unset: only in the demo. */
  templateAutoApprove: boolean | undefined;
  /** Bytes each account's template materials may take (AIMLEDGER_MATERIAL_QUOTA_MB). */
  materialQuotaBytes: number;
  /** Fetch `file_type` url material uploads (AIMLEDGER_MATERIAL_URL_FETCH); refused otherwise. */
  materialUrlFetch: boolean;
  /** Requests a minute per account on /v1/aim/*; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Event-loop delay past which requests are shed with 503; 0 turns shedding off. */
  maxEventLoopDelayMs: number;
  /**
   * On SIGTERM, how long at most to keep serving (every answer saying `Connection: close`, /readyz
   * 503) while clients and load balancers move away, before the listener closes.
   */
  shutdownDrainMs: number;
  /** Exports one account may run at once; more answer 429. */
  exportsPerAccount: number;
  /** Server processes sharing the ports (`serve --workers`); 1 runs the server in this process. */
  workers: number;
  /**
   * Requests a minute per client address that carry no credentials or fail authentication;
   * 0 turns the limit off.
   */
  unauthenticatedPerMinute: number;
  /** Time limits and the connection cap of the HTTP server. */
  http: HttpLimits;
  /** The longest lifetime a token may be given (`token create --ttl`). */
  tokenMaxTtlMs: number;
}

/** false, a number of hops, or a list of proxy addresses and CIDR ranges. */
export type TrustProxy = false | number | string[];

export interface HttpLimits {
  /** A whole request (headers and body) must arrive within this long, or 408. */
  requestTimeoutMs: number;
  /** The request headers must arrive within this long. */
  headersTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; more are refused at once. 0: no cap. */
  maxConnections: number;
}

export interface KannelConfig {
  sendsmsUrl: string;
  username: string;
  password: string;
  dlrBaseUrl: string;
  dlrSecret: string;
}

/** Flags as the CLI parsed them; undefined when not given. */
export interface ConfigFlags {
  database?: string;
  host?: string;
  port?: string;
  linkPort?: string;
  logLevel?: string;
  trustProxy?: string;
  benchRoutes?: boolean;
  retentionMonths?: string;
  channel?: string;
  simulatorDelayMs?: string;
  simulatorFailRatio?: string;
  simulatorSeed?: string;
  callbackAllowPrivate?: boolean;
  rateLimitPerMinute?: string;
  maxEventLoopDelayMs?: string;
  shutdownDrainMs?: string;
  exportsPerAccount?: string;
  workers?: string;
  unauthenticatedPerMinute?: string;
  requestTimeoutMs?: string;
  headersTimeoutMs?: string;
  keepAliveTimeoutMs?: string;
  maxConnections?: string;
}

export const DEFAULTS = {
  databaseUrl: 'sqlite:./data/aimledger.db',
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  trustProxy: false,
  benchRoutes: false,
  retentionMonths: 13,
  channel: 'simulator',
  simulatorDelayMs: 2000,
  simulatorFailRatio: 0.05,
  simulatorSeed: 1,
  exportsPerAccount: 2,
  unauthenticatedPerMinute: 600,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
  tokenMaxTtlMs: 7 * 24 * 3600_000,
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function port(value: string, name: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new ConfigError(`${name} must be a port number from 0 to 65535 (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function months(value: string, name: string): number {
  // The API serves the last year, so keeping less than 12 months would purge queryable data.
  if (!/^[0-9]{1,3}$/.test(value) || Number(value) < 12 || Number(value) > 600) {
    throw new ConfigError(`${name} must be a whole number of months from 12 to 600 (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function wholeNumber(value: string, name: string, min: number, max: number): number {
  if (!/^[0-9]{1,10}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function ratio(value: string, name: string): number {
  if (!/^(0(\.[0-9]+)?|1(\.0+)?|\.[0-9]+)$/.test(value)) {
    throw new ConfigError(`${name} must be a number from 0 to 1, e.g. 0.05 (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

/** The Kannel channel's settings, environment only (a password and a secret among them). */
function kannelConfig(env: NodeJS.ProcessEnv): KannelConfig {
  const need = (name: string, rule?: RegExp, what?: string, secret = false) => {
    const value = env[name];
    if (!value) throw new ConfigError(`${name} is required when AIMLEDGER_CHANNEL is kannel`);
    // A secret's value never reaches the terminal or a log, even when it is wrong.
    if (rule && !rule.test(value)) throw new ConfigError(`${name} must be ${what}${secret ? ` (the value given is ${value.length} characters; not shown)` : ` (got ${JSON.stringify(value)})`}`);
    return value;
  };
  const url = /^https?:\/\/[^\s/]+/;
  return {
    sendsmsUrl: need('AIMLEDGER_KANNEL_SENDSMS_URL', url, 'smsbox\'s sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms'),
    username: need('AIMLEDGER_KANNEL_USERNAME'),
    password: need('AIMLEDGER_KANNEL_PASSWORD'),
    dlrBaseUrl: need('AIMLEDGER_KANNEL_DLR_BASE_URL', url, 'the URL Kannel reaches aimledger at, e.g. http://127.0.0.1:8080'),
    dlrSecret: need('AIMLEDGER_KANNEL_DLR_SECRET', /^.{16,200}$/, '16 to 200 characters', true),
  };
}

/** An http(s) URL whose host (and port) is the links' domain; no path. */
function linkBaseUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL like https://s.example.com (got ${JSON.stringify(value)})`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new ConfigError(`${name} must be an http(s) URL with a host and nothing after it, like https://s.example.com (got ${JSON.stringify(value)})`);
  }
  return url.origin;
}

function bool(value: string, name: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  throw new ConfigError(`${name} must be true or false (got ${JSON.stringify(value)})`);
}

function redisUrl(value: string, name: string): string {
  // Not echoed: a Redis URL may carry a password.
  if (!/^rediss?:\/\/.+$/.test(value)) throw new ConfigError(`${name} must be redis://HOST[:PORT][/DB] or rediss://… (the value given is not shown: it may hold a password)`);
  return value;
}

/** A read replica is a PostgreSQL one, for a PostgreSQL primary. */
function readReplicaUrl(value: string, name: string, primary: string): string {
  if (!/^postgres(ql)?:\/\/.+$/.test(value)) throw new ConfigError(`${name} must be postgres://… (a streaming replica of the database; the value given is not shown: it may hold a password)`);
  if (!/^postgres(ql)?:\/\//.test(primary)) throw new ConfigError(`${name} needs a PostgreSQL database (AIMLEDGER_DATABASE_URL): an SQLite store has no replicas`);
  return value;
}

function databaseUrl(value: string, name: string): string {
  // Not echoed: a database URL may carry a password.
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(value)) {
    throw new ConfigError(`${name} must be sqlite:PATH or postgres://… (the value given is not shown: it may hold a password)`);
  }
  return value;
}

/**
 * `false`/`0`/empty: trust no proxy; a whole number: that many hops in front of the server; or a
 * comma-separated list of proxy addresses and CIDR ranges. `true` (every hop) is refused: behind
 * it any client could write its own X-Forwarded-For and pick the address limits count against.
 */
export function trustProxy(value: string, name: string): TrustProxy {
  const v = value.trim();
  if (v === '' || v === 'false' || v === '0') return false;
  if (/^[0-9]{1,2}$/.test(v)) return Number(v);
  if (v === 'true' || v === '1') throw new ConfigError(`${name} no longer takes true (every hop): give the number of proxies in front of the server, e.g. 1, or their addresses, e.g. 10.0.0.5,10.1.0.0/16`);
  const list = v.split(',').map((part) => part.trim());
  for (const part of list) {
    const [address, bits, extra] = part.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > maxBits))) {
      throw new ConfigError(`${name} must be false, a number of proxy hops, or a comma-separated list of proxy addresses and CIDR ranges (${JSON.stringify(part)} is neither)`);
    }
  }
  return list;
}

/** Node refuses a headers timeout longer than the request timeout; say so in the setting's words. */
function httpLimits(limits: HttpLimits, headersName: string): HttpLimits {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(`${headersName} (${limits.headersTimeoutMs} ms) must not be longer than the request timeout (${limits.requestTimeoutMs} ms)`);
  }
  return limits;
}

function ttl(value: string, name: string): number {
  const ms = parseDuration(value);
  if (ms === null) throw new ConfigError(`${name} must look like 90s, 30m, 24h or 7d (got ${JSON.stringify(value)})`);
  return ms;
}

/** Reads the configuration from flags, then the environment, then defaults. */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const pick = (flag: string | undefined, variable: string) =>
    flag !== undefined ? { value: flag, name: `--${variable.slice('AIMLEDGER_'.length).toLowerCase().replaceAll('_', '-')}` }
      : env[variable] !== undefined ? { value: env[variable] as string, name: variable } : undefined;

  const db = pick(flags.database, 'AIMLEDGER_DATABASE_URL');
  const readDb = pick(undefined, 'AIMLEDGER_DATABASE_READ_URL');
  const redis = pick(undefined, 'AIMLEDGER_REDIS_URL');
  const maxLag = pick(undefined, 'AIMLEDGER_REPLICA_MAX_LAG_MS');
  const redisPrefix = pick(undefined, 'AIMLEDGER_REDIS_KEY_PREFIX');
  if (redisPrefix && !/^[A-Za-z0-9_.:-]{1,64}$/.test(redisPrefix.value)) {
    throw new ConfigError(`${redisPrefix.name} must be 1–64 letters, digits or _ . : - (got ${JSON.stringify(redisPrefix.value.slice(0, 80))})`);
  }
  const host = pick(flags.host, 'AIMLEDGER_HOST');
  const p = pick(flags.port, 'AIMLEDGER_PORT');
  const lp = pick(flags.linkPort, 'AIMLEDGER_LINK_PORT');
  const linkBase = pick(undefined, 'AIMLEDGER_LINK_BASE_URL');
  const previewAgents = pick(undefined, 'AIMLEDGER_LINK_PREVIEW_AGENTS');
  const level = pick(flags.logLevel, 'AIMLEDGER_LOG_LEVEL');
  const proxy = pick(flags.trustProxy, 'AIMLEDGER_TRUST_PROXY');
  const retention = pick(flags.retentionMonths, 'AIMLEDGER_RETENTION_MONTHS');
  const bench = flags.benchRoutes !== undefined ? { value: String(flags.benchRoutes), name: '--bench-routes' } : pick(undefined, 'AIMLEDGER_BENCH_ROUTES');

  const channel = pick(flags.channel, 'AIMLEDGER_CHANNEL');
  const rate = pick(flags.rateLimitPerMinute, 'AIMLEDGER_RATE_LIMIT_PER_MINUTE');
  const lag = pick(flags.maxEventLoopDelayMs, 'AIMLEDGER_MAX_EVENT_LOOP_DELAY_MS');
  const drain = pick(flags.shutdownDrainMs, 'AIMLEDGER_SHUTDOWN_DRAIN_MS');
  const exportsPer = pick(flags.exportsPerAccount, 'AIMLEDGER_EXPORTS_PER_ACCOUNT');
  const workers = pick(flags.workers, 'AIMLEDGER_WORKERS');
  const anonymous = pick(flags.unauthenticatedPerMinute, 'AIMLEDGER_UNAUTHENTICATED_PER_MINUTE');
  const requestTimeout = pick(flags.requestTimeoutMs, 'AIMLEDGER_REQUEST_TIMEOUT_MS');
  const headersTimeout = pick(flags.headersTimeoutMs, 'AIMLEDGER_HEADERS_TIMEOUT_MS');
  const keepAlive = pick(flags.keepAliveTimeoutMs, 'AIMLEDGER_KEEP_ALIVE_TIMEOUT_MS');
  const maxConnections = pick(flags.maxConnections, 'AIMLEDGER_MAX_CONNECTIONS');
  const maxTtl = pick(undefined, 'AIMLEDGER_TOKEN_MAX_TTL');
  const allowPrivate = flags.callbackAllowPrivate !== undefined ? { value: String(flags.callbackAllowPrivate), name: '--callback-allow-private' } : pick(undefined, 'AIMLEDGER_CALLBACK_ALLOW_PRIVATE');
  const autoApprove = pick(undefined, 'AIMLEDGER_TEMPLATE_AUTO_APPROVE');
  const quota = pick(undefined, 'AIMLEDGER_MATERIAL_QUOTA_MB');
  const urlFetch = pick(undefined, 'AIMLEDGER_MATERIAL_URL_FETCH');
  const delay = pick(flags.simulatorDelayMs, 'AIMLEDGER_SIMULATOR_DELAY_MS');
  const failRatio = pick(flags.simulatorFailRatio, 'AIMLEDGER_SIMULATOR_FAIL_RATIO');
  const seed = pick(flags.simulatorSeed, 'AIMLEDGER_SIMULATOR_SEED');
  if (channel && channel.value !== 'simulator' && channel.value !== 'kannel') {
    throw new ConfigError(`${channel.name} must be simulator or kannel (got ${JSON.stringify(channel.value)})`);
  }
  const kannel = channel?.value === 'kannel' ? kannelConfig(env) : undefined;

  if (level && !(LOG_LEVELS as readonly string[]).includes(level.value)) {
    throw new ConfigError(`${level.name} must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(level.value)})`);
  }
  return {
    // The flag is --database although the variable is AIMLEDGER_DATABASE_URL.
    databaseUrl: db ? databaseUrl(db.value, db.name === '--database-url' ? '--database' : db.name) : DEFAULTS.databaseUrl,
    databaseReadUrl: readDb && readDb.value !== '' ? readReplicaUrl(readDb.value, readDb.name, db?.value ?? DEFAULTS.databaseUrl) : undefined,
    replicaMaxLagMs: maxLag ? wholeNumber(maxLag.value, maxLag.name, 0, 3_600_000) : 10_000,
    redisUrl: redis && redis.value !== '' ? redisUrl(redis.value, redis.name) : undefined,
    redisKeyPrefix: redisPrefix?.value ?? 'aimledger',
    host: host?.value || DEFAULTS.host,
    port: p ? port(p.value, p.name) : DEFAULTS.port,
    linkPort: lp ? port(lp.value, lp.name) : ((api) => (api === 0 || api === 65535 ? 0 : api + 1))(p ? port(p.value, p.name) : DEFAULTS.port),
    linkBaseUrl: linkBase ? linkBaseUrl(linkBase.value, linkBase.name) : undefined,
    linkPreviewAgents: previewAgents ? previewAgents.value.split(',').map((a) => a.trim()).filter(Boolean) : [],
    logLevel: (level?.value ?? DEFAULTS.logLevel) as Config['logLevel'],
    trustProxy: proxy ? trustProxy(proxy.value, proxy.name) : DEFAULTS.trustProxy,
    benchRoutes: bench ? bool(bench.value, bench.name) : DEFAULTS.benchRoutes,
    retentionMonths: retention ? months(retention.value, retention.name) : DEFAULTS.retentionMonths,
    masterKey: env.AIMLEDGER_MASTER_KEY === '' ? undefined : env.AIMLEDGER_MASTER_KEY,
    channel: kannel ? 'kannel' : DEFAULTS.channel,
    kannel,
    callbackAllowPrivate: allowPrivate ? bool(allowPrivate.value, allowPrivate.name) : false,
    templateAutoApprove: autoApprove ? bool(autoApprove.value, autoApprove.name) : undefined,
    materialQuotaBytes: (quota ? wholeNumber(quota.value, quota.name, 1, 10_000_000) : 10_240) * 1024 * 1024,
    materialUrlFetch: urlFetch ? bool(urlFetch.value, urlFetch.name) : false,
    rateLimitPerMinute: rate ? wholeNumber(rate.value, rate.name, 0, 10_000_000) : 6000,
    maxEventLoopDelayMs: lag ? wholeNumber(lag.value, lag.name, 0, 60_000) : 1000,
    shutdownDrainMs: drain ? wholeNumber(drain.value, drain.name, 0, 600_000) : 5000,
    exportsPerAccount: exportsPer ? wholeNumber(exportsPer.value, exportsPer.name, 1, 1000) : DEFAULTS.exportsPerAccount,
    // auto: one process per core.
    workers: !workers ? 1 : workers.value === 'auto' ? availableParallelism() : wholeNumber(workers.value, `${workers.name} (a number or auto)`, 1, 64),
    unauthenticatedPerMinute: anonymous ? wholeNumber(anonymous.value, anonymous.name, 0, 10_000_000) : DEFAULTS.unauthenticatedPerMinute,
    http: httpLimits({
      requestTimeoutMs: requestTimeout ? wholeNumber(requestTimeout.value, requestTimeout.name, 100, 3_600_000) : DEFAULTS.requestTimeoutMs,
      headersTimeoutMs: headersTimeout ? wholeNumber(headersTimeout.value, headersTimeout.name, 100, 3_600_000) : DEFAULTS.headersTimeoutMs,
      keepAliveTimeoutMs: keepAlive ? wholeNumber(keepAlive.value, keepAlive.name, 100, 3_600_000) : DEFAULTS.keepAliveTimeoutMs,
      maxConnections: maxConnections ? wholeNumber(maxConnections.value, maxConnections.name, 0, 1_000_000) : DEFAULTS.maxConnections,
    }, headersTimeout?.name ?? 'AIMLEDGER_HEADERS_TIMEOUT_MS'),
    tokenMaxTtlMs: maxTtl ? ttl(maxTtl.value, maxTtl.name) : DEFAULTS.tokenMaxTtlMs,
    simulator: {
      delayMs: delay ? wholeNumber(delay.value, delay.name, 0, 86_400_000) : DEFAULTS.simulatorDelayMs,
      failRatio: failRatio ? ratio(failRatio.value, failRatio.name) : DEFAULTS.simulatorFailRatio,
      seed: seed ? wholeNumber(seed.value, seed.name, 0, 2_147_483_647) : DEFAULTS.simulatorSeed,
    },
  };
}

/** Where and as whom the remote CLI commands (`details list|export`) call a server. */
export interface RemoteConfig {
  endpoint: string;
  credentials: { token: string } | { accessKey: string; secretKey: string; projectId?: string };
}

/**
 * `--endpoint` or AIMLEDGER_ENDPOINT; credentials from the environment only (never flags, which
 * show in `ps`): AIMLEDGER_TOKEN, or AIMLEDGER_ACCESS_KEY with AIMLEDGER_SECRET_KEY (and optionally
 * AIMLEDGER_PROJECT_ID).
 */
export function loadRemoteConfig(flags: { endpoint?: string }, env: NodeJS.ProcessEnv = process.env): RemoteConfig {
  const endpoint = flags.endpoint ?? env.AIMLEDGER_ENDPOINT;
  const name = flags.endpoint !== undefined ? '--endpoint' : 'AIMLEDGER_ENDPOINT';
  if (!endpoint) throw new ConfigError('give the server with --endpoint or AIMLEDGER_ENDPOINT, e.g. http://127.0.0.1:8080');
  if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ConfigError(`${name} must be an http:// or https:// URL (got ${JSON.stringify(endpoint)})`);
  if (env.AIMLEDGER_TOKEN) return { endpoint, credentials: { token: env.AIMLEDGER_TOKEN } };
  if (env.AIMLEDGER_ACCESS_KEY && env.AIMLEDGER_SECRET_KEY) {
    return {
      endpoint,
      credentials: {
        accessKey: env.AIMLEDGER_ACCESS_KEY, secretKey: env.AIMLEDGER_SECRET_KEY,
        ...(env.AIMLEDGER_PROJECT_ID ? { projectId: env.AIMLEDGER_PROJECT_ID } : {}),
      },
    };
  }
  throw new ConfigError('set AIMLEDGER_TOKEN, or AIMLEDGER_ACCESS_KEY and AIMLEDGER_SECRET_KEY');
}

/** True when the command line or the environment asks for debug logs: then CLI failures show stacks. */
export function debugRequested(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const i = argv.indexOf('--log-level');
  const level = argv.find((a) => a.startsWith('--log-level='))?.slice('--log-level='.length)
    ?? (i >= 0 ? argv[i + 1] : undefined) ?? env.AIMLEDGER_LOG_LEVEL;
  return level === 'debug' || level === 'trace';
}
