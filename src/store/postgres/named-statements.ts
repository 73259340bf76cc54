import { createHash } from 'node:crypto';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyData } from './copy.js';

/** Distinct statements one connection keeps prepared; past it, new ones run unnamed. */
const MAX_NAMED = 500;
/** Statements with more parameters (bulk inserts, long IN lists) vary in shape: never named. */
const MAX_PARAMETERS = 64;

/** Streams a COPY's data; answers like a query, as Kysely expects. */
async function copyIn(query: (...args: unknown[]) => unknown, text: string, data: CopyData) {
  const stream = query(copyFrom(text)) as ReturnType<typeof copyFrom>;
  stream.end(data.text);
  await finished(stream);
  return { command: 'COPY', rowCount: stream.rowCount, rows: [] };
}

/**
 * A pg client that runs each read as a named prepared statement, so PostgreSQL parses and plans
 * it once per connection instead of on every request (over monthly partitions, planning cost more
 * than running). Only SELECTs with few parameters are named: their shapes are few and stable. The
 * server re-plans by itself when a table changes (a new partition); a new connection prepares
 * afresh. A statement whose only parameter is CopyData is a COPY FROM STDIN (copy.ts).
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
      if (typeof text === 'string' && Array.isArray(values) && callback === undefined
        && values.length <= MAX_PARAMETERS && /^\s*select\b/i.test(text)) {
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
