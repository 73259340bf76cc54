const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `30m`, `24h`, `7d` (or plain seconds) to milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]) * (UNIT_MS[m[2] || 's'] as number);
  return value > 0 ? value : null;
}
