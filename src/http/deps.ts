import type { FastifyServerOptions } from 'fastify';
import type { HttpLimits, TrustProxy } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { Limiters } from '../domain/limits.js';
import type { Authenticator } from '../identity/authenticator.js';
import type { Metrics } from '../metrics.js';
import type { Callbacks } from '../service/callbacks.js';
import type { DeliveryReports } from '../service/delivery-reports.js';
import type { IamService } from '../service/iam.js';
import type { SendTasks } from '../service/send-tasks.js';
import type { Materials } from '../service/materials.js';
import type { ResolveTasks } from '../service/resolve-tasks.js';
import type { Templates } from '../service/templates.js';
import type { Store } from '../store/store.js';

/** What the HTTP app is built from; routes receive the same (with the guarded authenticator). */
export interface AppDeps {
  store: Store;
  clock: Clock;
  /** Tokens and AK/SK signatures (see identity/authenticator.ts). */
  authenticator: Authenticator;
  /** Issues and validates IAM tokens for `/v3/auth/tokens`. */
  iam: IamService;
  sendTasks: SendTasks;
  deliveryReports: DeliveryReports;
  callbacks: Callbacks;
  templates: Templates;
  materials: Materials;
  resolveTasks: ResolveTasks;
  /** Prometheus metrics served at /metrics; absent, none are kept. */
  metrics?: Metrics;
  /** Where request limits count (shared by processes and instances); absent, this process's memory. */
  limiters?: Limiters;
  /** Requests per minute per account on /v1/aim/* (default 6000); 0 turns the limit off. */
  rateLimitPerMinute?: number;
  /** Shed load (503) once the event loop lags this much (default 1000 ms); 0 turns it off. */
  maxEventLoopDelayMs?: number;
  /** With the Kannel channel: the secret its delivery-report callbacks must carry. */
  kannelDlrSecret?: string;
  /** pino options or false; tests pass false or a stream of their own. */
  logger?: FastifyServerOptions['logger'];
  /** Which proxies' X-Forwarded-* to believe (request.ip, protocol): none, a hop count, or their addresses. */
  trustProxy?: TrustProxy;
  /** Exports one account may run at once (default 2). */
  exportsPerAccount?: number;
  /** Requests a minute per address without credentials or failing authentication (default 600); 0: no limit. */
  unauthenticatedPerMinute?: number;
  /** Request, header and keep-alive time limits and the connection cap (defaults in config.ts). */
  http?: HttpLimits;
  /** Registers the benchmark reference routes (never in production). */
  benchRoutes?: boolean;
  /** Set `draining` on shutdown: answers say `Connection: close` and /readyz turns 503. */
  lifecycle?: Lifecycle;
}

/** Where the server is in its life; shared by the app and whoever shuts it down. */
export interface Lifecycle {
  draining: boolean;
}
