import { sql, type Kysely } from 'kysely';

/**
 * The rows of a `COPY … FROM STDIN`, as CSV text. Passed as the only parameter of the COPY
 * statement, it tells the connection (named-statements.ts) to stream it to the server with
 * pg-copy-streams instead of binding it: so a COPY runs on the connection of the caller's
 * transaction, like any other statement.
 */
export class CopyData {
  constructor(readonly text: string) {}
}

/** One CSV field: null is an unquoted empty field, every text is quoted (so '' stays ''). */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return `"${value.replaceAll('"', '""')}"`;
}

/** Copies `rows` into `table` (its `columns`, in order) on `db`'s connection. */
export async function copyRows(db: Kysely<unknown>, table: string, columns: readonly string[], rows: Iterable<ReadonlyArray<string | number | null>>): Promise<void> {
  let text = '';
  for (const row of rows) text += `${row.map(csvField).join(',')}\n`;
  if (text === '') return;
  const statement = sql`copy ${sql.table(table)} (${sql.join(columns.map((c) => sql.id(c)))}) from stdin with (format csv)`;
  const compiled = statement.compile(db);
  await db.executeQuery({ ...compiled, parameters: [new CopyData(text)] });
}
