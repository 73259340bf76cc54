/**
 * Deterministic synthetic data: the demo's account and (later) benchmark data sets. Seeded, so the
 * same seed always produces the same rows.
 */

/** mulberry32: a small, fast, seedable PRNG; plenty for synthetic data (not for secrets). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export function randomInt(random: () => number, min: number, maxInclusive: number): number {
  return min + Math.floor(random() * (maxInclusive - min + 1));
}

/** A version-4-shaped UUID drawn from the seeded generator. */
export function syntheticUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(random() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const MOBILE_PREFIXES = ['130', '131', '132', '135', '136', '137', '138', '139', '150', '151', '158', '166', '177', '186', '188', '199'];

/** An 11-digit mainland China mobile number. */
export function syntheticPhone(random: () => number): string {
  return pick(random, MOBILE_PREFIXES) + String(Math.floor(random() * 1e8)).padStart(8, '0');
}

/** Carrier-style failure codes as they appear in result_code. */
export const FAILURE_CODES = ['UNDELIV', 'EXPIRED', 'REJECTD', 'MK:0001', 'MK:0005', 'M2:0045', 'MN:0001', 'DB:0107', 'MI:0013'] as const;

export const DEMO_TEMPLATES = [
  ['600000001', '【测试市场案例】参数通知模板'],
  ['600000002', '双十一大促-会员专享'],
  ['600000003', '订单发货通知'],
  ['600000004', 'Payment reminder'],
  ['600000005', '账户安全提醒'],
  ['600000006', '新品上市推荐'],
  ['600000007', 'Delivery survey, "quick" 3 questions'],
  ['600000008', '优惠券到期提醒'],
] as const;

export const DEMO_SIGNATURES = [
  ['华为云', '10690001'],
  ['KooMessage', '10690002'],
  ['示例商城', '10690003'],
  ['Example Bank', '10690004'],
  ['快递助手', '10690005'],
] as const;

export const TASK_NAME_STEMS = ['智能信息发送-动态参数', '会员日活动', 'Order shipped notice', '物流通知', 'Monthly statement', '优惠券提醒', '新品推荐'];
