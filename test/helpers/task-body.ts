/**
 * The test template and signature, and a valid send task body. Kept apart from the app helpers so
 * benchmarks can use it without loading the test runner.
 */
export const TPL_ID = '600000001';
export const TPL_NAME = '【测试】会员通知';
export const SIGN = '华为云';
export const CHANNEL = '10690001';
export const APP_NAME = 'aim-app';

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
