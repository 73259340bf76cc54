import type { Command } from 'commander';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Transform } from 'node:stream';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import type { ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { importSendDetails, type ImportFormat } from '../../service/import.js';
import { UsageError, databaseOption, withStore } from '../shared.js';

function formatOf(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (ext === '.csv') return 'csv';
  throw new UsageError(`cannot tell the format of ${file}: use a .ndjson or .csv file, or --format`);
}

/** `import`: send details from a file. */
export function registerImport(program: Command): void {
  program.command('import <file>')
    .description('import send details from .ndjson or .csv (idempotent on msg_id); exit 1 if any line was rejected')
    .requiredOption('--account <name>', 'account name')
    .addOption(new Option('--format <format>', 'file format; default from the file extension').choices(['ndjson', 'csv']))
    .option('--all-or-nothing', 'check the whole file first and store nothing if any record is rejected')
    .addOption(databaseOption())
    .action(async (file: string, opts: ConfigFlags & { account: string; format?: ImportFormat; allOrNothing?: boolean }) => {
      const format = opts.format ?? formatOf(file);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      const summary = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        const pass = async (checkOnly: boolean) => {
          const bar = process.stderr.isTTY
            ? new cliProgress.SingleBar({ format: `${checkOnly ? 'check ' : 'import'} [{bar}] {percentage}% | {value}/{total} bytes | {rows} rows`, stream: process.stderr }, cliProgress.Presets.shades_classic)
            : undefined;
          // The bar only moves forward: rejections are printed above it, in line order, and it is
          // drawn again where it was.
          let bytes = 0;
          let rows = 0;
          bar?.start(size, 0, { rows });
          const counter = new Transform({
            transform(chunk: Buffer, _enc, done) {
              bytes += chunk.length;
              done(null, chunk);
            },
          });
          try {
            return await importSendDetails(store, target.id, createReadStream(file).pipe(counter), systemClock, {
              format, checkOnly,
              onReject: ({ line, reason }) => {
                bar?.stop();
                process.stderr.write(`${file}:${line}: rejected: ${reason}\n`);
                bar?.start(size, bytes, { rows });
              },
              onProgress: (s) => {
                rows = Math.max(rows, s.read);
                bar?.update(bytes, { rows });
              },
            });
          } finally {
            bar?.update(bytes, { rows });
            bar?.stop();
          }
        };
        if (opts.allOrNothing) {
          const checked = await pass(true);
          if (checked.rejected > 0) {
            process.stderr.write(`--all-or-nothing: ${checked.rejected} of ${checked.read} records rejected; nothing was stored\n`);
            return { ...checked, inserted: 0, skipped: 0 };
          }
        }
        return pass(false);
      });
      process.stderr.write(`read ${summary.read}, inserted ${summary.inserted}, already present ${summary.skipped}, rejected ${summary.rejected}\n`);
      if (summary.rejected > 0) process.exitCode = 1;
    });
}
