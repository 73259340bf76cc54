import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import {
  Conflict, DomainError, ERROR_CATALOGUE, ErrorCodes, Forbidden, InvalidParameter, NotFound, TooManyRequests, Unauthenticated,
  Unavailable, type ErrorName,
} from '../src/domain/errors.js';
import { errorHandlerFor, notFoundHandler, STATUS } from '../src/http/error-handler.js';
import { errorResponses } from '../src/http/routes/common.js';

/**
 * The catalogue as clients see it: name → code → HTTP status → meaning. A change to any of these is
 * a change to the API, so it has to change here too.
 */
const PINNED: Record<ErrorName, [code: string, status: number, summary: string]> = {
  invalidParameter: ['KM.80000002', 400, 'Invalid parameter'],
  signatureEmpty: ['KM.00001075', 400, 'The SMS signature is empty'],
  signatureLength: ['KM.00001076', 400, 'The SMS signature is longer than 18 characters'],
  templateNotFound: ['KM.00001080', 400, 'The AIM template does not exist'],
  templateIdEmpty: ['KM.00001081', 400, 'The AIM template id is empty'],
  templateUnavailable: ['KM.00001082', 400, 'The AIM template is disabled or not approved'],
  smsTemplateWithoutLink: ['KM.00001377', 400, 'The SMS template has no mark for the resolve link'],
  phoneListEmpty: ['KM.00001083', 400, 'The recipient list is empty'],
  inputEmpty: ['KM.90016414', 400, 'A required parameter is empty'],
  paramsEmpty: ['KM.90016415', 400, 'The list of params is empty'],
  signatureCount: ['KM.90016417', 400, 'sms_signs must hold 1 to 5 signatures'],
  tooManyShortLinks: ['KM.90016416', 400, 'Too many recipients in one task'],
  invalidAimCodeType: ['KM.90016418', 400, 'aim_code_type must be individual'],
  invalidTime: ['KM.90016458', 400, 'A time is malformed, or begin_time is later than end_time'],
  timeRangeTooLong: ['KM.90016459', 400, 'begin_time is more than a year back'],
  unauthenticated: ['APIG.0301', 401, 'Missing or invalid credentials'],
  forbidden: ['KM.80020000', 403, 'The role of this user may not call this operation'],
  notFound: ['KM.80000002', 404, 'The thing named does not exist'],
  routeNotFound: ['APIG.0101', 404, 'No API at this method and path'],
  conflict: ['KM.80000002', 409, 'The thing to create exists already'],
  throttled: ['APIG.0308', 429, 'Too many requests; retry after Retry-After'],
  internal: ['KM.80000001', 500, 'Internal error, or the database cannot answer now (retry after Retry-After)'],
  unavailable: ['KM.80000001', 503, 'Overloaded or shutting down; retry after Retry-After'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('error catalogue', () => {
  it('pins every entry: code, HTTP status and meaning', () => {
    const actual = Object.fromEntries(Object.entries(ERROR_CATALOGUE).map(([name, e]) => [name, [e.code, STATUS[e.kind], e.summary]]));
    assert.deepEqual(actual, PINNED);
    for (const [name, e] of Object.entries(ERROR_CATALOGUE)) assert.equal(ErrorCodes[name as ErrorName], e.code);
  });

  it('each error class answers with its catalogue entry through the one error handler', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandlerFor(() => false));
    app.setNotFoundHandler(notFoundHandler);
    const thrown: Record<string, DomainError> = {
      invalidParameter: new InvalidParameter('offset must be an integer from 0 to 1000000'),
      invalidTime: new InvalidParameter('begin_time must be a UTC time', ErrorCodes.invalidTime),
      unauthenticated: new Unauthenticated(),
      forbidden: new Forbidden(),
      notFound: new NotFound('no such access key'),
      conflict: new Conflict('account a already exists'),
      throttled: new TooManyRequests('slow down', 7),
      unavailable: new Unavailable('shutting down'),
    };
    app.get('/throw/:name', async (request) => {
      throw thrown[(request.params as { name: string }).name];
    });
    app.get('/crash', async () => {
      throw new Error('a driver said something internal');
    });
    for (const [name, error] of Object.entries(thrown)) {
      const res = await app.inject(`/throw/${name}`);
      const [code, status] = PINNED[name as ErrorName];
      assert.equal(res.statusCode, status, name);
      assert.deepEqual(
        { ...(res.json() as object), request_id: undefined },
        { error_code: code, error_msg: error.message, error_message: error.message, request_id: undefined },
        name,
      );
    }
    assert.equal((await app.inject('/throw/throttled')).headers['retry-after'], '7');
    assert.equal((await app.inject('/throw/unavailable')).headers['retry-after'], '1');
    const crash = await app.inject('/crash');
    assert.equal(crash.statusCode, PINNED.internal[1]);
    assert.equal(crash.json().error_code, PINNED.internal[0]);
    assert.doesNotMatch(crash.body, /driver/, 'a 5xx body never carries the cause');
    const missing = await app.inject('/nowhere');
    assert.deepEqual([missing.statusCode, missing.json().error_code], [PINNED.routeNotFound[1], PINNED.routeNotFound[0]]);
  });

  it('the OpenAPI error responses come from the catalogue: every status, every code', () => {
    const statuses = [...new Set(Object.values(PINNED).map(([, status]) => String(status)))].sort();
    assert.deepEqual(Object.keys(errorResponses).sort(), statuses);
    for (const [code, status, summary] of Object.values(PINNED)) {
      const description = (errorResponses[status] as { description: string }).description;
      assert.ok(description.includes(`${code}: ${summary}.`), `${status} documents ${code}`);
    }
  });

  it('no KM.* or APIG.* code is written as a string anywhere in src/ but the catalogue', () => {
    const offenders = sourceFiles('src')
      .filter((file) => !file.endsWith(join('domain', 'errors.ts')))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, i) => ({ file, line, n: i + 1 })))
      .filter(({ line }) => /['"`](KM|APIG)\.[0-9]{4}/.test(line))
      .map(({ file, n, line }) => `${file}:${n}: ${line.trim()}`);
    assert.deepEqual(offenders, []);
  });
});
