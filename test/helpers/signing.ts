import { stringify } from 'node:querystring';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { formatSdkDate } from '../../src/identity/signature.js';
import { NOW } from './factories.js';

/** The host the signed test requests claim to be sent to. */
export const TEST_HOST = 'koomessage.test:8443';

export interface SignedRequest {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  query?: Record<string, string | string[]>;
  /** Sent as JSON. */
  body?: unknown;
  /** Extra headers to sign (and send). */
  headers?: Record<string, string>;
  /** The X-Sdk-Date to sign; default NOW (the suite's fixed clock). */
  at?: number;
}

/**
 * Signs a request with the official Huawei Cloud SDK core's own signer (not ours) and returns the
 * pieces to send: the URL as the SDK's HTTP client serialises it, the headers, and the body text.
 */
export function sdkSign(ak: string, sk: string, req: SignedRequest): { url: string; headers: Record<string, string>; payload?: string } {
  const headers: Record<string, string> = { 'X-Sdk-Date': formatSdkDate(req.at ?? NOW), ...req.headers };
  if (req.body !== undefined) headers['Content-Type'] = 'application/json';
  const signed = AKSKSigner.sign({
    endpoint: `http://${TEST_HOST}${req.path}`,
    method: req.method,
    headers,
    queryParams: req.query ?? {},
    data: req.body,
  } as never, new BasicCredentials().withAk(ak).withSk(sk)) as Record<string, string>;
  const query = req.query && Object.keys(req.query).length > 0 ? `?${stringify(req.query)}` : '';
  return {
    url: `${req.path}${query}`,
    headers: signed,
    ...(req.body !== undefined ? { payload: JSON.stringify(req.body) } : {}),
  };
}

/** Sends what `sdkSign` produced through `app.inject`, after an optional tampering step. */
export async function sendSigned(
  app: FastifyInstance,
  method: SignedRequest['method'],
  signed: { url: string; headers: Record<string, string>; payload?: string },
  options: { remoteAddress?: string } = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method, url: signed.url, headers: signed.headers,
    ...(signed.payload !== undefined ? { payload: signed.payload } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}
