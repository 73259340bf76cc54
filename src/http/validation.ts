import { Ajv, type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { ErrorCodes, InvalidParameter } from '../domain/errors.js';
import { parseContractTime } from '../domain/time.js';

/**
 * Request validation for the KooMessage routes: ajv checks each request part against the route's
 * TypeBox schema (shape, lengths, enums, patterns, formats), and a failure becomes the contract's
 * 400: the code the schema names for that field and failure (`x-codes`, default KM.80000002) and a
 * message naming the field. Only what JSON Schema cannot say (a begin/end pair, the one-year window
 * against the clock) is left to the domain.
 *
 * What the contract takes beyond JSON:
 * - query strings: an empty value is no value; integers are plain decimals only (`1e2`, `+1`,
 *   `1.0`, ` 1` stay text and fail); `true`/`false` are booleans; a repeated parameter stays a list
 *   and is refused unless the field is one;
 * - bodies: a null member is an absent one (roots marked `x-blank-is-absent` also take "").
 */

/** Failures of one field, by what went wrong; `required` covers absent, null, blank and empty lists. */
type Failure = 'required' | 'type' | 'repeated' | 'length' | 'nul' | 'value' | 'count';

/** Annotations a field's schema may carry. */
interface FieldAnnotations {
  /** The contract's code for a failure of this field, by failure (or `default`). */
  'x-codes'?: Partial<Record<Failure | 'default', string>>;
  /** What a valid value is, for messages: "<field> must be <x-rule>". */
  'x-rule'?: string;
}

type SchemaNode = Record<string, unknown> & FieldAnnotations;

const ajv = new Ajv({ allErrors: true, verbose: true, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: false });
ajv.addKeyword({
  keyword: 'x-not-blank', type: 'string', schemaType: 'boolean', errors: false,
  validate: (enabled: boolean, data: string) => !enabled || /\S/.test(data),
});
ajv.addKeyword({
  keyword: 'x-no-nul', type: 'string', schemaType: 'boolean', errors: false,
  validate: (enabled: boolean, data: string) => !enabled || !data.includes('\u0000'),
});
ajv.addFormat('contract-time', { type: 'string', validate: (text: string) => parseContractTime(text) !== null });
// One official ListAimSendReports example omits the Z; such a time is UTC too.
ajv.addFormat('report-time', { type: 'string', validate: (text: string) => parseContractTime(/[zZ]$/.test(text) ? text : `${text}Z`) !== null });

const PLAIN_DECIMAL = /^[0-9]{1,10}$/;
const PRIORITY: Record<Failure, number> = { required: 0, repeated: 1, type: 2, length: 3, nul: 4, value: 5, count: 6 };

function typesOf(node: SchemaNode | undefined): string[] {
  if (!node) return [];
  if (typeof node.type === 'string') return [node.type];
  if (Array.isArray(node.anyOf)) return (node.anyOf as SchemaNode[]).flatMap(typesOf);
  return [];
}

/** The contract's reading of a query string: see the module comment. */
function normaliseQuery(data: unknown, schema: SchemaNode): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, SchemaNode>;
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    if (raw === '' || raw === undefined) continue;
    const types = typesOf(properties[name]);
    if (types.includes('array')) {
      out[name] = Array.isArray(raw) ? raw : [raw];
    } else if (typeof raw === 'string' && types.includes('integer') && PLAIN_DECIMAL.test(raw)) {
      out[name] = Number(raw);
    } else if (typeof raw === 'string' && types.includes('boolean') && (raw === 'true' || raw === 'false')) {
      out[name] = raw === 'true';
    } else {
      out[name] = raw;
    }
  }
  return out;
}

/**
 * A body with its null members (and "" where the root says so) taken as absent: members the schema
 * declares, at any depth; what the schema leaves open (each delivery report) is kept as sent.
 */
function normaliseBody(data: unknown, node: SchemaNode | undefined, blankIsAbsent: boolean): unknown {
  if (!node) return data;
  if (Array.isArray(data)) return node.items ? data.map((item) => normaliseBody(item, node.items as SchemaNode, blankIsAbsent)) : data;
  const properties = node.properties as Record<string, SchemaNode> | undefined;
  if (typeof data !== 'object' || data === null || !properties) return data;
  return Object.fromEntries(Object.entries(data)
    .filter(([k, v]) => !(k in properties) || (v !== null && !(blankIsAbsent && v === '')))
    .map(([k, v]) => [k, normaliseBody(v, properties[k], blankIsAbsent)]));
}

/**
 * The schema ajv checks: items marked `x-each-judged` are documented but judged one by one later;
 * `$id`s stay with the documentation (one ajv serves every app a process builds).
 */
function forValidation(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forValidation);
  if (typeof node !== 'object' || node === null) return node;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$id' || (k === 'items' && (node as SchemaNode)['x-each-judged'] === true)) continue;
    copy[k] = forValidation(v);
  }
  return copy;
}

/** The fields in the order the contract checks them: the schema's property order, depth first. */
function fieldOrder(schema: SchemaNode): string[] {
  const order: string[] = [];
  const walk = (node: SchemaNode | undefined, path: string) => {
    if (!node || typeof node !== 'object') return;
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, SchemaNode>)) {
      const at = path ? `${path}/${name}` : name;
      if (!order.includes(at)) order.push(at);
      walk(child, at);
    }
    if (node.items && typeof node.items === 'object') walk(node.items as SchemaNode, path ? `${path}/*` : '*');
    for (const key of ['anyOf', 'allOf', 'oneOf'] as const) for (const branch of (node[key] ?? []) as SchemaNode[]) walk(branch, path);
    if (node.then) walk(node.then as SchemaNode, path);
  };
  walk(schema, '');
  return order;
}

/** The schema of the field at `path` (array indexes step into `items`). */
function fieldSchema(root: SchemaNode, path: Array<string | number>): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const segment of path) {
    if (!node) return undefined;
    node = typeof segment === 'number'
      ? node.items as SchemaNode | undefined
      : ((node.properties ?? {}) as Record<string, SchemaNode>)[segment];
  }
  return node;
}

/** The schema node a schemaPath such as `#/properties/a/then` points at. */
function schemaAt(root: SchemaNode, schemaPath: string): SchemaNode | undefined {
  let node: unknown = root;
  for (const part of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node as SchemaNode | undefined;
}

interface Found {
  path: Array<string | number>;
  failure: Failure;
  error: ErrorObject;
}

function classify(error: ErrorObject, part: string): Found | undefined {
  const path: Array<string | number> = error.instancePath.split('/').slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
  switch (error.keyword) {
    case 'required':
      return { path: [...path, (error.params as { missingProperty: string }).missingProperty], failure: 'required', error };
    case 'x-not-blank':
      return { path, failure: 'required', error };
    case 'x-no-nul':
      return { path, failure: 'nul', error };
    case 'type':
      if (error.data === null || error.data === undefined) return { path, failure: 'required', error };
      return { path, failure: part === 'querystring' && Array.isArray(error.data) ? 'repeated' : 'type', error };
    case 'minLength':
      // An empty text is a missing one, as an empty list is.
      return { path, failure: error.data === '' ? 'required' : 'length', error };
    case 'maxLength':
      return { path, failure: 'length', error };
    case 'minItems':
      return { path, failure: Array.isArray(error.data) && error.data.length === 0 ? 'required' : 'count', error };
    case 'maxItems': case 'maxProperties': case 'minProperties':
      return { path, failure: 'count', error };
    case 'if': case 'anyOf': case 'oneOf': case 'allOf': case 'not':
      // The failures inside say more; these only summarise them.
      return undefined;
    default:
      return { path, failure: 'value', error };
  }
}

/** `resolve_task.params[0].cust_flag`, as the contract's messages name fields. */
function fieldName(path: Array<string | number>): string {
  return path.reduce<string>((name, s) => (typeof s === 'number' ? `${name}[${s}]` : name ? `${name}.${s}` : s), '') || 'the request body';
}

function describe(found: Found, field: SchemaNode | undefined, root: SchemaNode): string {
  const name = fieldName(found.path);
  const rule = field?.['x-rule'];
  const { error } = found;
  if (rule && found.failure !== 'required' && found.failure !== 'repeated' && found.failure !== 'nul') return `${name} must be ${rule}`;
  switch (found.failure) {
    case 'required': {
      const when = error.schemaPath.includes('/then/') ? schemaAt(root, error.schemaPath.replace(/\/[^/]+$/, ''))?.['x-rule'] : undefined;
      return `${name} is required${when ? ` ${when}` : error.keyword === 'x-not-blank' ? ' and must not be blank' : ''}`;
    }
    case 'repeated':
      return `${name} must be given at most once`;
    case 'nul':
      return `${name} must not contain NUL characters`;
    case 'length': {
      const max = field?.maxLength as number | undefined;
      const min = field?.minLength as number | undefined;
      return min !== undefined && min > 0 ? `${name} must be ${min} to ${max ?? 'any number of'} characters` : `${name} must be at most ${max} characters`;
    }
    case 'count':
      return `${name} must hold at most ${field?.maxItems as number} items`;
    default: {
      if (typesOf(field).includes('integer')) return `${name} must be an integer from ${field?.minimum as number} to ${field?.maximum as number}`;
      if (Array.isArray(field?.enum)) return `${name} must be one of ${(field.enum as unknown[]).join(', ')}`;
      const type = (error.params as { type?: string }).type;
      return `${name} must be ${type === 'object' || type === 'array' || type === 'integer' ? 'an' : 'a'} ${type ?? 'valid value'}`;
    }
  }
}

/** The first failure the contract reports (field order, then item order, then kind) as its 400. */
function toInvalidParameter(errors: ErrorObject[], root: SchemaNode, order: string[], part: string): InvalidParameter {
  const rank = (found: Found) => {
    let key = found.path.map((s) => (typeof s === 'number' ? '*' : s)).join('/');
    while (key && !order.includes(key)) key = key.replace(/\/?[^/]*$/, '');
    return key ? order.indexOf(key) : -1;
  };
  const found = errors.map((e) => classify(e, part)).filter((f): f is Found => f !== undefined);
  if (found.length === 0) return new InvalidParameter(`${part === 'body' ? 'the request body' : 'the query'} is not valid for this operation`);
  found.sort((a, b) => {
    const byField = rank(a) - rank(b);
    if (byField !== 0) return byField;
    const ia = a.path.filter((s) => typeof s === 'number');
    const ib = b.path.filter((s) => typeof s === 'number');
    for (let i = 0; i < Math.min(ia.length, ib.length); i++) if (ia[i] !== ib[i]) return (ia[i] as number) - (ib[i] as number);
    return a.path.length - b.path.length || PRIORITY[a.failure] - PRIORITY[b.failure];
  });
  const first = found[0] as Found;
  const field = fieldSchema(root, first.path);
  const codes = field?.['x-codes'] ?? {};
  return new InvalidParameter(describe(first, field, root), codes[first.failure] ?? codes.default ?? ErrorCodes.invalidParameter);
}

/**
 * The validator compiler of the KooMessage routes (see the module comment). Fastify calls it once
 * per route and part; the returned function normalises, validates, and answers the value the
 * handler sees or the contract's error.
 */
export const contractValidatorCompiler: FastifySchemaCompiler<AnySchema> = ({ schema, httpPart }) => {
  const root = forValidation(schema) as SchemaNode;
  const validate: ValidateFunction = ajv.compile(root);
  const order = fieldOrder(root);
  const part = httpPart ?? 'body';
  return (data: unknown) => {
    const blankIsAbsent = root['x-blank-is-absent'] === true;
    const value = part === 'querystring' ? normaliseQuery(data, root)
      : part === 'body' ? normaliseBody(blankIsAbsent && (data === null || data === undefined) ? {} : data, root, blankIsAbsent) : data;
    if (validate(value)) return { value };
    return { error: toInvalidParameter(validate.errors ?? [], root, order, part) };
  };
};
