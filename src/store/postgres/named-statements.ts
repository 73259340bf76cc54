import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { GENERIC_PLAN } from '../dialect.js';
import { CopyData } from './copy.js';

/** Distinct statements one connection keeps prepared; past it, new ones run unnamed. */
const MAX_NAMED = 500;
/** Statements with more parameters (bulk inserts, long IN lists) vary in shape: never named. */
const MAX_PARAMETERS = 64;
/** What starts a statement marked for a generic plan, as Kysely compiles it. */
const GENERIC_LEAD = `select ${GENERIC_PLAN} `;

/** Whether a statement is marked for a generic plan (GENERIC_PLAN). */
export const marksGenericPlan = (text: string): boolean => text.startsWith(GENERIC_LEAD);

type PlanMode = 'auto' | 'force_generic_plan';

/** Streams a COPY's data; answers like a query, as Kysely expects. */
async function copyIn(query: (...args: unknown[]) => unknown, text: string, data: CopyData) {
  const stream = query(copyFrom(text)) as ReturnType<typeof copyFrom>;
  stream.end(data.text);
  await finished(stream);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [] };
}

/**
 * A pg client that runs each read as a named prepared statement, so PostgreSQL parses it once per
 * connection instead of on every request. Only SELECTs with few parameters are named: their shapes
 * are few and stable. How a named statement is planned depends on its mark:
 * - Marked for a generic plan (GENERIC_PLAN): it runs its generic plan, planned once
 *   (plan_cache_mode = force_generic_plan). Left to auto, PostgreSQL re-planned the send-details
 *   page on every run, because a plan for the values looked cheaper, and over monthly partitions
 *   planning cost more than running (the rows of a `send_status` page of 100 at 100k details: 1.44 ms
 *   planned on each run, 0.28 ms with its generic plan).
 * - Unmarked: PostgreSQL chooses (auto: plans for the values until the generic plan looks as
 *   cheap). A generic plan may be wrong for them: given a LIMIT parameter it assumes a tenth of the
 *   table is read, and would pick a full scan for a listing.
 * The setting is changed on the connection only when the next named statement needs the other one
 * (a SET queued before it, no extra wait), and assumed unknown after a ROLLBACK, which undoes a SET
 * made inside the transaction. The server re-plans by itself when a table changes (a new
 * partition); a new connection prepares afresh. A statement whose only parameter is CopyData is a
 * COPY FROM STDIN (copy.ts).
 */
export class NamedStatementClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // Statement names by SQL text: each text is hashed once per connection, not per query.
    const names = new Map<string, string>();
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    // The connection's plan_cache_mode as far as this client knows (the server's default: auto).
    let mode: PlanMode | undefined = 'auto';
    const planWith = (wanted: PlanMode) => {
      if (mode === wanted) return;
      // pg runs a connection's queries in order, so the SET runs before the statement it is for.
      // If it fails (an aborted transaction), the statement fails the same way; the mode is
      // then unknown until the next SET.
      mode = wanted;
      (query(`set plan_cache_mode = ${wanted}`) as Promise<unknown>).catch(() => {
        mode = undefined;
      });
    };
    // pg's query has many overloads; only (text, values) calls, Kysely's, are rewritten.
    (this as { query: unknown }).query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text === 'string' && Array.isArray(values) && values.length === 1 && values[0] instanceof CopyData) {
        return copyIn(query, text, values[0]);
      }
      if (typeof text === 'string' && /^\s*rollback\b/i.test(text)) mode = undefined;
      if (typeof text === 'string' && Array.isArray(values) && callback === undefined
        && values.length <= MAX_PARAMETERS && /^\s*select\b/i.test(text)) {
        let name = names.get(text);
        if (name === undefined && names.size < MAX_NAMED) {
          name = `s${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
          names.set(text, name);
        }
        if (name !== undefined) {
          planWith(marksGenericPlan(text) ? 'force_generic_plan' : 'auto');
          return query({ name, text, values });
        }
      }
      return query(...args);
    };
  }
}
