import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { callbackRequest, type CallbackRecord } from '../../domain/callback.js';
import { ErrorCodes } from '../../domain/errors.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const CallbackBody = Type.Object({
  callback_url: Text(1000, {
    minLength: 1, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'http:// or https:// URL.',
    'x-codes': { required: ErrorCodes.inputEmpty }, 'x-rule': 'an http:// or https:// URL of at most 1000 characters',
  }),
  url_type: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], {
    description: '0 single receipts (default), 1 template status, 2 batch receipts.',
    'x-rule': '0 (single receipts), 1 (template status) or 2 (batch receipts)',
  })),
}, { $id: 'AddCallBackRequestBody', title: 'AddCallBackRequestBody' });

const Callback = Type.Object({ callback_url: Type.String(), id: Type.String(), url_type: Type.Integer() });

export const CallbackAdded = Type.Object({
  status: Type.String({ examples: ['200'] }),
  message: Type.String({ examples: ['success'] }),
  data: Type.Object({ ...Callback.properties, replaced: Type.Boolean({ description: 'Extension: true when this replaced the URL the url_type had.' }) }),
});

export const CallbackList = Type.Object({ status: Type.String(), message: Type.String(), data: Type.Array(Callback) });

function callbackBody(c: CallbackRecord) {
  return { callback_url: c.callbackUrl, id: c.id, url_type: c.urlType };
}

/** AddCallBack and the list of receipt URLs. */
export async function callbackRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/callbacks', {
    schema: {
      operationId: 'AddCallBack',
      summary: 'Register the receipt URL for a url_type (role te_admin)',
      description: 'url_type 0: one sms receipt per message; 1: template status; 2: sms receipts in batches of up to 100. One URL per url_type: registering again replaces it (`replaced` says so). Addresses that resolve to private, loopback or link-local ranges are refused unless the deployment sets AIMLEDGER_CALLBACK_ALLOW_PRIVATE=true.',
      tags: ['callbacks'],
      body: CallbackBody,
      response: { 200: CallbackAdded, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'callbacks:manage'),
  }, async (request) => {
    const wanted = callbackRequest({ callbackUrl: request.body.callback_url, ...(request.body.url_type !== undefined ? { urlType: request.body.url_type } : {}) });
    const { callback, replaced } = await deps.callbacks.register(principalOf(request).account.id, wanted);
    return { status: '200', message: 'success', data: { ...callbackBody(callback), replaced } };
  });

  app.get('/v1/aim/callbacks', {
    schema: {
      operationId: 'ListAimCallbacks',
      summary: 'The registered receipt URLs (role te_admin)',
      tags: ['callbacks'],
      response: { 200: CallbackList, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'callbacks:manage'),
  }, async (request) => ({
    status: '200', message: 'success', data: (await deps.callbacks.list(principalOf(request).account.id)).map(callbackBody),
  }));
}
