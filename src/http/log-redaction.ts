const REDACTED = '[redacted]';

/** Query parameters whose values never reach the log. */
const SECRET_PARAMS = new Set(['secret']);
/** Query parameters that hold phone numbers: logged only at debug level or finer. */
const PHONE_PARAMS = new Set(['cust_flag', 'send_account', 'phone']);

/**
 * The request URL as the log shows it: the path as received, and each query parameter with its
 * value replaced by `[redacted]` when it is a secret (always) or a phone number (unless `phones`).
 */
export function redactUrl(url: string, options: { phones: boolean }): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const path = url.slice(0, q);
  let changed = false;
  const kept = new URLSearchParams();
  for (const [name, value] of new URLSearchParams(url.slice(q + 1))) {
    const hide = SECRET_PARAMS.has(name) || (!options.phones && PHONE_PARAMS.has(name));
    changed ||= hide;
    kept.append(name, hide ? REDACTED : value);
  }
  return changed ? `${path}?${kept.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED)}` : url;
}
