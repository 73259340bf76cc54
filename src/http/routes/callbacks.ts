import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { parseCallbackBody, type CallbackRecord, type CallbackRequest } from '../../domain/callback.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { errorResponses, validateWith } from './common.js';

export const CallbackBody = Type.Object({
  callback_url: Type.String({ minLength: 1, maxLength: 1000, description: 'http:// or https:// URL.' }),
  url_type: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { description: '0 single receipts (default), 1 template status, 2 batch receipts.' })),
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
export async function callbackRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.post('/v1/aim/callbacks', {
    schema: {
      operationId: 'AddCallBack',
      summary: 'Register the receipt URL for a url_type (role te_admin)',
      description: 'url_type 0: one sms receipt per message; 1: template status; 2: sms receipts in batches of up to 100. One URL per url_type: registering again replaces it (`replaced` says so). Addresses that resolve to private, loopback or link-local ranges are refused unless the deployment sets AIMLEDGER_CALLBACK_ALLOW_PRIVATE=true.',
      tags: ['callbacks'],
      body: CallbackBody,
      response: { 200: CallbackAdded, ...errorResponses },
    },
    validatorCompiler: validateWith('body', parseCallbackBody),
    preValidation: requireOperation(deps.authenticator, 'callbacks:manage'),
  }, async (request) => {
    const { callback, replaced } = await deps.callbacks.register(principalOf(request).account.id, request.body as CallbackRequest);
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
