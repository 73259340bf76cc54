/**
 * The contract's time format: UTC only, `YYYY-MM-DDTHH:mm:ssZ`, optionally with 1–3 fractional
 * digits. Anything else (offsets, missing Z, impossible dates) is rejected.
 */
const CONTRACT_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** Parses a contract time to epoch milliseconds, or returns null when it is not one. */
export function parseContractTime(text: string): number | null {
  const m = CONTRACT_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls Feb 30 over into March; a round trip through the calendar catches it.
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return null;
  }
  return ms;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_SECONDS = 86_400;
/** The `YYYY-MM-DDT` of the day formatted last: a page's times mostly share a few days. */
let lastDay = Number.NaN;
let lastDayPrefix = '';

/**
 * Formats epoch milliseconds as the contract's `YYYY-MM-DDTHH:mm:ssZ` (whole seconds). Every
 * response row carries two of these: the date part is built once per day, the time from integers,
 * instead of a Date and its ISO string per field.
 */
export function formatContractTime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const day = Math.floor(seconds / DAY_SECONDS);
  if (day !== lastDay) {
    lastDayPrefix = new Date(day * DAY_SECONDS * 1000).toISOString().slice(0, 11);
    lastDay = day;
  }
  const s = seconds - day * DAY_SECONDS;
  return `${lastDayPrefix}${TWO_DIGITS[Math.floor(s / 3600)]}:${TWO_DIGITS[Math.floor(s / 60) % 60]}:${TWO_DIGITS[s % 60]}Z`;
}

/** Send and receive times are kept at whole seconds, the resolution the API shows. */
export function toWholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The same instant one calendar year earlier (Feb 29 falls back to Mar 1, as Date does). */
export function oneYearBefore(now: Date): number {
  const d = new Date(now.getTime());
  d.setUTCFullYear(d.getUTCFullYear() - 1);
  return d.getTime();
}

/** The start (00:00:00 UTC) of the day holding `ms`. */
export function dayStart(ms: number): number {
  return Math.floor(ms / 86_400_000) * 86_400_000;
}

/** ISO 8601 with milliseconds, as KooMessage shows creation times. */
export function formatIsoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

/** The instant `months` calendar months before `now`. */
export function monthsBefore(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}
