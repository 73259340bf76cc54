import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/domain/clock.js';
import type { Role } from '../../src/domain/identity.js';
import { IdentityAdmin } from '../../src/service/identity-admin.js';
import { ReferenceData } from '../../src/service/reference-data.js';
import type { Store } from '../../src/store/store.js';
import { createTenant, fixedClock, type TestTenant } from './factories.js';

export const TPL_ID = '600000001';
export const TPL_NAME = '【测试】会员通知';
export const SIGN = '华为云';
export const CHANNEL = '10690001';
export const APP_NAME = 'aim-app';

/** A tenant with one template and one signature (with channel number and app name). */
export async function tenantWithReferences(store: Store, role: Role = 'te_user'): Promise<TestTenant> {
  const tenant = await createTenant(store, role);
  const refs = new ReferenceData(store, fixedClock);
  await refs.addTemplate(tenant.account.id, { tplId: TPL_ID, tplName: TPL_NAME });
  await refs.addSignature(tenant.account.id, { smsSign: SIGN, channelNumber: CHANNEL, appName: APP_NAME });
  return tenant;
}

/** A valid CreateAimSendTask body for `phones`, in the shape of the official examples. */
export function taskBody(phones: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_name: '会员日通知',
    sms_channel: { channel_number: CHANNEL, sms_tpl_id: 15010661, sms_sign: SIGN, sms_app_name: APP_NAME },
    resolve_task: {
      tpl_id: TPL_ID, resolve_times: 1, aim_code_type: 'individual', expiration_time: 7,
      params: phones.map((p) => ({ cust_flag: p })),
    },
    ...overrides,
  };
}

export function phones(n: number, start = 13100000000): string[] {
  return Array.from({ length: n }, (_, i) => String(start + i));
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
