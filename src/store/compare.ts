/** Orders text by code point (as the database's binary collation does), never by locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Splits `items` into chunks that keep one statement under the backend's parameter limit. */
export function chunks<T>(items: T[], columnsPerRow: number, maxParameters: number): T[][] {
  const size = Math.max(1, Math.min(1000, Math.floor(maxParameters / columnsPerRow)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
