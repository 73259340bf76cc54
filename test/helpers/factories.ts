import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { after } from 'node:test';
import type { Clock } from '../../src/domain/clock.js';
import type { Account, Role } from '../../src/domain/identity.js';
import type { SendDetail, SendDetailsFilter, SendStatus } from '../../src/domain/send-detail.js';
import { buildApp } from '../../src/http/app.js';
import { buildLinkApp } from '../../src/http/link-host.js';
import type { AppDeps } from '../../src/http/deps.js';
import { AuthThrottle } from '../../src/identity/auth-throttle.js';
import { Keyring } from '../../src/identity/keyring.js';
import { servicesFor } from '../../src/server.js';
import type { ChannelAdapter } from '../../src/pipeline/channel.js';
import type { OutboxWorker } from '../../src/pipeline/outbox-worker.js';
import type { KannelOptions } from '../../src/pipeline/kannel.js';
import type { ReceiptOptions } from '../../src/pipeline/receipts.js';
import type { SimulatorOptions } from '../../src/pipeline/simulator.js';
import { IdentityAdmin } from '../../src/service/identity-admin.js';
import type { Store } from '../../src/store/store.js';

/** The links' domain in tests: the link host answers requests with this Host. */
export const LINK_DOMAIN = 'links.test';

/** A fixed "now" for the whole suite; data and the one-year rule are relative to it. */
export const NOW = Date.parse('2026-06-15T12:00:00Z');
export const fixedClock: Clock = () => new Date(NOW);

/** One master key for the whole suite's access keys. */
export const testKeyring = new Keyring(randomBytes(32));

/** The simulator as tests use it: reports due at once, nothing fails unless a test says so. */
export const TEST_SIMULATOR: SimulatorOptions = { delayMs: 0, failRatio: 0, seed: 7 };

/** Apps the helpers built and nobody closed yet; each test file closes them when it ends. */
const openApps = new Set<FastifyInstance>();
after(async () => {
  for (const app of [...openApps]) await app.close();
});

export async function testApp(store: Store, clock: Clock = fixedClock, throttle?: AuthThrottle): Promise<FastifyInstance> {
  return (await testStack(store, { clock, ...(throttle ? { throttle } : {}) })).app;
}

/** The app and its outbox worker (not started: tests drive it with runOnce/drain). */
export async function testStack(store: Store, options: {
  clock?: Clock; throttle?: AuthThrottle; simulator?: SimulatorOptions; adapter?: ChannelAdapter;
  allowPrivate?: boolean; receipts?: Partial<ReceiptOptions>; kannel?: KannelOptions;
  /** Approve new templates at creation. */
  templateAutoApprove?: boolean;
  /** Material quota and URL fetches. */
  materials?: { quotaBytes?: number; allowUrlFetch?: boolean; fetchTimeoutMs?: number };
  /** More preview agents for the link host. */
  previewAgents?: string[];
  /** App settings beyond the services (rate limits, logger, …). */
  app?: Partial<AppDeps>;
} = {}): Promise<{ app: FastifyInstance; worker: OutboxWorker; linkApp: FastifyInstance }> {
  const clock = options.clock ?? fixedClock;
  const services = servicesFor(store, clock, testKeyring, {
    simulator: options.simulator ?? TEST_SIMULATOR, throttle: options.throttle ?? new AuthThrottle(),
    ...(options.adapter ? { adapter: options.adapter } : {}),
    ...(options.allowPrivate !== undefined ? { allowPrivate: options.allowPrivate } : {}),
    ...(options.receipts ? { receipts: options.receipts } : {}),
    ...(options.kannel ? { kannel: options.kannel } : {}),
    ...(options.templateAutoApprove !== undefined ? { templateAutoApprove: options.templateAutoApprove } : {}),
    ...(options.materials ? { materials: options.materials } : {}),
    links: { domain: () => LINK_DOMAIN, previewAgents: options.previewAgents ?? [] },
  });
  const app = await buildApp({ ...services.deps, ...options.app });
  openApps.add(app);
  app.addHook('onClose', async () => {
    openApps.delete(app);
  });
  const { worker } = services.startPipeline(app.log);
  const linkApp = await buildLinkApp({ links: services.links, materials: services.deps.materials, store });
  openApps.add(linkApp);
  linkApp.addHook('onClose', async () => {
    openApps.delete(linkApp);
  });
  return { app, worker, linkApp };
}

export interface TestTenant {
  account: Account;
  token: string;
}

/** An account with one user of `role` and a token valid for a day after NOW. */
export async function createTenant(store: Store, role: Role = 'readonly', clock: Clock = fixedClock): Promise<TestTenant> {
  const admin = new IdentityAdmin(store, clock);
  const name = `acct-${randomBytes(4).toString('hex')}`;
  const account = await admin.createAccount(name);
  await admin.createUser(name, 'alice', role, null);
  const { token } = await admin.createToken(name, 'alice');
  return { account, token };
}

let counter = 0;

/** A detail with every field set; override what the test cares about. */
export function detail(overrides: Partial<SendDetail> = {}): SendDetail {
  counter += 1;
  const status: SendStatus = overrides.sendStatus ?? 'success';
  const sendTime = overrides.sendTime ?? NOW - counter * 1000;
  return {
    msgId: `${randomBytes(4).toString('hex')}-0000-4000-8000-000000000000_${counter}`,
    taskId: '7cc198c3-91d3-425b-9226-54c27cd7cccc',
    taskName: '智能信息发送-动态参数',
    tplId: '600000001',
    tplName: '【测试市场案例】参数通知模板',
    smsSign: '华为云',
    custFlag: '13100000000',
    sendAccount: '13100000000',
    sendStatus: status,
    sendTime,
    receiveTime: status === 'sending' ? null : sendTime + 11_000,
    resultCode: status === 'fail' ? 'UNDELIV' : null,
    ...overrides,
  };
}

/** GET send-details with a token and a query object (values used as given, not encoded twice). */
export async function getDetails(app: FastifyInstance, token: string | undefined, query: string) {
  const response = await app.inject({
    method: 'GET',
    url: `/v1/aim/send-details?${query}`,
    headers: token === undefined ? {} : { 'x-auth-token': token },
  });
  if (response.statusCode >= 500) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
  return { status: response.statusCode, headers: response.headers, body: response.json() as Record<string, unknown> & {
    send_details: Array<Record<string, unknown>>;
    page_info: { offset: number; limit: number; total: number };
    error_code: string;
    error_msg: string;
    error_message: string;
    request_id?: string;
  } };
}

/** The list's order: newest first, then msg_id by code point. */
export function newestFirst(a: SendDetail, b: SendDetail): number {
  return b.sendTime - a.sendTime || (a.msgId < b.msgId ? -1 : a.msgId > b.msgId ? 1 : 0);
}

/** The one oracle: what the contract says a query returns from these rows, in the list's order. */
export function expectedRows(rows: SendDetail[], f: SendDetailsFilter): SendDetail[] {
  return rows.filter((r) => matchesFilter(r, f)).sort(newestFirst);
}

/** The contract's filter semantics, computed in memory: the oracle store results are checked against. */
export function matchesFilter(row: SendDetail, f: SendDetailsFilter): boolean {
  return (f.taskId === undefined || row.taskId === f.taskId)
    && (f.tplId === undefined || row.tplId === f.tplId)
    && (f.smsSign === undefined || row.smsSign === f.smsSign)
    && (f.custFlag === undefined || row.custFlag === f.custFlag)
    && (f.sendTimeFrom === undefined || row.sendTime >= f.sendTimeFrom)
    && (f.sendTimeTo === undefined || row.sendTime <= f.sendTimeTo)
    && (f.sendStatus === undefined || row.sendStatus === f.sendStatus)
    && (f.msgId === undefined || row.msgId === f.msgId);
}
