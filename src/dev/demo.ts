import type { Clock } from '../domain/clock.js';
import type { Account } from '../domain/identity.js';
import type { SendDetail, SendStatus } from '../domain/send-detail.js';
import { toWholeSeconds } from '../domain/time.js';
import type { Store } from '../store/store.js';
import type { TaskRecord } from '../domain/send-task.js';
import { IdentityAdmin } from '../service/identity-admin.js';
import {
  DEMO_SIGNATURES, DEMO_TEMPLATES, FAILURE_CODES, TASK_NAME_STEMS, pick, randomInt, seededRandom,
  syntheticPhone, syntheticUuid,
} from './synthetic.js';
import { insertSendDetails } from '../service/ledger.js';
import { Templates } from '../service/templates.js';
import type { NewTemplateInput } from '../domain/aim-template.js';

export const DEMO_ACCOUNT = 'demo';
export const DEMO_USER = 'admin';
/** Demo only: a fixed, documented password so a newcomer can sign in. Never used outside `--demo`. */
export const DEMO_PASSWORD = 'aimledger-demo';
/** The SMS application every demo signature belongs to. */
export const DEMO_APP_NAME = 'demo-app';

export interface DemoOptions {
  tasks?: number;
  days?: number;
  seed?: number;
}

/** The task id of the KooMessage documentation's example, given to the demo's newest task. */
export const DEMO_TASK_ID = '7cc198c3-91d3-425b-9226-54c27cd7cccc';

export interface DemoSetup {
  account: Account;
  created: boolean;
  token: string;
  expiresAt: number;
  /** A task id from the demo data, for the printed example request. */
  sampleTaskId: string | null;
}

const DAY_MS = 86_400_000;

/**
 * Creates the demo account, its te_admin user and realistic data on first run; on every run issues
 * a fresh token (only token hashes are stored, so an earlier token cannot be printed again).
 */
export async function ensureDemo(store: Store, clock: Clock, options: DemoOptions = {}): Promise<DemoSetup> {
  const admin = new IdentityAdmin(store, clock);
  let account = await store.accounts.findByName(DEMO_ACCOUNT);
  const created = !account;
  if (!account) {
    account = await admin.createAccount(DEMO_ACCOUNT);
    await admin.createUser(DEMO_ACCOUNT, DEMO_USER, 'te_admin', DEMO_PASSWORD);
    await seedDemoData(store, account.id, clock().getTime(), options);
    await new Templates(store, clock, { autoApprove: true }).create(account.id, demoCard(DEMO_SIGNATURES[0]?.[0] ?? ''));
  }
  const { token, expiresAt } = await admin.createToken(DEMO_ACCOUNT, DEMO_USER);
  const sample = await store.details.page(account.id, {}, 0, 1);
  return { account, created, token, expiresAt, sampleTaskId: sample.rows[0]?.taskId ?? null };
}

/** A card template for the demo: a bill reminder with an image, a greeting and a button. */
function demoCard(smsSign: string): NewTemplateInput {
  return {
    tpl_name: '账单提醒', use_id: 1, card_id: 'StandardImageAndText', scene: '通知', sms_example: '您的本月账单已出',
    pages: [{
      page_order: 1,
      contents: [
        { type: 'text', position_number: 1, content: '本月账单已出', is_text_title: 'true' },
        { type: 'text', position_number: 2, content: '尊敬的${name}，您本月的账单金额为${amount}元，请于月底前还款。拒收请回复R' },
        { type: 'button', position_number: 3, content: '查看账单', action_type: 'OPEN_URL', action: { target: 'https://example.com/bill/${name}' } },
      ],
    }],
    params: [{ name: '${name}', type: 1, example: '张三' }, { name: '${amount}', type: 1, example: '1,280.00' }],
    factorys: [{ factory_type: 'HUAWEI', state: 1 }, { factory_type: 'XIAOMI', state: 1 }],
    sms_signs: smsSign ? [smsSign] : [],
  };
}

/** Fills an account with tasks of varied size over the last `days` days; returns the detail count. */
export async function seedDemoData(store: Store, accountId: number, now: number, options: DemoOptions = {}): Promise<number> {
  const random = seededRandom(options.seed ?? 20221119);
  const taskCount = options.tasks ?? 300;
  const days = options.days ?? 30;
  await store.templates.upsert(accountId, DEMO_TEMPLATES.map(([tplId, tplName]) => ({ tplId, tplName })), now);
  await store.signatures.upsert(accountId, DEMO_SIGNATURES.map(([smsSign, channelNumber]) => ({ smsSign, channelNumber, appName: DEMO_APP_NAME })), now);
  // A pool of customers who receive several messages over the month, as real audiences do.
  const phones = Array.from({ length: 8000 }, () => syntheticPhone(random));
  const tasks: TaskRecord[] = [];
  let total = 0;
  for (let t = 0; t < taskCount; t++) {
    const drawnAt = toWholeSeconds(now - Math.floor(random() * days * DAY_MS));
    const [tplId, tplName] = pick(random, DEMO_TEMPLATES);
    const [smsSign] = pick(random, DEMO_SIGNATURES);
    const drawnId = syntheticUuid(random);
    // The newest task has the contract's example id, so the README's examples work as written.
    const taskId = t === 0 ? DEMO_TASK_ID : drawnId;
    const createdAt = t === 0 ? toWholeSeconds(now - 60_000) : drawnAt;
    const taskName = `${pick(random, TASK_NAME_STEMS)} #${t + 1}`;
    tasks.push({ taskId, taskName, tplId, smsSign, createdAt });
    // Mostly small tasks, a few large campaigns.
    const size = random() < 0.1 ? randomInt(random, 400, 1500) : randomInt(random, 5, 150);
    const msgBase = syntheticUuid(random);
    const details: SendDetail[] = [];
    for (let i = 0; i < size; i++) {
      const phone = pick(random, phones);
      // A task's messages leave over a few minutes after the task is created.
      const sendTime = Math.min(toWholeSeconds(createdAt + Math.floor(random() * 300_000)), toWholeSeconds(now));
      const age = now - sendTime;
      const roll = random();
      let status: SendStatus = roll < 0.05 ? 'fail' : 'success';
      if (age < 3_600_000 && roll > 0.7) status = 'sending';
      const receiveTime = status === 'sending' ? null : sendTime + randomInt(random, 1, 90) * 1000;
      details.push({
        msgId: `${msgBase}_${String(595_223_901 + i)}`,
        taskId, taskName, tplId, tplName, smsSign,
        custFlag: phone, sendAccount: phone,
        sendStatus: status, sendTime, receiveTime,
        resultCode: status === 'fail' ? pick(random, FAILURE_CODES) : null,
      });
    }
    total += await insertSendDetails(store, accountId, details, now);
  }
  await store.tasks.upsertImported(accountId, tasks);
  return total;
}
