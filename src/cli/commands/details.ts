import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AimLedgerClient, type SendDetailsFilter } from '../../../packages/client/src/index.js';
import { EXPORT_COLUMNS } from '../../service/export.js';
import { Command, Option } from 'commander';
import { RESULT_WINDOW, SEND_STATUSES } from '../../domain/send-detail.js';
import cliProgress from 'cli-progress';
import { loadRemoteConfig } from '../../config.js';
import { UsageError } from '../shared.js';

/** `details list|export`: a running server's send details, through the client. */
export function registerDetails(program: Command): void {
  const details = program.command('details').description('query a running server\'s send details (token or AK/SK from the environment)');
  const filterOptions = (cmd: Command) => cmd
    .option('--endpoint <url>', 'the server; default AIMLEDGER_ENDPOINT')
    .option('--task-id <id>').option('--tpl-id <id>').option('--sms-sign <sign>').option('--cust-flag <phone>')
    .option('--begin-time <utc>', 'e.g. 2026-06-01T00:00:00Z (with --end-time)').option('--end-time <utc>')
    .addOption(new Option('--send-status <status>').choices(SEND_STATUSES))
    .option('--msg-id <id>');
  // The API ignores a time range with one end only (the contract's rule), so that query is every
  // row of the account: say so, rather than let a big export look like a small one.
  const filterOf = (o: Record<string, string | undefined>) => {
    if ((o.beginTime === undefined) !== (o.endTime === undefined)) {
      process.stderr.write(`aimledger: warning: --${o.beginTime === undefined ? 'end' : 'begin'}-time without --${o.beginTime === undefined ? 'begin' : 'end'}-time is ignored (a range needs both): every time is included\n`);
    }
    return filterFields(o);
  };
  const filterFields = (o: Record<string, string | undefined>) => Object.fromEntries(Object.entries({
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
    .description(`every matching send detail (no ${RESULT_WINDOW} window), streamed to a file or standard output`)
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
}
