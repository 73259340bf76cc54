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
    .addOption(databaseOption())
    .action(async (file: string, opts: ConfigFlags & { account: string; format?: ImportFormat }) => {
      const format = opts.format ?? formatOf(file);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      const summary = await withStore(opts, async (store) => {
        const target = await new IdentityAdmin(store, systemClock).requireAccount(opts.account);
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar({ format: 'import [{bar}] {percentage}% | {value}/{total} bytes | {rows} rows', stream: process.stderr }, cliProgress.Presets.shades_classic)
          : undefined;
        bar?.start(size, 0, { rows: 0 });
        let bytes = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        try {
          return await importSendDetails(store, target.id, createReadStream(file).pipe(counter), systemClock, {
            format,
            onReject: ({ line, reason }) => {
              if (bar) bar.stop();
              process.stderr.write(`${file}:${line}: rejected: ${reason}\n`);
              bar?.start(size, bytes, { rows: 0 });
            },
            onProgress: (s) => bar?.update(bytes, { rows: s.read }),
          });
        } finally {
          bar?.update(bytes);
          bar?.stop();
        }
      });
      process.stderr.write(`read ${summary.read}, inserted ${summary.inserted}, already present ${summary.skipped}, rejected ${summary.rejected}\n`);
      if (summary.rejected > 0) process.exitCode = 1;
    });
}
