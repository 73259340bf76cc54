import { SIGN } from './task-body.js';

/**
 * A valid CreateAimPersonalTemplate body in the shape of the official examples: an image with a
 * link, a text that greets ${param1} and carries the opt-out, a button, for HUAWEI and OPPO.
 */
export function cardBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tpl_name: '账单提醒',
    use_id: 1,
    card_id: 'StandardImageAndText',
    scene: '通知',
    pages: [{
      page_order: 1,
      contents: [
        { type: 'image', position_number: 1, src: 'https://cdn.example.com/bill.jpg', src_type: 2, action_type: 'OPEN_URL', action: { target: 'https://shop.example.com/${param1}' } },
        { type: 'text', position_number: 2, content: '尊敬的${param1},您的账单已出。拒收请回复R', is_text_title: 'false' },
        { type: 'button', position_number: 3, content: '查看账单', action_type: 'OPEN_BROWSER', action: { target: 'https://shop.example.com/bill' } },
      ],
    }],
    params: [{ name: '${param1}', type: 1, example: '张三' }],
    factorys: [{ factory_type: 'HUAWEI', state: 1 }, { factory_type: 'OPPO', state: 1 }],
    sms_signs: [SIGN],
    sms_example: '您的账单已出',
    ...overrides,
  };
}

/** A card without variables, as group links need: the same card with fixed texts and targets. */
export function plainCardBody(): Record<string, unknown> {
  const plain = cardBody({ params: [] });
  const pages = plain.pages as Array<{ contents: Array<Record<string, unknown>> }>;
  pages[0]!.contents[0] = { ...pages[0]!.contents[0], action: { target: 'https://shop.example.com/a' } };
  pages[0]!.contents[1] = { ...pages[0]!.contents[1], content: '您的账单已出。拒收请回复R' };
  return plain;
}
