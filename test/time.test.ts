import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatContractTime, oneYearBefore, parseContractTime } from '../src/domain/time.js';

describe('contract time format', () => {
  it('accepts UTC seconds and 1-3 fractional digits', () => {
    assert.equal(parseContractTime('2019-10-12T07:20:50Z'), Date.UTC(2019, 9, 12, 7, 20, 50));
    assert.equal(parseContractTime('2019-10-12T07:20:50.5Z'), Date.UTC(2019, 9, 12, 7, 20, 50, 500));
    assert.equal(parseContractTime('2019-10-12T07:20:50.52Z'), Date.UTC(2019, 9, 12, 7, 20, 50, 520));
    assert.equal(parseContractTime('2019-10-12T07:20:50.522Z'), Date.UTC(2019, 9, 12, 7, 20, 50, 522));
    assert.equal(parseContractTime('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });

  for (const bad of [
    '2019-10-12T07:20:50', '2019-10-12T07:20:50+08:00', '2019-10-12T07:20:50+00:00', '2019-10-12 07:20:50Z',
    '2019-10-12T07:20:50.5222Z', '2019-10-12T07:20Z', '2019-02-30T00:00:00Z', '2023-02-29T00:00:00Z',
    '2019-13-01T00:00:00Z', '2019-10-12T24:00:00Z', '2019-10-12T07:60:00Z', '2019-10-12T07:20:60Z',
    '2019-10-12t07:20:50z', '20191012T072050Z', '', ' 2019-10-12T07:20:50Z', '2019-10-00T00:00:00Z',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.equal(parseContractTime(bad), null));
  }

  it('formats whole seconds with Z', () => {
    assert.equal(formatContractTime(Date.UTC(2022, 6, 19, 14, 57, 20, 999)), '2022-07-19T14:57:20Z');
  });

  it('formats every instant as the ISO string does, in any order (its day cache never leaks)', () => {
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    // Years 1970–2200, before and after the epoch's day boundaries, and one day then the next.
    fc.assert(fc.property(fc.array(fc.integer({ min: -86_400_000 * 3, max: Date.UTC(2200, 0, 1) }), { minLength: 1, maxLength: 20 }), (times) => {
      for (const ms of times) assert.equal(formatContractTime(ms), iso(ms));
    }), { numRuns: 500 });
    for (const ms of [0, -1, -1000, 86_399_999, 86_400_000, Date.UTC(2024, 1, 29, 23, 59, 59, 999)]) assert.equal(formatContractTime(ms), iso(ms));
  });

  it('one year before is the same calendar instant a year earlier', () => {
    assert.equal(oneYearBefore(new Date('2026-06-15T12:00:00Z')), Date.parse('2025-06-15T12:00:00Z'));
  });
});
