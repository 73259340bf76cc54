/*
 * How each table would be placed on a schema distributed by account (Citus:
 * `create_distributed_table(table, 'account_id')`). The one list of it: test/distribution.test.ts
 * checks the PostgreSQL schema against it, and docs/scaling.md explains it.
 */

/**
 * Distributed by account: every primary and unique key leads with account_id, so each row lives
 * with its account's other rows and every statement on it names one account.
 */
export const BY_ACCOUNT = [
  'send_details', 'send_detail_counts', 'send_detail_hour_counts', 'send_status_counts', 'send_status_hour_counts',
  'send_tasks', 'send_task_counts', 'resolve_tasks',
  'links', 'link_events', 'link_visitors', 'link_resolve_counts', 'template_day_counts',
] as const;

/**
 * Look-ups that start without an account: each maps its own key (what arrives) to account_id,
 * and is distributed by that key. One statement finds the account; the rest are by account.
 */
export const LOOKUPS: Readonly<Record<string, readonly string[]>> = {
  /** A reported msg_id (delivery reports, Kannel callbacks) → its account and send time. */
  send_detail_ids: ['msg_id'],
  /** A link opened (`Host` and path) → its account. */
  link_codes: ['domain', 'aim_code'],
  /** A link domain → the account that registered it. */
  link_domains: ['domain'],
  /** An IAM token presented → its account and user. */
  tokens: ['token_hash'],
  /** An AK/SK signature → its account and user. */
  access_keys: ['access_key'],
  /** A material's bytes by content key (shared by the account's materials that have the same bytes). */
  material_blobs: ['object_key'],
};

/**
 * Small tables that grow with customers and their catalogue, not with traffic: replicated to every
 * node (Citus reference tables), so their unique keys need not lead with the account.
 */
export const REFERENCE = [
  'accounts', 'users', 'settings', 'callbacks', 'signatures', 'sms_templates',
  'templates', 'template_vendors', 'template_materials', 'materials',
  'kysely_migration', 'kysely_migration_lock',
] as const;

/**
 * Tables that break the rule, and why. Both grow with traffic.
 */
export const EXCEPTIONS: Readonly<Record<string, string>> = {
  outbox: 'a work queue claimed across accounts by design (FOR UPDATE SKIP LOCKED over due jobs, oldest first); '
    + 'on a distributed schema each node would keep its own queue (a local table) for the work its accounts cause',
  delivery_reports: 'a report arrives before its account is known (parked until its message is recorded); keyed by its own id and the carrier\'s report key. '
    + 'To end it: key it by msg_id, like send_detail_ids, so a report and its look-up meet on one node',
};
