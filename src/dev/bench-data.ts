import type { SendDetail, SendStatus } from '../domain/send-detail.js';
import { formatContractTime, toWholeSeconds } from '../domain/time.js';
import type { Store } from '../store/store.js';
import { FAILURE_CODES, pick, randomInt, seededRandom, syntheticPhone, syntheticUuid } from './synthetic.js';
import { insertSendDetails } from '../service/ledger.js';

const YEAR_MS = 365 * 86_400_000;

export interface BenchDataOptions {
  rows: number;
  /** Newest send_time; rows spread over the year before it. */
  now: number;
  seed?: number;
  batchSize?: number;
  onProgress?: (written: number) => void;
}

/**
 * Synthetic details for one account over one year: about one task per hundred rows with skewed
 * sizes, 50 templates and 20 signatures used with skew, phones repeating (one per five rows), ~5%
 * fail and ~1% sending. Deterministic per seed. Oldest first.
 */
export function* benchRows(options: { rows: number; now: number; seed?: number }): Generator<SendDetail> {
  const random = seededRandom(options.seed ?? 1);
  const phones = Array.from({ length: Math.max(1, Math.ceil(options.rows / 5)) }, () => syntheticPhone(random));
  // Squaring a uniform draw skews picks toward the first entries: a few templates carry most traffic.
  const skewed = <T>(items: readonly T[]) => items[Math.floor(random() ** 2 * items.length)] as T;
  const meanTaskSize = 100;
  const start = options.now - YEAR_MS;
  const step = YEAR_MS / options.rows;
  let written = 0;
  let task = 0;
  while (written < options.rows) {
    task += 1;
    // Exponential sizes around the mean: many small tasks, a few large campaigns.
    const size = Math.min(options.rows - written, Math.max(1, Math.round(-Math.log(1 - random()) * meanTaskSize)));
    const taskId = syntheticUuid(random);
    const taskName = `Benchmark task ${task}`;
    const template = skewed(BENCH_TEMPLATES);
    const sign = skewed(BENCH_SIGNATURES);
    const msgBase = syntheticUuid(random);
    for (let i = 0; i < size; i++) {
      const sendTime = toWholeSeconds(start + (written + 1) * step);
      const roll = random();
      const status: SendStatus = roll < 0.05 ? 'fail' : roll < 0.06 ? 'sending' : 'success';
      const phone = pick(random, phones);
      written += 1;
      yield {
        msgId: `${msgBase}_${i}`, taskId, taskName, tplId: template.tplId, tplName: template.tplName, smsSign: sign,
        custFlag: phone, sendAccount: phone, sendStatus: status, sendTime,
        receiveTime: status === 'sending' ? null : sendTime + randomInt(random, 1, 60) * 1000,
        resultCode: status === 'fail' ? pick(random, FAILURE_CODES) : null,
      };
    }
  }
}

/** A detail as an import reads it (one NDJSON record): the list's fields plus sms_sign. */
export function importRecord(r: SendDetail): Record<string, string | null> {
  return {
    msg_id: r.msgId, task_id: r.taskId, task_name: r.taskName, tpl_id: r.tplId, tpl_name: r.tplName, cust_flag: r.custFlag,
    send_account: r.sendAccount, send_status: r.sendStatus, send_time: formatContractTime(r.sendTime),
    receive_time: r.receiveTime === null ? null : formatContractTime(r.receiveTime), result_code: r.resultCode, sms_sign: r.smsSign,
  };
}

export const BENCH_TEMPLATES = Array.from({ length: 50 }, (_, i) => ({ tplId: String(600_000_100 + i), tplName: `Benchmark template ${i + 1}` }));
export const BENCH_SIGNATURES = Array.from({ length: 20 }, (_, i) => `BenchSign${i + 1}`);

/** Writes `benchRows` through the store's bulk path in batches; returns how many rows were new. */
export async function writeBenchData(store: Store, accountId: number, options: BenchDataOptions): Promise<number> {
  const batchSize = options.batchSize ?? 10_000;
  let inserted = 0;
  let written = 0;
  let batch: SendDetail[] = [];
  for (const row of benchRows(options)) {
    batch.push(row);
    written += 1;
    if (batch.length >= batchSize) {
      inserted += await insertSendDetails(store, accountId, batch, options.now);
      batch = [];
      options.onProgress?.(written);
    }
  }
  inserted += await insertSendDetails(store, accountId, batch, options.now);
  options.onProgress?.(written);
  await store.templates.upsert(accountId, BENCH_TEMPLATES, options.now);
  await store.signatures.upsert(accountId, BENCH_SIGNATURES.map((smsSign) => ({ smsSign, channelNumber: null, appName: 'bench' })), options.now);
  await store.optimize();
  return inserted;
}
