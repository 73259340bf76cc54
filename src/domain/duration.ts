const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `30m`, `24h`, `7d` (or plain seconds) to milliseconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]) * (UNIT_MS[m[2] || 's'] as number);
  return value > 0 ? value : null;
}

/** The largest whole unit that divides `ms`: 7d, 36h, 90m, 45s. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
