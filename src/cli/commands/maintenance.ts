import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig, type ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { runMaintenance } from '../../service/maintenance.js';
import { monthsBefore } from '../../domain/time.js';
import { openStore } from '../../store/open-store.js';
import { OutputError, UsageError, databaseOption, withStore } from '../shared.js';

/** `backup` and `purge`. */
export function registerMaintenance(program: Command): void {
  program.command('backup <file>')
    .description('write a consistent copy of the embedded (SQLite) database to FILE, safe while serve runs; PostgreSQL: use pg_dump (see the README)')
    .addOption(databaseOption())
    .action(async (file: string, opts: ConfigFlags) => {
      if (existsSync(file)) throw new UsageError(`${file} exists; give a new file name`);
      const folder = dirname(resolve(file));
      if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new OutputError(`cannot write the backup: the folder ${folder} does not exist; create it first`);
      const config = loadConfig(opts);
      const store = openStore({ url: config.databaseUrl });
      try {
        // No migration: a backup copies the database as it is.
        if (!(await store.backup(file))) throw new UsageError('the store is PostgreSQL: back it up with pg_dump (see the README), and keep AIMLEDGER_MASTER_KEY apart from it');
      } finally {
        await store.close();
      }
      process.stderr.write(`backed up to ${file}${config.databaseUrl.startsWith('sqlite:') ? ' (keep master.key with it: access-key secrets need it)' : ''}\n`);
    });

  program.command('purge')
    .description('delete send details older than the retention period (what serve does hourly) and prepare the coming months')
    .option('--retention-months <n>', 'months to keep; default AIMLEDGER_RETENTION_MONTHS or 13')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags) => {
      const config = loadConfig(opts);
      const now = systemClock().getTime();
      const purged = await withStore(opts, (store) => runMaintenance(store, now, config.retentionMonths));
      process.stderr.write(`purged ${purged} send details sent before ${new Date(monthsBefore(now, config.retentionMonths)).toISOString()}\n`);
    });
}
