import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it('one year before is the same calendar instant a year earlier', () => {
    assert.equal(oneYearBefore(new Date('2026-06-15T12:00:00Z')), Date.parse('2025-06-15T12:00:00Z'));
  });
});
