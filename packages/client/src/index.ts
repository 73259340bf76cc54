/**
 * The typed aimledger client, `@aimledger/client`. Its types are generated from the server's own
 * route schemas (schema.ts) and it has no dependencies. Requests go through an injectable `fetch`;
 * authentication is an IAM token or an AK/SK signature computed as the official Huawei Cloud SDKs
 * do (Web Crypto, so it runs in Node.js and in browsers alike).
 */
import { canonicalQueryString, canonicalUri, formatSdkDate, SIGNING_ALGORITHM } from './canonical.js';
import {
  RESULT_WINDOW,
  type CreateResolveTaskRequest, type CreateSendTaskBody, type CreateTemplateRequest, type DeliveryReportsRequest, type DeliveryReportsResponseBody,
  type ExportQuery, type MaterialsQuery, type MaterialsResponseBody, type MaterialUploadedBody, type ResolveDetailsQuery,
  type ResolveDetailsResponseBody, type ResolveTaskCreatedBody, type ResolveTasksQuery, type ResolveTasksResponseBody, type SendDetailsPage,
  type SendDetailsQuery, type SendReportsQuery, type SendReportsResponseBody, type SendTaskCreatedBody, type SendTasksQuery,
  type SendTasksResponseBody, type TemplateCreatedBody, type TemplateReportsQuery, type TemplateReportsResponseBody, type TemplatesQuery,
  type TemplatesResponseBody, type ThumbnailsResponseBody, type TokenRequestBody, type TokenResponseBody, type UploadMaterialRequest,
} from './schema.js';

export * from './schema.js';

export type SendDetailsFilter = Omit<SendDetailsQuery, 'offset' | 'limit'>;
export type SendDetailRow = SendDetailsPage['send_details'][number];
/** The `{status, message, data: null}` answer of state changes and deletions. */
export interface DoneBody { status: string; message: string; data: null }
export type DeliveryReport = DeliveryReportsRequest['reports'][number];

export type Credentials =
  | { token: string }
  | { accessKey: string; secretKey: string; projectId?: string };

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  /** Absent: only `createToken` can be called. */
  credentials?: Credentials;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Any non-2xx answer, with the service's error code and message and the request id to quote. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorMsg: string,
    readonly requestId: string | null,
    readonly body: unknown,
  ) {
    super(`${status} ${errorCode}: ${errorMsg}`);
    this.name = 'ApiError';
  }
}


type QueryValue = string | number | boolean | ReadonlyArray<string> | undefined;

function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A query type's fields (string, number, boolean or a list of strings), each absent or sent. */
function queryString(query: object | undefined): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query ?? {}) as Array<[string, QueryValue]>) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) parts.push(`${encode(name)}=${encode(String(one))}`);
  }
  return parts.join('&');
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text)));
}

/**
 * Signs a request as the Huawei Cloud SDK cores do: every header given is signed (lower-cased,
 * sorted), plus host and X-Sdk-Date. Returns the headers to send.
 */
export async function signRequest(input: {
  method: string; url: URL; headers: Record<string, string>; body: string; accessKey: string; secretKey: string; now?: number;
}): Promise<Record<string, string>> {
  const date = formatSdkDate(input.now ?? Date.now());
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) all[name.toLowerCase()] = value;
  all.host = input.url.host;
  all['x-sdk-date'] = date;
  const names = Object.keys(all).sort();
  const canonical = [
    input.method.toUpperCase(),
    canonicalUri(input.url.pathname),
    canonicalQueryString(input.url.search.replace(/^\?/, '')),
    names.map((n) => `${n}:${all[n]}\n`).join(''),
    names.join(';'),
    await sha256Hex(input.body),
  ].join('\n');
  const toSign = [SIGNING_ALGORITHM, date, await sha256Hex(canonical)].join('\n');
  const signature = await hmacHex(input.secretKey, toSign);
  const headers = { ...input.headers, 'X-Sdk-Date': date };
  // Browsers and fetch set Host themselves, from the URL; it is signed above.
  return { ...headers, Authorization: `${SIGNING_ALGORITHM} Access=${input.accessKey}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

/** The aimledger API, typed. */
export class AimLedgerClient {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private async request(method: string, path: string, options: { query?: object; body?: unknown; headers?: Record<string, string>; anonymous?: boolean } = {}): Promise<Response> {
    const qs = queryString(options.query);
    const url = new URL(`${path}${qs ? `?${qs}` : ''}`, this.options.endpoint);
    const body = options.body === undefined ? '' : JSON.stringify(options.body);
    let headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const credentials = options.anonymous ? undefined : this.options.credentials;
    if (credentials && 'token' in credentials) {
      headers['X-Auth-Token'] = credentials.token;
    } else if (credentials) {
      if (credentials.projectId) headers['X-Project-Id'] = credentials.projectId;
      headers = await signRequest({ method, url, headers, body, accessKey: credentials.accessKey, secretKey: credentials.secretKey });
    }
    const response = await this.fetch(url, { method, headers, ...(options.body !== undefined ? { body } : {}) });
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  private async json<T>(method: string, path: string, options: Parameters<AimLedgerClient['request']>[2] = {}): Promise<T> {
    return (await (await this.request(method, path, options)).json()) as T;
  }

  /** `POST /v3/auth/tokens`: signs in with a password and returns the token (X-Subject-Token) and its body. */
  async createToken(login: { user: string; password: string; domain: { name: string } | { id: string }; scope?: TokenRequestBody['auth']['scope'] }): Promise<{ token: string; body: TokenResponseBody }> {
    const request: TokenRequestBody = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: login.user, password: login.password, domain: login.domain } } },
        ...(login.scope ? { scope: login.scope } : {}),
      },
    };
    const response = await this.request('POST', '/v3/auth/tokens', { body: request, anonymous: true });
    return { token: response.headers.get('x-subject-token') ?? '', body: (await response.json()) as TokenResponseBody };
  }

  /** `GET /v3/auth/tokens`: what a token of the caller's account is. */
  async validateToken(subjectToken: string): Promise<TokenResponseBody> {
    return this.json('GET', '/v3/auth/tokens', { headers: { 'X-Subject-Token': subjectToken } });
  }

  /** `GET /v1/aim/send-details` (ListAimSendDetails): one page and the exact total. */
  async listSendDetails(query: SendDetailsQuery): Promise<SendDetailsPage> {
    return this.json('GET', '/v1/aim/send-details', { query });
  }

  /**
   * Every row of a filter, page by page, newest first. Stops at the contract's 10000-row window;
   * `exportSendDetails` has no window.
   */
  async *iterateSendDetails(filter: SendDetailsFilter = {}, pageSize = 100): AsyncGenerator<SendDetailRow> {
    for (let offset = 0; offset + pageSize <= RESULT_WINDOW; offset += pageSize) {
      const page = await this.listSendDetails({ ...filter, offset, limit: pageSize });
      yield* page.send_details;
      if (offset + pageSize >= page.page_info.total) return;
    }
  }

  /** `GET /v1/aim/send-details/export`: the response body as a byte stream (CSV or NDJSON). */
  async exportSendDetails(query: ExportQuery = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.request('GET', '/v1/aim/send-details/export', { query });
    if (!response.body) throw new Error('the export answered without a body');
    return response.body;
  }

  /** `POST /v1/aim/send-tasks` (CreateAimSendTask). */
  async createSendTask(body: CreateSendTaskBody): Promise<SendTaskCreatedBody> {
    return this.json('POST', '/v1/aim/send-tasks', { body });
  }

  /** `GET /v1/aim/send-tasks` (ListAimSendTasks). */
  async listSendTasks(query: SendTasksQuery = {}): Promise<SendTasksResponseBody> {
    return this.json('GET', '/v1/aim/send-tasks', { query });
  }

  /** `POST /v1/aim/send-reports` (ListAimSendReports). */
  async listSendReports(query: SendReportsQuery = {}): Promise<SendReportsResponseBody> {
    return this.json('POST', '/v1/aim/send-reports', { body: query });
  }

  /** `GET /v1/aim/templates` (ListAimTemplates). */
  async listTemplates(query: TemplatesQuery = {}): Promise<TemplatesResponseBody> {
    return this.json('GET', '/v1/aim/templates', { query });
  }

  /** `GET /v1/aim/resolve-details` (ListAimResolveDetails). */
  async listResolveDetails(query: ResolveDetailsQuery): Promise<ResolveDetailsResponseBody> {
    return this.json('GET', '/v1/aim/resolve-details', { query });
  }

  /** `POST /v1/aim/template-reports/query` (ListAimTemplateReports). */
  async listTemplateReports(query: TemplateReportsQuery): Promise<TemplateReportsResponseBody> {
    return this.json('POST', '/v1/aim/template-reports/query', { body: query });
  }

  /** `POST /v1/aim/resolve-tasks` (CreateResolveTask). */
  async createResolveTask(body: CreateResolveTaskRequest): Promise<ResolveTaskCreatedBody> {
    return this.json('POST', '/v1/aim/resolve-tasks', { body });
  }

  /** `GET /v1/aim/resolve-tasks` (ListResolveTasks). */
  async listResolveTasks(query: ResolveTasksQuery = {}): Promise<ResolveTasksResponseBody> {
    return this.json('GET', '/v1/aim/resolve-tasks', { query });
  }

  /** `POST /v1/aim/templates` (CreateAimPersonalTemplate). */
  async createTemplate(body: CreateTemplateRequest): Promise<TemplateCreatedBody> {
    return this.json('POST', '/v1/aim/templates', { body });
  }

  /** `PUT /v1/aim/template-state/{tpl_id}` (UpdatePersonalTemplateState): 0 disables, 1 enables. */
  async setTemplateState(tplId: string, tplState: 0 | 1): Promise<DoneBody> {
    return this.json('PUT', `/v1/aim/template-state/${encodeURIComponent(tplId)}`, { body: { tpl_state: tplState } });
  }

  /** `DELETE /v1/aim/template/{tpl_id}` (DeleteAimPersonalTemplate). */
  async deleteTemplate(tplId: string): Promise<DoneBody> {
    return this.json('DELETE', `/v1/aim/template/${encodeURIComponent(tplId)}`);
  }

  /** `POST /v1/aim/template-materials` (UploadAimTemplateMaterial). */
  async uploadMaterial(body: UploadMaterialRequest): Promise<MaterialUploadedBody> {
    return this.json('POST', '/v1/aim/template-materials', { body });
  }

  /** `GET /v1/aim/template-materials` (ListAimTemplateMaterials): `offset` is a page number from 1. */
  async listMaterials(query: MaterialsQuery): Promise<MaterialsResponseBody> {
    return this.json('GET', '/v1/aim/template-materials', { query });
  }

  /** `POST /v1/aim/template-materials/delete` (DeleteTemplateMaterial). */
  async deleteMaterials(materialIds: string[]): Promise<DoneBody> {
    return this.json('POST', '/v1/aim/template-materials/delete', { body: { material_ids: materialIds } });
  }

  /** `GET /v1/aim/template-material-thumbnails` (ShowTemplateVideoThumbnail). */
  async listThumbnails(aimResourceId: string): Promise<ThumbnailsResponseBody> {
    return this.json('GET', '/v1/aim/template-material-thumbnails', { query: { aim_resource_id: aimResourceId } });
  }

  /** `POST /v1/aim/template-material-thumbnails` (SetPrimaryVideoThumbnail). */
  async setPrimaryThumbnail(aimResourceId: string, thumbnailId: string): Promise<DoneBody> {
    return this.json('POST', '/v1/aim/template-material-thumbnails', { body: { aim_resource_id: aimResourceId, thumbnail_id: thumbnailId } });
  }

  /** `POST /v1/aim/delivery-reports` (platform operators). */
  async ingestDeliveryReports(reports: DeliveryReport[]): Promise<DeliveryReportsResponseBody> {
    return this.json('POST', '/v1/aim/delivery-reports', { body: { reports } });
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id');
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    return new ApiError(response.status, String(response.status), text.slice(0, 500), requestId, body);
  }
  const b = body as { error_code?: string; error_msg?: string; error?: { code?: number; message?: string } };
  if (b.error_code !== undefined) return new ApiError(response.status, b.error_code, b.error_msg ?? '', requestId, body);
  // IAM's body (/v3/auth/*).
  return new ApiError(response.status, String(b.error?.code ?? response.status), b.error?.message ?? text, requestId, body);
}
