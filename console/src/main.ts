import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { AimLedgerClient, ApiError, RESULT_WINDOW, SEND_STATUSES, type ResolveDetailsResponseBody, type SendDetailRow, type SendDetailsFilter, type SendStatus } from '../../packages/client/src/index.js';
import { materialIdsOf } from '../../src/domain/aim-template.js';
import { renderCardBody } from '../../src/domain/card-render.js';
import { currentLang, t, toggleLang, type Label } from './i18n.js';
import { el } from './dom.js';
import { renderTemplates } from './templates.js';
import './style.css';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

type ResolveDetail = ResolveDetailsResponseBody['resolve_details'][number];

const TOKEN_KEY = 'aimledger.token';
const app = document.getElementById('app') as HTMLElement;
let client: AimLedgerClient | undefined;
let view: 'details' | 'tasks' | 'overview' | 'templates' = 'details';
let chart: Chart | undefined;

const state = {
  filter: {} as SendDetailsFilter,
  offset: 0,
  limit: 20,
};

/** `2026-06-15T12:00:00Z` shown in the browser's local time. */
function local(utc: string | null): string {
  return utc ? new Date(utc).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB') : '—';
}

/** A datetime-local value (local time) as the API's UTC time. */
function toUtc(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isStatus(value: unknown): value is SendStatus {
  return (SEND_STATUSES as readonly unknown[]).includes(value);
}

function statusLabel(status: string): string {
  return isStatus(status) ? t(status) : status;
}

/** Shows one alert above the page (replacing the last). */
function alertText(text: string): void {
  document.querySelector('[data-test=error]')?.remove();
  app.prepend(el('div', { class: 'error', 'data-test': 'error', role: 'alert' }, text));
}

function showError(error: unknown): void {
  alertText(`${t('error')} — ${error instanceof ApiError ? `${error.errorCode}: ${error.errorMsg}` : String(error)}`);
}

/** A refused sign-in says so plainly; anything else is shown as an error. */
function showSignInError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) alertText(t('wrongSignIn'));
  else showError(error);
}

function render(): void {
  chart?.destroy();
  chart = undefined;
  app.replaceChildren();
  if (!client) {
    renderSignIn();
    return;
  }
  const tab = (name: typeof view, label: Label) => el('button', {
    class: view === name ? 'tab active' : 'tab', 'data-test': `tab-${name}`,
    onclick: () => { view = name; render(); },
  }, t(label));
  app.append(el('header', {},
    el('h1', {}, 'aimledger'),
    el('nav', {}, tab('details', 'details'), tab('tasks', 'tasks'), tab('overview', 'overview'), tab('templates', 'templates')),
    el('span', { class: 'spacer' }),
    el('button', { 'data-test': 'lang', onclick: () => { toggleLang(); render(); } }, t('language')),
    el('button', { 'data-test': 'sign-out', onclick: () => { sessionStorage.removeItem(TOKEN_KEY); client = undefined; render(); } }, t('signOut')),
  ));
  const main = el('main');
  app.append(main);
  if (view === 'details') void renderDetails(main);
  else if (view === 'tasks') void renderTasks(main);
  else if (view === 'templates') void renderTemplates(main, { client, token: sessionStorage.getItem(TOKEN_KEY) ?? '', showError, rerender: render });
  else void renderOverview(main);
}

function renderSignIn(): void {
  const account = el('input', { name: 'account', required: true, autocomplete: 'organization' });
  const user = el('input', { name: 'user', required: true, autocomplete: 'username' });
  const password = el('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' });
  const token = el('input', { name: 'token' });
  const use = (value: string) => {
    client = new AimLedgerClient({ endpoint: location.origin, credentials: { token: value } });
    sessionStorage.setItem(TOKEN_KEY, value);
    render();
  };
  app.append(
    el('header', {}, el('h1', {}, 'aimledger'), el('span', { class: 'spacer' }),
      el('button', { 'data-test': 'lang', onclick: () => { toggleLang(); render(); } }, t('language'))),
    el('section', { class: 'signin' },
      el('h2', {}, t('signIn')),
      el('form', {
        'data-test': 'sign-in',
        onsubmit: (event: Event) => {
          event.preventDefault();
          new AimLedgerClient({ endpoint: location.origin })
            .createToken({ user: user.value, password: password.value, domain: { name: account.value } })
            .then(({ token: issued }) => use(issued), showSignInError);
        },
      },
      el('label', {}, t('account'), account), el('label', {}, t('user'), user), el('label', {}, t('password'), password),
      el('button', { type: 'submit' }, t('signIn'))),
      el('form', { 'data-test': 'token-form', onsubmit: (event: Event) => { event.preventDefault(); if (token.value) use(token.value.trim()); } },
        el('label', {}, t('orToken'), token), el('button', { type: 'submit' }, t('useToken'))),
    ),
  );
}

function field(label: Label, name: keyof SendDetailsFilter, attrs: Record<string, unknown> = {}): HTMLLabelElement {
  const value = state.filter[name];
  return el('label', {}, t(label), el('input', { name, value: typeof value === 'string' ? value : '', ...attrs }));
}

function timeField(label: Label, name: 'begin_time' | 'end_time'): HTMLLabelElement {
  const utc = state.filter[name];
  // datetime-local shows and takes local time; the API speaks UTC.
  const localValue = utc ? new Date(new Date(utc).getTime() - new Date(utc).getTimezoneOffset() * 60_000).toISOString().slice(0, 19) : '';
  return el('label', {}, t(label), el('input', { name, type: 'datetime-local', step: 1, value: localValue }));
}

async function renderDetails(main: HTMLElement): Promise<void> {
  const form = el('form', {
    class: 'filters', 'data-test': 'filters',
    onsubmit: (event: Event) => {
      event.preventDefault();
      const data = new FormData(form);
      const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
      const begin = toUtc(String(data.get('begin_time') ?? ''));
      const end = toUtc(String(data.get('end_time') ?? ''));
      if ((begin === undefined) !== (end === undefined)) {
        showError(t('bothTimes'));
        return;
      }
      const status = text('send_status');
      const next: SendDetailsFilter = {};
      for (const name of ['task_id', 'tpl_id', 'sms_sign', 'cust_flag'] as const) {
        const value = text(name);
        if (value) next[name] = value;
      }
      if (isStatus(status)) next.send_status = status;
      if (begin && end) { next.begin_time = begin; next.end_time = end; }
      state.filter = next;
      state.offset = 0;
      state.limit = Number(data.get('limit') ?? 20);
      render();
    },
  },
  field('taskId', 'task_id'), field('phone', 'cust_flag'), field('tplId', 'tpl_id'), field('smsSign', 'sms_sign'),
  el('label', {}, t('status'), el('select', { name: 'send_status' },
    ...(['', ...SEND_STATUSES] as const).map((s) => el('option', { value: s, selected: (state.filter.send_status ?? '') === s }, s ? t(s) : t('anyStatus'))))),
  timeField('begin', 'begin_time'), timeField('end', 'end_time'),
  el('label', {}, t('pageSize'), el('select', { name: 'limit' },
    ...[10, 20, 50, 100].map((n) => el('option', { value: n, selected: state.limit === n }, String(n))))),
  el('button', { type: 'submit', 'data-test': 'search' }, t('search')),
  el('button', { type: 'button', onclick: () => { state.filter = {}; state.offset = 0; render(); } }, t('reset')),
  el('button', { type: 'button', 'data-test': 'export', onclick: (event: Event) => void exportView(event.target as HTMLButtonElement) }, t('export')),
  );
  main.append(form);
  const results = el('section', { 'data-test': 'results' });
  main.append(results);
  if (!client) return;
  try {
    const page = await client.listSendDetails({ ...state.filter, offset: state.offset, limit: state.limit });
    const total = page.page_info.total;
    const rows = page.send_details;
    const pager = el('div', { class: 'pager' },
      el('button', { 'data-test': 'prev', disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - state.limit); render(); } }, t('prev')),
      el('span', { 'data-test': 'range' }, total === 0 ? t('none') : t('range', { from: state.offset + 1, to: state.offset + rows.length, total })),
      el('label', { class: 'page' }, t('page'), el('input', {
        'data-test': 'page', type: 'number', min: 1, value: Math.floor(state.offset / state.limit) + 1,
        max: Math.max(1, Math.ceil(Math.min(total, RESULT_WINDOW) / state.limit)),
        onchange: (event: Event) => {
          const page = Math.max(1, Math.floor(Number((event.target as HTMLInputElement).value) || 1));
          state.offset = Math.min((page - 1) * state.limit, Math.max(0, RESULT_WINDOW - state.limit));
          render();
        },
      })),
      el('button', {
        'data-test': 'next',
        disabled: state.offset + state.limit >= total || state.offset + 2 * state.limit > RESULT_WINDOW,
        onclick: () => { state.offset += state.limit; render(); },
      }, t('next')),
    );
    results.append(pager);
    if (total > RESULT_WINDOW && state.offset + 2 * state.limit > RESULT_WINDOW) {
      results.append(el('p', { class: 'notice', 'data-test': 'window' }, t('window')));
    }
    const head = el('tr', {}, ...(['sendTime', 'phone', 'taskName', 'tplName', 'status', 'receiveTime', 'resultCode'] as const).map((l) => el('th', {}, t(l))));
    const body = el('tbody', {}, ...rows.map((r) => el('tr', { 'data-test': 'row', tabindex: 0, onclick: () => openDrawer(r) },
      el('td', {}, local(r.send_time)), el('td', {}, r.cust_flag ?? '—'), el('td', {}, r.task_name ?? '—'),
      el('td', {}, r.tpl_name ?? '—'), el('td', { class: `status ${r.send_status}` }, statusLabel(r.send_status)),
      el('td', {}, local(r.receive_time)), el('td', {}, r.result_code ?? '—'))));
    results.append(el('table', {}, el('thead', {}, head), body));
    if (state.filter.task_id) await renderTaskLinks(results, state.filter.task_id);
  } catch (error) {
    showError(error);
  }
}

/** A task's links (one per recipient) and what became of them; each recipient's card on demand. */
async function renderTaskLinks(target: HTMLElement, taskId: string): Promise<void> {
  if (!client) return;
  const now = Date.now();
  const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Links of any age within the queryable year (the API's default is the last day), up to a day
  // ahead: times are whole seconds, and a link made in this very second must not be left out.
  const page = await client.listResolveDetails({
    task_id: taskId, offset: 0, limit: 100, begin_time: utc(now - 364 * 86_400_000), end_time: utc(now + 86_400_000),
  });
  const head = el('tr', {}, ...(['phone', 'aimUrl', 'linkState', 'resolvedTime', 'card'] as const).map((l) => el('th', {}, t(l))));
  target.append(el('h3', {}, t('links', { total: page.page_info.total })), el('table', { 'data-test': 'task-links' }, el('thead', {}, head), el('tbody', {},
    ...page.resolve_details.map((d) => el('tr', { 'data-test': 'task-link' },
      el('td', {}, d.cust_flag), el('td', { class: 'mono' }, d.aim_url),
      el('td', { class: `link-state ${d.resolved_status}` }, t(d.resolved_status === 'success' ? 'opened' : d.resolved_status === 'fail' ? 'refused' : 'notOpened')),
      el('td', {}, local(d.resolved_time)),
      el('td', {}, el('button', { class: 'secondary', 'data-test': 'show-card', onclick: () => { showRecipientCard(d).catch(showError); } }, t('showCard'))))))));
}

/**
 * The card a recipient sees at its link: the template rendered here with the renderer the link
 * host uses and the recipient's dync_params, without opening the link (which would count).
 */
async function showRecipientCard(d: ResolveDetail): Promise<void> {
  if (!client) return;
  const api = client;
  const tpl = (await api.listTemplates({ tpl_id: d.tpl_id, limit: 1 })).templates.find((x) => x.tpl_id === d.tpl_id);
  const urls = new Map<string, string>();
  for (const id of materialIdsOf(tpl?.pages ?? null)) {
    for (const kind of ['image', 'video'] as const) {
      const found = (await api.listMaterials({ resource_type: kind, aim_resource_id: id, offset: 1, limit: 1 })).data.results[0];
      if (found) urls.set(id, new URL(found.obs_file_url).pathname);
    }
  }
  const keyOf = (name: string) => /^\$\{(.+)\}$/.exec(name.trim())?.[1] ?? name;
  const values = { ...Object.fromEntries((tpl?.params ?? []).map((p) => [keyOf(p.name), ''])), ...(d.dync_params ?? {}) };
  const html = tpl?.pages ? renderCardBody({ cardId: tpl.card_id, pages: tpl.pages }, { values, materialUrl: (id) => urls.get(id) ?? null }) : '';
  // Escaped by the renderer; parsed inert, then adopted.
  const card = html ? new DOMParser().parseFromString(html, 'text/html').querySelector('main.card') : null;
  document.querySelector('.drawer')?.remove();
  const drawer = el('aside', { class: 'drawer', 'data-test': 'recipient-card', role: 'dialog' },
    el('button', { class: 'close', 'data-test': 'close', onclick: () => drawer.remove() }, t('close')),
    el('h3', {}, t('recipientCard', { phone: d.cust_flag })),
    card ? el('div', { class: 'card-preview' }, document.importNode(card, true)) : el('p', {}, t('noCard')));
  document.body.append(drawer);
}

function openDrawer(row: SendDetailRow): void {
  document.querySelector('.drawer')?.remove();
  const close = () => drawer.remove();
  const drawer = el('aside', { class: 'drawer', 'data-test': 'drawer', role: 'dialog' },
    el('button', { class: 'close', 'data-test': 'close', onclick: close }, t('close')),
    el('dl', {}, ...Object.entries(row).flatMap(([k, v]) => [el('dt', {}, k), el('dd', { 'data-field': k }, v === null ? 'null' : String(v))])));
  document.body.append(drawer);
}

async function exportView(button: HTMLButtonElement): Promise<void> {
  if (!client) return;
  const label = button.textContent;
  button.textContent = t('exporting');
  button.disabled = true;
  try {
    const stream = await client.exportSendDetails({ ...state.filter, format: 'csv' });
    const blob = await new Response(stream).blob();
    const link = el('a', { href: URL.createObjectURL(blob), download: `send-details-${new Date().toISOString().slice(0, 10)}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  } catch (error) {
    showError(error);
  } finally {
    button.textContent = label;
    button.disabled = false;
  }
}

async function renderTasks(main: HTMLElement): Promise<void> {
  if (!client) return;
  try {
    const page = await client.listSendTasks({ limit: 100 });
    const head = el('tr', {}, ...(['created', 'taskName', 'taskId', 'submitted', 'success', 'fail', 'sending'] as const).map((l) => el('th', {}, t(l))));
    main.append(el('table', { 'data-test': 'tasks' }, el('thead', {}, head), el('tbody', {},
      ...page.aim_send_tasks.map((task) => el('tr', {
        'data-test': 'task', tabindex: 0,
        onclick: () => { state.filter = { task_id: task.task_id }; state.offset = 0; view = 'details'; render(); },
      },
      el('td', {}, local(task.creation_time)), el('td', {}, task.task_name), el('td', { class: 'mono' }, task.task_id),
      el('td', {}, String(task.submission_count)), el('td', {}, String(task.success_number)),
      el('td', {}, String(task.fail_number)), el('td', {}, String(task.sending_number)))))));
  } catch (error) {
    showError(error);
  }
}

async function renderOverview(main: HTMLElement): Promise<void> {
  if (!client) return;
  const days = new Map<string, { sent: number; success: number; fail: number }>();
  const today = new Date();
  for (let i = 29; i >= 0; i--) days.set(new Date(today.getTime() - i * 86_400_000).toISOString().slice(0, 10), { sent: 0, success: 0, fail: 0 });
  try {
    for (let offset = 0; ; offset += 100) {
      const page = await client.listSendReports({ report_type: '1', offset, limit: 100 });
      for (const r of page.data.data_list) {
        const day = days.get(r.report_time);
        if (!day) continue;
        day.sent += r.send_count;
        day.success += r.send_success_count;
        day.fail += r.send_fail_count;
      }
      if (offset + 100 >= page.data.page_info.total) break;
    }
  } catch (error) {
    showError(error);
    return;
  }
  const canvas = el('canvas', { 'data-test': 'chart' });
  const totals = [...days.values()].reduce((a, d) => ({ sent: a.sent + d.sent, success: a.success + d.success, fail: a.fail + d.fail }), { sent: 0, success: 0, fail: 0 });
  main.append(el('p', { 'data-test': 'totals' }, `${t('sent')}: ${totals.sent} · ${t('success')}: ${totals.success} · ${t('fail')}: ${totals.fail}`),
    el('div', { class: 'chart-box' }, canvas));
  chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: [...days.keys()].map((d) => d.slice(5)),
      datasets: [
        { label: t('sent'), data: [...days.values()].map((d) => d.sent), backgroundColor: '#8aa4c8' },
        { label: t('success'), data: [...days.values()].map((d) => d.success), backgroundColor: '#4caf7a' },
        { label: t('fail'), data: [...days.values()].map((d) => d.fail), backgroundColor: '#e0645c' },
      ],
    },
    // As wide as its box (the page's width), as tall as the box says.
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
  });
}

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) client = new AimLedgerClient({ endpoint: location.origin, credentials: { token: saved } });
document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en';
render();
