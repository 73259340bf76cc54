import { createQueryId, type Compilable, type CompiledQuery, type RootOperationNode } from 'kysely';

/** Stands for the leaf at `index` while a query shape is compiled. */
class Slot {
  constructor(readonly index: number) {}
}

interface Template {
  sql: string;
  query: RootOperationNode;
  /** Slots are filled from the call's leaves; anything else is a constant of the shape. */
  parameters: readonly unknown[];
}

const NONE: ReadonlySet<string> = new Set();
/** Shapes kept; the send-details path has a few dozen (filters present × count plan). */
const MAX_SHAPES = 500;

/**
 * Query shapes built and compiled once. A query's arguments are a tree of plain objects and
 * arrays whose leaves are values. Its shape is that tree with each leaf replaced by its type —
 * which fields are present, how long each list is — plus the values of the `structural` fields
 * (a status whose code is looked up, a flag that picks the query's form). The first call of a
 * shape builds the query with a slot in place of each other leaf and compiles it; later calls of
 * the shape only put their own leaves into the compiled parameters.
 *
 * So a builder may use a leaf only as a value bound to the query: never to choose the query's
 * structure, compute with it or look it up, unless the leaf is structural. (test/sql.test.ts
 * compares templated and directly compiled queries for many random arguments.)
 */
export class QueryTemplates {
  private readonly shapes = new Map<string, Template>();

  constructor(private readonly max = MAX_SHAPES) {}

  compile<A extends object, R>(name: string, args: A, build: (args: A) => Compilable<R>, structural: ReadonlySet<string> = NONE): CompiledQuery<R> {
    const leaves: unknown[] = [];
    const key = `${name}\u0000${describe(args, structural, leaves)}`;
    let template = this.shapes.get(key);
    if (template === undefined) {
      let next = 0;
      const compiled = build(slotted(args, structural, () => new Slot(next++)) as A).compile();
      template = { sql: compiled.sql, query: compiled.query, parameters: compiled.parameters };
      this.shapes.set(key, template);
      if (this.shapes.size > this.max) this.shapes.delete(this.shapes.keys().next().value as string);
    }
    const parameters = template.parameters.map((p) => (p instanceof Slot ? leaves[p.index] : p));
    return { sql: template.sql, query: template.query, queryId: createQueryId(), parameters };
  }

  get size(): number {
    return this.shapes.size;
  }
}

/** A plain object (not a Date, a Buffer or anything else a driver binds as one value). */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** The shape's key; collects the leaves (in the same order `slotted` numbers them). */
function describe(value: unknown, structural: ReadonlySet<string>, leaves: unknown[]): string {
  if (Array.isArray(value)) return `[${value.map((v) => describe(v, structural, leaves)).join(',')}]`;
  if (isRecord(value)) {
    let out = '{';
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v === undefined) continue;
      out += structural.has(key) ? `${key}=${JSON.stringify(v)};` : `${key}:${describe(v, structural, leaves)};`;
    }
    return `${out}}`;
  }
  if (value === null) return 'null';
  leaves.push(value);
  return typeof value;
}

function slotted(value: unknown, structural: ReadonlySet<string>, slot: () => Slot): unknown {
  if (Array.isArray(value)) return value.map((v) => slotted(v, structural, slot));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (v === undefined) continue;
      out[key] = structural.has(key) ? v : slotted(v, structural, slot);
    }
    return out;
  }
  return value === null ? null : slot();
}
