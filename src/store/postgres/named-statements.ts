import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { GENERIC_PLAN } from '../dialect.js';
import { CopyData } from './copy.js';

/** Distinct statements one connection keeps prepared; past it, new ones run unnamed. */
const MAX_NAMED = 500;
/** What starts a statement marked for a generic plan, as Kysely compiles it. */
const GENERIC_LEAD = `select ${GENERIC_PLAN} `;

/** Whether a statement is marked for a generic plan (GENERIC_PLAN). */
export const marksGenericPlan = (text: string): boolean => text.startsWith(GENERIC_LEAD);
/**
 * Connection options that make a prepared statement run its generic plan (see NamedStatementClient).
 * Statements sent unnamed are planned for their values whatever this says.
 */
export const GENERIC_PLAN_OPTIONS = '-c plan_cache_mode=force_generic_plan';

/** Streams a COPY's data; answers like a query, as Kysely expects. */
async function copyIn(query: (...args: unknown[]) => unknown, text: string, data: CopyData) {
  const stream = query(copyFrom(text)) as ReturnType<typeof copyFrom>;
  stream.end(data.text);
  await finished(stream);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [] };
}

/**
 * A pg client that prepares each statement marked for a generic plan (GENERIC_PLAN) once per
 * connection, as a named statement, and runs its generic plan: PostgreSQL neither parses nor plans
 * it again. Left to itself (plan_cache_mode = auto) PostgreSQL re-plans a statement on every run
 * while a plan for the values looks cheaper than the generic one, and over monthly partitions
 * planning costs more than running (1.4 of 1.7 ms for a page of 100 at 100k details). Every other
 * statement is sent unnamed and planned for its values: a generic plan assumes a LIMIT given as a
 * parameter reads a tenth of the table, and would pick a full scan for a listing. The connections
 * are opened with GENERIC_PLAN_OPTIONS. The server re-plans by itself when a table changes (a new
 * partition); a new connection prepares afresh. A statement whose only parameter is CopyData is a
 * COPY FROM STDIN (copy.ts).
 */
export class NamedStatementClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // Statement names by SQL text: each text is hashed once per connection, not per query.
    const names = new Map<string, string>();
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    // pg's query has many overloads; only (text, values) calls, Kysely's, are rewritten.
    (this as { query: unknown }).query = (...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text === 'string' && Array.isArray(values) && values.length === 1 && values[0] instanceof CopyData) {
        return copyIn(query, text, values[0]);
      }
      if (typeof text === 'string' && Array.isArray(values) && callback === undefined && marksGenericPlan(text)) {
        let name = names.get(text);
        if (name === undefined && names.size < MAX_NAMED) {
          name = `s${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
          names.set(text, name);
        }
        if (name !== undefined) return query({ name, text, values });
      }
      return query(...args);
    };
  }
}
