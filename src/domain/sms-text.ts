/**
 * The SMS text as KooMessage builds it: the signature in 【】 brackets, then the SMS template's
 * content with `${aim_url}` replaced by the recipient's link and `${1}`, `${2}`, … by
 * `sms_params` in order (a variable without a value becomes empty).
 */
export function smsText(sign: string, content: string, params: readonly string[] | null, link: string | null = null): string {
  return `【${sign}】${content.replace(/\$\{(\d+|aim_url)\}/g, (_m, n: string) => (n === 'aim_url' ? link ?? '' : params?.[Number(n) - 1] ?? ''))}`;
}

export type DlrVerdict = { status: string; resultCode: string | null };

/**
 * Reads a Kannel delivery report: type 1 delivered, 2 failed, 16 rejected by the SMSC (final);
 * 4 buffered and 8 accepted by the SMSC (under way). The carrier's own `stat:` and `err:` from
 * the receipt text (`%A`) are kept when present.
 */
export function kannelDlr(type: number, text: string): DlrVerdict | undefined {
  const stat = /(?:^|\s)stat:(\S+)/.exec(text)?.[1];
  const err = /(?:^|\s)err:(\S+)/.exec(text)?.[1];
  switch (type) {
    case 1: return { status: 'DELIVRD', resultCode: null };
    case 2: return { status: stat && stat !== 'DELIVRD' ? stat : 'UNDELIV', resultCode: err && err !== '000' ? `${stat ?? 'UNDELIV'}:${err}`.slice(0, 64) : null };
    case 16: return { status: 'REJECTD', resultCode: text.replace(/^NACK\/?/, '').trim().slice(0, 64) || 'REJECTD' };
    case 4: return { status: 'ENROUTE', resultCode: null };
    case 8: return { status: 'ACCEPTD', resultCode: null };
    default: return undefined;
  }
}
