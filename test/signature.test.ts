import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { ConfigError } from '../src/domain/errors.js';
import { Keyring, loadMasterKey, parseMasterKey } from '../src/identity/keyring.js';
import {
  canonicalQueryString, canonicalUri, encodeUnreserved, formatSdkDate, parseSdkDate, parseSignatureHeader,
} from '../src/identity/signature.js';
import { seededRandom } from '../src/dev/synthetic.js';

/** The SDK signer's own helpers, protected in its typings but plain statics at run time. */
const sdk = AKSKSigner as unknown as {
  urlEncode(value: string): string;
  CanonicalURI(path: string): string;
  CanonicalQueryString(request: { queryParams: Record<string, string | string[]> }): string;
};

const ALPHABET = ['a', 'Z', '0', '-', '_', '.', '~', ' ', '+', '&', '=', '%', '/', '?', '#', '!', '*', '(', ')', "'", ':', '@', ',', ';', '$', '华', '云', 'é', '😀'];

function randomText(random: () => number, max = 8): string {
  let out = '';
  const length = Math.floor(random() * max);
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

/** The other common serialisation: %20 for spaces, as curl users and most clients write it. */
function percentEncoded(params: Record<string, string | string[]>): string {
  return Object.entries(params).flatMap(([k, v]) => [v].flat().map((one) => `${encodeURIComponent(k)}=${encodeURIComponent(one)}`)).join('&');
}

describe('AK/SK canonical forms agree with the official SDK signer', () => {
  it('encodes like the SDK for every kind of character', () => {
    const random = seededRandom(41);
    for (let i = 0; i < 2000; i++) {
      const text = randomText(random, 12);
      assert.equal(encodeUnreserved(text), sdk.urlEncode(text), JSON.stringify(text));
    }
  });

  it('canonical query strings match the SDK for random parameters sent as its HTTP client sends them', () => {
    const random = seededRandom(42);
    for (let i = 0; i < 500; i++) {
      const params: Record<string, string | string[]> = {};
      const count = Math.floor(random() * 5);
      for (let j = 0; j < count; j++) {
        const name = randomText(random, 6) || 'k';
        params[name] = random() < 0.3 ? [randomText(random), randomText(random), randomText(random)] : randomText(random);
      }
      // The SDK's HTTP client serialises with node:querystring.
      const wire = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) wire.append(k, one);
      const sdkForm = sdk.CanonicalQueryString({ queryParams: structuredClone(params) });
      assert.equal(canonicalQueryString(wire.toString()), sdkForm, JSON.stringify(params));
      assert.equal(canonicalQueryString(percentEncoded(params)), sdkForm, `percent-encoded spaces: ${JSON.stringify(params)}`);
    }
  });

  it('canonical URIs match the SDK, with the trailing slash', () => {
    for (const path of ['/v1/aim/send-details', '/v1/aim/send-details/', '/', '/v1/a%20b/c', '/v3/auth/tokens']) {
      assert.equal(canonicalUri(path), sdk.CanonicalURI(path), path);
    }
    assert.equal(canonicalUri('/v1/aim/send-details'), '/v1/aim/send-details/');
  });

  it('refuses malformed percent-encoding instead of guessing', () => {
    assert.throws(() => canonicalQueryString('a=%E4%B8'), URIError);
    assert.throws(() => canonicalQueryString('a=%zz'), URIError);
  });
});

describe('signature header and date parsing', () => {
  it('reads the SDK header and rejects every malformed variant with a reason', () => {
    const ok = parseSignatureHeader(`SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=${'A'.repeat(64)}`);
    assert.deepEqual(ok, { accessKey: 'AK1', signedHeaders: ['host', 'x-sdk-date'], signature: 'a'.repeat(64) });
    for (const bad of [
      'SDK-HMAC-SHA1 Access=a, SignedHeaders=host, Signature=00',
      'SDK-HMAC-SHA256 Access=a, SignedHeaders=host',
      `SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=${'0'.repeat(63)}`,
      `SDK-HMAC-SHA256 Access=a, SignedHeaders=Host, Signature=${'0'.repeat(64)}`,
      `SDK-HMAC-SHA256 Access=a, Access=b, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      `SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=${'0'.repeat(64)}, Extra=1`,
      'SDK-HMAC-SHA256 garbage',
    ]) {
      assert.equal(typeof parseSignatureHeader(bad), 'string', bad);
    }
  });

  it('X-Sdk-Date is the basic ISO form in UTC, real dates only', () => {
    const ms = Date.parse('2026-06-15T12:34:56Z');
    assert.equal(formatSdkDate(ms), '20260615T123456Z');
    assert.equal(parseSdkDate('20260615T123456Z'), ms);
    for (const bad of ['20260230T000000Z', '20260615T246000Z', '20260615T123456', '2026-06-15T12:34:56Z', '']) {
      assert.equal(parseSdkDate(bad), undefined, bad);
    }
  });
});

describe('master key and keyring', () => {
  it('accepts 32 bytes as hex, base64 or base64url; refuses anything else, naming the source', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), ` ${key.toString('base64')}\n`]) {
      assert.deepEqual(parseMasterKey(text, 'X'), key);
    }
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(33).toString('base64'), 'z'.repeat(64)]) {
      assert.throws(() => parseMasterKey(bad, 'AIMLEDGER_MASTER_KEY'), (e: Error) => e instanceof ConfigError && /AIMLEDGER_MASTER_KEY/.test(e.message));
    }
  });

  it('PostgreSQL needs the key set; an in-memory store gets a throw-away one', () => {
    assert.throws(() => loadMasterKey({ masterKey: undefined, databaseUrl: 'postgres://x/y' }), ConfigError);
    assert.equal(loadMasterKey({ masterKey: undefined, databaseUrl: 'sqlite::memory:' }).length, 32);
  });

  it('seals with AES-256-GCM bound to a context: other contexts, keys or edits do not open it', () => {
    const ring = new Keyring(randomBytes(32));
    const sealed = ring.encrypt('secret-value', 'AK1');
    assert.notEqual(sealed, ring.encrypt('secret-value', 'AK1'), 'a fresh IV every time');
    assert.equal(ring.decrypt(sealed, 'AK1'), 'secret-value');
    assert.equal(ring.decrypt(sealed, 'AK2'), undefined);
    assert.equal(new Keyring(randomBytes(32)).decrypt(sealed, 'AK1'), undefined);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[2] as string, 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[2] = body.toString('base64url');
    assert.equal(ring.decrypt(parts.join('.'), 'AK1'), undefined);
    assert.equal(ring.decrypt('v2.x.y.z', 'AK1'), undefined);
  });
});
