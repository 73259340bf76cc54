import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { ConfigFlags } from '../../config.js';
import { systemClock } from '../../domain/clock.js';
import { IdentityAdmin } from '../../service/identity-admin.js';
import { writeBenchData } from '../../dev/bench-data.js';
import { UsageError, databaseOption, withStore } from '../shared.js';

/** `bench-data`: synthetic details for benchmarks. */
export function registerBenchData(program: Command): void {
  program.command('bench-data')
    .description('write synthetic send details for benchmarks: one large account plus three small ones')
    .requiredOption('--account <name>', 'the large account (created when missing; the small ones are NAME-small-1..3)')
    .requiredOption('--rows <n>', 'details for the large account (the small ones get 1% each)')
    .option('--seed <n>', 'random seed (same seed, same rows)', '1')
    .addOption(databaseOption())
    .action(async (opts: ConfigFlags & { account: string; rows: string; seed: string }) => {
      if (!/^[0-9]{1,9}$/.test(opts.rows) || Number(opts.rows) < 1) throw new UsageError('--rows must be a positive integer');
      if (!/^[0-9]{1,9}$/.test(opts.seed)) throw new UsageError('--seed must be a non-negative integer');
      const rows = Number(opts.rows);
      await withStore(opts, async (store) => {
        const admin = new IdentityAdmin(store, systemClock);
        const now = systemClock().getTime();
        const targets = [
          { name: opts.account, rows, seed: Number(opts.seed) },
          ...[1, 2, 3].map((i) => ({ name: `${opts.account}-small-${i}`, rows: Math.max(1, Math.floor(rows / 100)), seed: Number(opts.seed) + i })),
        ];
        for (const target of targets) {
          const account = (await store.accounts.findByName(target.name)) ?? (await admin.createAccount(target.name));
          const bar = process.stderr.isTTY
            ? new cliProgress.SingleBar({ format: `${target.name} [{bar}] {percentage}% | {value}/{total} rows | {eta}s left`, stream: process.stderr }, cliProgress.Presets.shades_classic)
            : undefined;
          bar?.start(target.rows, 0);
          const started = Date.now();
          const inserted = await writeBenchData(store, account.id, { rows: target.rows, now, seed: target.seed, onProgress: (n) => bar?.update(n) });
          bar?.stop();
          const seconds = (Date.now() - started) / 1000;
          process.stderr.write(`${target.name}: ${inserted} new of ${target.rows} rows in ${seconds.toFixed(1)} s (${Math.round(target.rows / Math.max(seconds, 0.001))} rows/s)\n`);
        }
      });
    });
}
