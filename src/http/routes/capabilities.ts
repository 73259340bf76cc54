import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { CAPABILITY_SETTING, checkCapability, parseCapabilitySource } from '../../domain/capability.js';
import { ErrorCodes, InvalidParameter } from '../../domain/errors.js';
import type { AppDeps } from '../deps.js';
import { principalOf, requireOperation } from '../auth.js';
import { OneOf, Text } from '../schemas.js';
import { errorResponses } from './common.js';

export const CapabilityBody = Type.Object({
  mobiles: Type.Array(Type.String({ minLength: 1, maxLength: 40, pattern: '^(\\+?[0-9]{5,20}|[0-9a-fA-F]{40})$', 'x-rule': 'a phone number (digits, optional country code) or a 40-digit hexadecimal SHA-1' }), {
    minItems: 1, maxItems: 100, 'x-codes': { required: ErrorCodes.inputEmpty }, 'x-rule': 'a list of 1 to 100 numbers',
  }),
  encryption_alg: Type.Optional(OneOf(['NONE', 'SHA1'], 'NONE or SHA1')),
  tpl_id: Type.Optional(Text(32, { pattern: '^[0-9]{9}$', 'x-codes': { value: ErrorCodes.templateNotFound }, 'x-rule': 'the 9-digit AIM template id' })),
}, { $id: 'CheckMobileCapabilityRequestBody', title: 'CheckMobileCapabilityRequestBody' });

export const CapabilityResponse = Type.Object({
  tpl_id: Type.Optional(Type.String()),
  supported_mobiles: Type.Array(Type.String()),
  unsupported_mobiles: Type.Array(Type.String()),
});

/** CheckMobileCapability, answered from the operator's capability source. */
export async function capabilityRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/aim/mobile-capabilities/check', {
    schema: {
      operationId: 'CheckMobileCapability',
      summary: 'Which numbers can show an intelligent message',
      description: 'From the operator\'s source (`aimledger capability set`): plain numbers are judged by their national number\'s prefix (86/0086 dropped), SHA-1 digests (encryption_alg SHA1, of the country code and number) exactly; every other number is supported. With tpl_id, no number is supported unless some vendor approved the template.',
      tags: ['links'],
      body: CapabilityBody,
      response: { 200: CapabilityResponse, ...errorResponses },
    },
    preValidation: requireOperation(deps.authenticator, 'capabilities:check'),
  }, async (request) => {
    const { mobiles, encryption_alg: alg = 'NONE', tpl_id: tplId } = request.body;
    if (alg === 'SHA1' && mobiles.some((m) => !/^[0-9a-fA-F]{40}$/.test(m))) throw new InvalidParameter('mobiles must be SHA-1 digests (40 hexadecimal digits) when encryption_alg is SHA1');
    if (alg === 'NONE' && mobiles.some((m) => !/^\+?[0-9]{5,20}$/.test(m))) throw new InvalidParameter('mobiles must be phone numbers (5 to 20 digits) when encryption_alg is NONE');
    let showable = true;
    if (tplId !== undefined) {
      const template = await deps.store.templates.find(principalOf(request).account.id, tplId);
      if (!template) throw new InvalidParameter(`template ${tplId} does not exist`, ErrorCodes.templateNotFound);
      showable = template.auditState === 2;
    }
    const source = parseCapabilitySource(await deps.store.settings.get(CAPABILITY_SETTING));
    const { supported, unsupported } = checkCapability(mobiles, alg as 'NONE' | 'SHA1', source, showable);
    return { ...(tplId !== undefined ? { tpl_id: tplId } : {}), supported_mobiles: supported, unsupported_mobiles: unsupported };
  });
}
