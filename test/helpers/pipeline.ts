import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/domain/clock.js';
import type { Role } from '../../src/domain/identity.js';
import { IdentityAdmin } from '../../src/service/identity-admin.js';
import { ReferenceData } from '../../src/service/reference-data.js';
import type { Store } from '../../src/store/store.js';
import { createTenant, fixedClock, type TestTenant } from './factories.js';
import { APP_NAME, CHANNEL, SIGN, TPL_ID, TPL_NAME } from './task-body.js';

export { APP_NAME, CHANNEL, SIGN, TPL_ID, TPL_NAME, phones, taskBody } from './task-body.js';


/** A tenant with one template and one signature (with channel number and app name). */
export async function tenantWithReferences(store: Store, role: Role = 'te_user'): Promise<TestTenant> {
  const tenant = await createTenant(store, role);
  const refs = new ReferenceData(store, fixedClock);
  await refs.addTemplate(tenant.account.id, { tplId: TPL_ID, tplName: TPL_NAME });
  await refs.addSignature(tenant.account.id, { smsSign: SIGN, channelNumber: CHANNEL, appName: APP_NAME });
  return tenant;
}


export async function postTask(app: FastifyInstance, token: string, body: unknown) {
  const res = await app.inject({ method: 'POST', url: '/v1/aim/send-tasks', headers: { 'x-auth-token': token }, payload: body as Record<string, unknown> });
  if (res.statusCode >= 500) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
  return res;
}

/** A platform operator token (delivery-report ingestion). */
export async function operatorToken(store: Store, clock: Clock = fixedClock): Promise<string> {
  return (await new IdentityAdmin(store, clock).createOperatorToken()).token;
}
