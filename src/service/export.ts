import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { SendDetail, SendDetailsFilter } from '../domain/send-detail.js';
import { formatContractTime } from '../domain/time.js';
import type { Store } from '../store/store.js';

export type ExportFormat = 'csv' | 'ndjson';

/** The eleven fields of a send-details row, in the contract's order: the export's columns. */
export const EXPORT_COLUMNS = [
  'msg_id', 'task_id', 'task_name', 'tpl_id', 'tpl_name', 'cust_flag', 'send_account', 'send_status',
  'send_time', 'receive_time', 'result_code',
] as const;

/** How long an export works before it lets other requests run (the row formatting and CSV included). */
const SLICE_MS = 1;

/** A detail as the API shows it (times formatted, nulls kept). */
export function detailRecord(d: SendDetail): Record<(typeof EXPORT_COLUMNS)[number], string | null> {
  return {
    msg_id: d.msgId, task_id: d.taskId, task_name: d.taskName, tpl_id: d.tplId, tpl_name: d.tplName,
    cust_flag: d.custFlag, send_account: d.sendAccount, send_status: d.sendStatus,
    send_time: formatContractTime(d.sendTime),
    receive_time: d.receiveTime === null ? null : formatContractTime(d.receiveTime),
    result_code: d.resultCode,
  };
}

/**
 * Exports take turns: however many run in this process, at most one of them works (for one slice)
 * per turn of the event loop. Other requests then wait for at most one slice, not one per export,
 * and an export alone still runs flat out (a turn of an otherwise idle loop is immediate).
 */
const waiting: Array<() => void> = [];
let releasing = false;

function takeTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!releasing) {
      releasing = true;
      setImmediate(releaseOne);
    }
  });
}

function releaseOne(): void {
  const next = waiting.shift();
  // The next release goes to the next turn of the loop, after whatever else is waiting.
  if (waiting.length > 0) setImmediate(releaseOne);
  else releasing = false;
  next?.();
}

async function* records(store: Store, accountId: number, filter: SendDetailsFilter): AsyncGenerator<ReturnType<typeof detailRecord>> {
  // A client that reads fast would otherwise keep the export in one unbroken run of promise
  // callbacks (an embedded store answers synchronously), and every other request would wait for
  // whole batches of every running export. So the export works in slices of about SLICE_MS (the
  // row formatting and the CSV writing downstream included) and waits for its turn between them.
  let sliceStart = performance.now();
  // The store picks the batch size that suits its backend; the read replica serves it when there is one.
  for await (const batch of store.reader().details.export(accountId, filter)) {
    for (let i = 0; i < batch.length; i++) {
      yield detailRecord(batch[i] as SendDetail);
      if (i % 25 === 24 && performance.now() - sliceStart > SLICE_MS) {
        await takeTurn();
        sliceStart = performance.now();
      }
    }
    await takeTurn();
    sliceStart = performance.now();
  }
}

/**
 * Every matching row as a stream, read from the store a batch at a time as the client reads:
 * memory stays flat whatever the size. CSV is UTF-8 with a BOM (spreadsheets then read Chinese
 * text right), a header row and RFC 4180 quoting, empty for null; NDJSON is one JSON object a line.
 */
export function exportStream(store: Store, accountId: number, filter: SendDetailsFilter, format: ExportFormat): Readable {
  if (format === 'ndjson') {
    return Readable.from((async function* () {
      for await (const row of records(store, accountId, filter)) yield `${JSON.stringify(row)}\n`;
    })());
  }
  const source = Readable.from(records(store, accountId, filter));
  // escape_formulas: a cell starting with = + - @ tab or CR is prefixed with ' so a spreadsheet
  // shows it as text instead of running it (a task name or a carrier code could be a formula).
  const csv = stringify({ bom: true, header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows', escape_formulas: true });
  source.on('error', (error) => csv.destroy(error));
  return source.pipe(csv);
}
