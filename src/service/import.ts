import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv, type CsvError } from 'csv-parse';
import type { Clock } from '../domain/clock.js';
import { isSendStatus, LIMITS, type SendDetail } from '../domain/send-detail.js';
import { parseContractTime, toWholeSeconds } from '../domain/time.js';
import type { Store } from '../store/store.js';
import { insertSendDetails } from './ledger.js';

export type ImportFormat = 'ndjson' | 'csv';

export interface ImportRejection {
  line: number;
  reason: string;
}

export interface ImportSummary {
  /** Records read (good and bad). */
  read: number;
  /** Records stored now. */
  inserted: number;
  /** Good records whose msg_id the account already had (re-imports). */
  skipped: number;
  rejected: number;
}

export interface ImportOptions {
  format: ImportFormat;
  /** Called for each bad record, in order; the import goes on. */
  onReject?: (rejection: ImportRejection) => void;
  /** Called after each stored (or, checking only, checked) batch with the running summary. */
  onProgress?: (summary: ImportSummary) => void;
  /** Read and check every record, store none (the first pass of an all-or-nothing import). */
  checkOnly?: boolean;
  batchSize?: number;
}

class RecordError extends Error {}

const OPTIONAL_TEXT: ReadonlyArray<readonly [keyof SendDetail, string, number]> = [
  ['taskId', 'task_id', LIMITS.taskId],
  ['taskName', 'task_name', LIMITS.taskName],
  ['tplId', 'tpl_id', LIMITS.tplId],
  ['tplName', 'tpl_name', LIMITS.tplName],
  ['smsSign', 'sms_sign', LIMITS.smsSign],
  ['custFlag', 'cust_flag', LIMITS.custFlag],
  ['sendAccount', 'send_account', LIMITS.sendAccount],
  ['resultCode', 'result_code', LIMITS.resultCode],
];

/** A field as text: strings as given, integers (phone numbers, template ids) in decimal; "" is absent. */
function text(record: Record<string, unknown>, name: string, max: number): string | null {
  const value = record[name];
  if (value === undefined || value === null || value === '') return null;
  let out: string;
  if (typeof value === 'string') out = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) out = String(value);
  else throw new RecordError(`${name} must be a string`);
  if (out.length > max) throw new RecordError(`${name} must be at most ${max} characters`);
  if (out.includes('\0')) throw new RecordError(`${name} must not contain the NUL character`);
  return out;
}

function time(record: Record<string, unknown>, name: string): number | null {
  const value = text(record, name, 30);
  if (value === null) return null;
  const ms = parseContractTime(value);
  if (ms === null) throw new RecordError(`${name} must be a UTC time like 2019-10-12T07:20:50Z`);
  return toWholeSeconds(ms);
}

/** Validates one record into a SendDetail, or throws RecordError with the reason. */
export function toSendDetail(record: Record<string, unknown>): SendDetail {
  const msgId = text(record, 'msg_id', LIMITS.msgId);
  if (msgId === null) throw new RecordError('msg_id is required');
  const status = record.send_status;
  if (!isSendStatus(status)) throw new RecordError('send_status must be one of sending, success, fail');
  const sendTime = time(record, 'send_time');
  if (sendTime === null) throw new RecordError('send_time is required');
  const receiveTime = time(record, 'receive_time');
  if (status === 'sending' && receiveTime !== null) {
    throw new RecordError('receive_time must be empty while send_status is sending');
  }
  const detail: SendDetail = {
    msgId, sendStatus: status, sendTime, receiveTime,
    taskId: null, taskName: null, tplId: null, tplName: null, smsSign: null, custFlag: null,
    sendAccount: null, resultCode: null,
  };
  for (const [key, name, max] of OPTIONAL_TEXT) {
    (detail as unknown as Record<string, string | null>)[key] = text(record, name, max);
  }
  return detail;
}

interface NumberedRecord {
  line: number;
  record?: Record<string, unknown>;
  error?: string;
}

async function* ndjsonRecords(input: Readable): AsyncGenerator<NumberedRecord> {
  let line = 0;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    const trimmed = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      yield { line, error: 'not valid JSON' };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line, error: 'must be a JSON object' };
      continue;
    }
    yield { line, record: value as Record<string, unknown> };
  }
}

async function* csvRecords(input: Readable): AsyncGenerator<NumberedRecord> {
  const skipped: NumberedRecord[] = [];
  const parser = input.pipe(parseCsv({
    bom: true,
    columns: (header: string[]) => {
      const names = header.map((h) => h.trim());
      const missing = ['msg_id', 'send_status', 'send_time'].filter((f) => !names.includes(f));
      if (missing.length > 0) throw new Error(`CSV header lacks required column(s): ${missing.join(', ')}`);
      return names;
    },
    info: true,
    // The export writes a cell that starts like a formula with a leading ' (so spreadsheets show
    // it as text); reading such a file back takes the apostrophe off again.
    cast: (value: string) => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value),
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      const line = Number((err as { lines?: number } | undefined)?.lines ?? 0);
      skipped.push({ line, error: err?.message ?? 'malformed CSV record' });
      return undefined;
    },
  }));
  for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: Record<string, unknown> }>) {
    // The parser reads ahead of this loop, so it may have skipped malformed records that come
    // after this one: only those before it go first, to keep everything in line order.
    while (skipped.length > 0 && (skipped[0] as NumberedRecord).line < item.info.lines) yield skipped.shift() as NumberedRecord;
    yield { line: item.info.lines, record: item.record };
  }
  while (skipped.length > 0) yield skipped.shift() as NumberedRecord;
}

/**
 * Imports send details from NDJSON or CSV into one account. Good records are stored in batches
 * (one transaction each); bad ones are reported with their line number and do not stop the rest.
 * Idempotent: a msg_id the account already has is skipped, so a re-import changes nothing.
 */
export async function importSendDetails(
  store: Store,
  accountId: number,
  input: Readable,
  clock: Clock,
  options: ImportOptions,
): Promise<ImportSummary> {
  const summary: ImportSummary = { read: 0, inserted: 0, skipped: 0, rejected: 0 };
  const batchSize = options.batchSize ?? 5000;
  let batch: SendDetail[] = [];
  // One batch is stored while the next is read and checked (the database and this process work at
  // once); batches are still stored one at a time, in order, and counted once stored.
  let storing: Promise<void> | undefined;
  const storeBatch = async (rows: SendDetail[]) => {
    const inserted = options.checkOnly ? 0 : await insertSendDetails(store, accountId, rows, clock().getTime());
    summary.inserted += inserted;
    if (!options.checkOnly) summary.skipped += rows.length - inserted;
    options.onProgress?.({ ...summary });
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    if (storing) await storing;
    storing = storeBatch(rows);
    // Awaited at the next flush or at the end; until then its failure must not go unhandled.
    storing.catch(() => {});
  };
  await store.bulkLoad(async () => {
    const records = options.format === 'csv' ? csvRecords(input) : ndjsonRecords(input);
    for await (const { line, record, error } of records) {
      summary.read += 1;
      let reason = error;
      if (record) {
        try {
          batch.push(toSendDetail(record));
        } catch (e) {
          if (!(e instanceof RecordError)) throw e;
          reason = e.message;
        }
      }
      if (reason !== undefined) {
        summary.rejected += 1;
        options.onReject?.({ line, reason });
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    if (storing) await storing;
  });
  if (summary.inserted > 0) await store.optimize({ ifStale: true });
  return summary;
}
