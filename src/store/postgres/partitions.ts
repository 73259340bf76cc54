import { sql, type QueryExecutorProvider } from 'kysely';
import { monthStarts, type Partition, type PartitionManager } from '../partitions.js';

const PREFIX = 'send_details_m';
const NAME = /^send_details_m(\d{4})(\d{2})$/;

function partitionFor(monthStart: number): Partition {
  const d = new Date(monthStart);
  const name = `${PREFIX}${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
  return { name, from: monthStart, to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** duplicate_table, unique_violation (pg_type or pg_class), duplicate_object. */
const CREATE_RACE = new Set(['42P07', '23505', '42710']);

async function exists(db: QueryExecutorProvider, name: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_class
    where relname = ${name} and relnamespace = current_schema()::regnamespace`.execute(db);
  return (rows[0]?.n ?? 0) > 0;
}

/** Monthly partitions named send_details_mYYYYMM. */
export const postgresPartitions: PartitionManager = {
  async ensure(db: QueryExecutorProvider, from: number, to: number): Promise<void> {
    for (const start of monthStarts(from, to)) {
      const p = partitionFor(start);
      try {
        await sql`create table if not exists ${sql.table(p.name)} partition of send_details
          for values from (${sql.lit(p.from)}) to (${sql.lit(p.to)})`.execute(db);
      } catch (error) {
        // Another process (or instance) creating the same month at the same moment: "if not
        // exists" only sees committed tables, so the loser fails on the catalog's unique keys.
        // The month exists either way, which is all a writer needs.
        if (!CREATE_RACE.has(String((error as { code?: unknown }).code)) || !(await exists(db, p.name))) throw error;
      }
    }
  },

  async endingBy(db: QueryExecutorProvider, before: number): Promise<Partition[]> {
    const { rows } = await sql<{ name: string }>`
      select c.relname as name from pg_inherits i
      join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent
      where p.relname = 'send_details' and p.relnamespace = current_schema()::regnamespace`.execute(db);
    return rows
      .map(({ name }) => NAME.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => partitionFor(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)))
      .filter((p) => p.to <= before)
      .sort((a, b) => a.from - b.from);
  },

  async drop(db: QueryExecutorProvider, partition: Partition): Promise<void> {
    await sql`drop table ${sql.table(partition.name)}`.execute(db);
  },
};
