import type { Generated } from 'kysely';
import { SEND_STATUSES, type SendStatus } from '../domain/send-detail.js';

/** Table shapes as Kysely sees them. Times are epoch milliseconds in BIGINT columns on every backend. */
export interface Database {
  accounts: {
    id: Generated<number>;
    domain_id: string;
    /** Set for every row since migration 0005. */
    project_id: string | null;
    name: string;
    created_at: number;
  };
  users: {
    id: Generated<number>;
    account_id: number;
    name: string;
    /** Set for every row since migration 0005. */
    public_id: string | null;
    password_hash: string | null;
    role: string;
    created_at: number;
    /** 'active' or 'disabled' (migration 0009). */
    status: Generated<string>;
  };
  tokens: {
    token_hash: string;
    user_id: number;
    account_id: number;
    created_at: number;
    expires_at: number;
    /** 'project' or 'domain' (TokenScope). */
    scope: Generated<string>;
    /** How it was obtained: 'password' (POST /v3/auth/tokens) or 'token' (issued by the CLI). */
    method: Generated<string>;
  };
  access_keys: {
    access_key: string;
    account_id: number;
    user_id: number;
    /** The secret key, AES-256-GCM under the master key (see identity/keyring.ts). */
    secret_enc: string;
    status: 'active' | 'inactive';
    created_at: number;
  };
  settings: {
    name: string;
    value: string;
  };
  templates: {
    account_id: number;
    tpl_id: string;
    tpl_name: string;
    created_at: number;
    /** 1 enabled, 0 disabled. */
    tpl_state: Generated<number>;
    /** sms_example. */
    description: string | null;
    /** The card (null for templates registered by id and name only). */
    card_id: string | null;
    scene: string | null;
    use_id: number | null;
    sub_type: number | null;
    match_type: number | null;
    /** JSON text of the pages as submitted. */
    pages: string | null;
    /** JSON: the declared variables, [{key, name, type, example}]. */
    params: string | null;
    has_param: Generated<number>;
    /** JSON: the signatures the template may be sent with. */
    sms_signs: string | null;
    sms_template: string | null;
    /** 1 reviewing, 2 approved, 3 rejected. */
    audit_state: Generated<number>;
    audit_desc: string | null;
    updated_at: number | null;
    disable_time: number | null;
    disable_desc: string | null;
    /** Soft deletion: gone from lists and sends, kept for what names it. */
    deleted_at: number | null;
    /** The unguessable part of the preview URL. */
    preview_key: string | null;
  };
  /** Template materials (images, videos, thumbnails). */
  materials: {
    account_id: number;
    material_id: string;
    aim_resource_id: string;
    /** image | video | thumbnail */
    resource_type: string;
    file_name: string;
    description: string | null;
    image_rate: string | null;
    /** A thumbnail's video (its material_id). */
    video_id: string | null;
    is_primary: Generated<number>;
    content_type: string;
    size: number;
    object_key: string;
    created_at: number;
  };
  /** Material bytes, where the database keeps them. */
  material_blobs: {
    object_key: string;
    account_id: number;
    data: Buffer;
  };
  /** The materials a template's pages use. */
  template_materials: {
    account_id: number;
    tpl_id: string;
    aim_resource_id: string;
  };
  /** Per-recipient short links. */
  links: {
    domain: string;
    aim_code: string;
    account_id: number;
    resolve_id: string;
    task_id: string;
    task_name: string;
    tpl_id: string;
    tpl_name: string;
    cust_flag: string;
    /** The user name that sent it. */
    send_account: string;
    msg_id: string | null;
    /** JSON. */
    dync_params: string | null;
    custom_url: string | null;
    sms_sign: string | null;
    /** individual | group */
    code_type: string;
    expires_at: number;
    resolving_times: number;
    resolved_times: Generated<number>;
    /** unresolved | success | fail */
    resolved_status: Generated<string>;
    resolved_time: number | null;
    created_at: number;
  };
  /** Template reports: per template and day of the events. */
  template_day_counts: {
    account_id: number;
    tpl_id: string;
    day: number;
    resolving_times: Generated<number>;
    expose_pv: Generated<number>;
    expose_uv: Generated<number>;
    click_pv: Generated<number>;
    click_uv: Generated<number>;
  };
  /** Who was already counted for a link, a day and a kind (expose or click): the unique counts. */
  link_visitors: {
    account_id: number;
    domain: string;
    aim_code: string;
    day: number;
    kind: string;
    visitor: string;
  };
  /** Which account a link's code belongs to: the look-up that starts without an account (a link opened). */
  link_codes: {
    domain: string;
    aim_code: string;
    account_id: number;
  };
  /** Short-link domains registered for an account (custom: the customer's codes; standard: drawn codes). */
  link_domains: {
    domain: string;
    account_id: number;
    codes: string;
    created_at: number;
  };
  /** Resolve tasks: links for customers who send the SMS themselves. */
  resolve_tasks: {
    account_id: number;
    task_id: string;
    tpl_id: string;
    /** group | individual */
    aim_code_type: string;
    domain: string | null;
    expiration_time: number;
    resolving_times: number;
    /** JSON list. */
    sms_signs: string;
    created_at: number;
  };
  /** Resolves per template and day the links were sent (UTC day start). */
  link_resolve_counts: {
    account_id: number;
    tpl_id: string;
    day: number;
    n: number;
  };
  /** Every open of a link: resolve, reopen, preview (not a person) or refused (expired, used up). */
  link_events: {
    id: Generated<number>;
    account_id: number;
    domain: string;
    aim_code: string;
    kind: string;
    user_agent: string | null;
    at: number;
  };
  /** A template's review by each vendor it was submitted to. */
  template_vendors: {
    account_id: number;
    tpl_id: string;
    factory_type: string;
    /** reviewing | approved | rejected */
    review: string;
    reason: string | null;
    updated_at: number;
  };
  signatures: {
    account_id: number;
    sms_sign: string;
    channel_number: string | null;
    app_name: string | null;
    created_at: number;
  };
  send_tasks: {
    account_id: number;
    task_id: string;
    task_name: string;
    tpl_id: string | null;
    sms_sign: string | null;
    created_at: number;
    /** Set for tasks created through the API; null for imported ones. */
    sms_tpl_id: string | null;
    channel_number: string | null;
    sms_app_name: string | null;
    aim_code_type: string | null;
    resolve_times: number | null;
    expiration_time: number | null;
    generation_type: string | null;
    domain: string | null;
    submission_count: number | null;
    task_state: Generated<string>;
  };
  send_details: {
    account_id: number;
    msg_id: string;
    task_id: string | null;
    task_name: string | null;
    tpl_id: string | null;
    tpl_name: string | null;
    sms_sign: string | null;
    cust_flag: string | null;
    send_account: string | null;
    /** 0 sending, 1 success, 2 fail (see `STATUS_CODES`). */
    send_status: number;
    send_time: number;
    receive_time: number | null;
    result_code: string | null;
    updated_at: number;
  };
  /** msg_id uniqueness on partitioned backends (PostgreSQL); absent on SQLite. */
  send_detail_ids: {
    account_id: number;
    msg_id: string;
    send_time: number;
  };
  /** Per-day detail counts by status, by template and signature ('' = any; see detail-counts.ts). */
  send_status_counts: {
    account_id: number;
    tpl_id: string;
    sms_sign: string;
    day: number;
    send_status: number;
    n: number;
  };
  callbacks: {
    account_id: number;
    /** 0 single receipts, 1 template status, 2 batch receipts. */
    url_type: number;
    id: string;
    callback_url: string;
    created_at: number;
    updated_at: number;
  };
  /** SMS template contents by id: `${1}`-style variables filled from sms_params. */
  sms_templates: {
    account_id: number;
    sms_tpl_id: string;
    content: string;
    created_at: number;
  };
  /** Work to do later, at least once: message dispatch and scheduled reports. */
  outbox: {
    id: Generated<number>;
    kind: string;
    account_id: number | null;
    /** JSON. */
    payload: string;
    attempts: Generated<number>;
    run_at: number;
    /** A worker holds the job until then; a crashed worker's jobs come back after it. */
    locked_until: number | null;
    last_error: string | null;
    created_at: number;
  };
  /** Every delivery report as received, and what became of it. */
  delivery_reports: {
    id: Generated<number>;
    /** `id:<report_id>` or `h:<hash of the report>`; null for rejected reports. */
    report_key: string | null;
    msg_id: string | null;
    account_id: number | null;
    raw: string;
    /** applied | duplicate | parked | rejected */
    state: string;
    reason: string | null;
    received_at: number;
    applied_at: number | null;
  };
  /** Per-hour detail counts, for the partial days at the ends of a range (see detail-counts.ts). */
  send_detail_hour_counts: {
    account_id: number;
    tpl_id: string;
    sms_sign: string;
    hour: number;
    n: number;
  };
  /** Per-hour detail counts by status, by template and signature ('' = any). */
  send_status_hour_counts: {
    account_id: number;
    tpl_id: string;
    sms_sign: string;
    hour: number;
    send_status: number;
    n: number;
  };
  /** Per-task detail counts by status (see detail-counts.ts). */
  send_task_counts: {
    account_id: number;
    task_id: string;
    send_status: number;
    n: number;
  };
  /** Per-day detail counts; '' in tpl_id / sms_sign means "any" (see detail-counts.ts). */
  send_detail_counts: {
    account_id: number;
    tpl_id: string;
    sms_sign: string;
    day: number;
    n: number;
  };
}

/** How `send_status` is stored: a status's position in SEND_STATUSES (0 sending, 1 success, 2 fail). */
export const STATUS_CODES = Object.fromEntries(SEND_STATUSES.map((status, code) => [status, code])) as Record<SendStatus, number>;

/** The status a stored `send_status` code stands for; throws on a code no status has. */
export function statusOfCode(code: number): SendStatus {
  const status = SEND_STATUSES[code];
  if (status === undefined) throw new Error(`send_details.send_status holds unknown code ${code}`);
  return status;
}
