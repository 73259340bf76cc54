import { Chart } from 'chart.js';
import { ApiError, type AimLedgerClient, type CreateTemplateRequest, type TemplatesResponseBody } from '../../packages/client/src/index.js';
import { CARD_IDS, VENDORS } from '../../src/domain/aim-template.js';
import { renderCardBody } from '../../src/domain/card-render.js';
import { IMAGE_RATES } from '../../src/domain/material.js';
import { el } from './dom.js';
import { currentLang, t } from './i18n.js';

export interface TemplatesContext {
  client: AimLedgerClient;
  /** The session's token, for the upload request (its progress needs XMLHttpRequest). */
  token: string;
  showError(error: unknown): void;
  rerender(): void;
}

type ContentType = 'text' | 'image' | 'video' | 'button';
interface ContentDraft { type: ContentType; text: string; cover: string; link: string }
interface Draft {
  name: string;
  useId: 1 | 2;
  cardId: string;
  vendors: Set<string>;
  smsExample: string;
  pages: ContentDraft[][];
  params: Array<{ name: string; example: string }>;
}

const newContent = (type: ContentType = 'text', text = ''): ContentDraft => ({ type, text, cover: '', link: '' });

function freshDraft(): Draft {
  return {
    name: '', useId: 1, cardId: 'StandardImageAndText', vendors: new Set(['HUAWEI']), smsExample: '',
    pages: [[newContent('text', '尊敬的${param1}，您的账单已出。拒收请回复R')]], params: [{ name: '${param1}', example: '张三' }],
  };
}

let draft = freshDraft();
let notice = '';
/** aim_resource_id → the material's URL, for the live preview. */
const materialUrls = new Map<string, string>();

const isMaterialId = (text: string) => /^[0-9]{1,32}$/.test(text.trim());

/** The CreateAimPersonalTemplate body the form describes. */
function toBody(d: Draft): CreateTemplateRequest {
  return {
    tpl_name: d.name.trim(), use_id: d.useId, card_id: d.cardId,
    pages: d.pages.map((contents, p) => ({
      page_order: p + 1,
      contents: contents.map((c, i) => {
        const position_number = i + 1;
        const action = c.link.trim() ? { action_type: 'OPEN_URL', action: { target: c.link.trim() } } : {};
        if (c.type === 'text') return { type: 'text', position_number, content: c.text };
        if (c.type === 'button') return { type: 'button', position_number, content: c.text, ...action };
        const src_type = isMaterialId(c.text) ? 1 : 2;
        return { type: c.type, position_number, src: c.text.trim(), src_type, ...(c.type === 'video' ? { cover: c.cover.trim() } : action) };
      }),
    })),
    params: d.params.filter((p) => p.name.trim()).map((p) => ({ name: p.name.trim(), type: 1, example: p.example })),
    factorys: [...d.vendors].map((v) => ({ factory_type: v, state: 1 })),
    ...(d.smsExample.trim() ? { sms_example: d.smsExample.trim() } : {}),
  } as CreateTemplateRequest;
}

/** The card as the server renders it, shown in the console (its own styles: the page's CSP allows no inline ones). */
function refreshPreview(target: HTMLElement): void {
  const body = toBody(draft);
  const values = Object.fromEntries(draft.params.map((p) => [/^\$\{(.+)\}$/.exec(p.name.trim())?.[1] ?? '', p.example]));
  const html = renderCardBody({ cardId: body.card_id, pages: JSON.stringify(body.pages) }, { values, materialUrl: (id) => materialUrls.get(id) ?? null });
  // Escaped by the renderer; parsed inert, then adopted.
  const card = new DOMParser().parseFromString(html, 'text/html').querySelector('main.card');
  target.replaceChildren(...(card ? [document.importNode(card, true)] : []));
}

function builder(ctx: TemplatesContext, preview: HTMLElement): HTMLElement {
  const rebuild = () => ctx.rerender();
  const onInput = (update: (value: string) => void) => (event: Event) => {
    update((event.target as HTMLInputElement).value);
    refreshPreview(preview);
  };
  const pages = draft.pages.map((contents, p) => el('fieldset', { class: 'page-draft', 'data-test': 'page-draft' },
    el('legend', {}, t('pageNo', { n: p + 1 })),
    ...contents.map((c, i) => el('div', { class: 'content-row', 'data-test': 'content-row' },
      el('select', {
        name: 'type', 'aria-label': t('contentType'),
        onchange: (event: Event) => { c.type = (event.target as HTMLSelectElement).value as ContentType; rebuild(); },
      }, ...(['text', 'image', 'video', 'button'] as const).map((type) => el('option', { value: type, selected: c.type === type }, type))),
      el('input', { name: 'text', value: c.text, placeholder: t('contentText'), 'aria-label': t('contentText'), oninput: onInput((v) => { c.text = v; }) }),
      c.type === 'video'
        ? el('input', { name: 'cover', value: c.cover, placeholder: t('cover'), 'aria-label': t('cover'), oninput: onInput((v) => { c.cover = v; }) })
        : c.type === 'text' ? null
          : el('input', { name: 'link', value: c.link, placeholder: t('link'), 'aria-label': t('link'), oninput: onInput((v) => { c.link = v; }) }),
      el('button', { type: 'button', class: 'secondary', onclick: () => { contents.splice(i, 1); rebuild(); } }, t('remove')))),
    el('button', { type: 'button', class: 'secondary', 'data-test': 'add-content', onclick: () => { contents.push(newContent()); rebuild(); } }, t('addContent')),
    draft.pages.length > 1 ? el('button', { type: 'button', class: 'secondary', onclick: () => { draft.pages.splice(p, 1); rebuild(); } }, t('remove')) : null));
  const params = draft.params.map((param, i) => el('div', { class: 'content-row', 'data-test': 'param-row' },
    el('input', { name: 'param-name', value: param.name, placeholder: '${param1}', 'aria-label': 'name', oninput: onInput((v) => { param.name = v; }) }),
    el('input', { name: 'param-example', value: param.example, placeholder: '张三', 'aria-label': 'example', oninput: onInput((v) => { param.example = v; }) }),
    el('button', { type: 'button', class: 'secondary', onclick: () => { draft.params.splice(i, 1); rebuild(); } }, t('remove'))));
  const form = el('form', {
    class: 'builder', 'data-test': 'template-form',
    onsubmit: (event: Event) => {
      event.preventDefault();
      ctx.client.createTemplate(toBody(draft)).then((created) => {
        notice = t('createdTemplate', { id: created.data.tpl_id });
        draft = freshDraft();
        rebuild();
      }, ctx.showError);
    },
  },
  el('h3', {}, t('newTemplate')),
  el('label', {}, t('tplNameField'), el('input', { name: 'tpl_name', value: draft.name, maxlength: 17, oninput: onInput((v) => { draft.name = v; }) })),
  el('label', {}, t('useId'), el('select', { name: 'use_id', onchange: (event: Event) => { draft.useId = Number((event.target as HTMLSelectElement).value) as 1 | 2; } },
    el('option', { value: 1, selected: draft.useId === 1 }, t('commercial')), el('option', { value: 2, selected: draft.useId === 2 }, t('trial')))),
  el('label', {}, t('layout'), el('select', { name: 'card_id', onchange: (event: Event) => { draft.cardId = (event.target as HTMLSelectElement).value; refreshPreview(preview); } },
    ...CARD_IDS.map((id) => el('option', { value: id, selected: draft.cardId === id }, id)))),
  el('div', { class: 'vendors' }, el('span', {}, t('vendors')), ...VENDORS.map((v) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: `vendor-${v}`, checked: draft.vendors.has(v), onchange: (event: Event) => {
      if ((event.target as HTMLInputElement).checked) draft.vendors.add(v);
      else draft.vendors.delete(v);
    } }), v))),
  el('label', {}, t('smsExample'), el('input', { name: 'sms_example', value: draft.smsExample, maxlength: 70, oninput: onInput((v) => { draft.smsExample = v; }) })),
  ...pages,
  el('button', { type: 'button', class: 'secondary', 'data-test': 'add-page', disabled: draft.pages.length >= 10, onclick: () => { draft.pages.push([newContent()]); rebuild(); } }, t('addPage')),
  el('fieldset', {}, el('legend', {}, t('params')), ...params,
    el('button', { type: 'button', class: 'secondary', 'data-test': 'add-param', disabled: draft.params.length >= 20, onclick: () => { draft.params.push({ name: '', example: '' }); rebuild(); } }, t('addParam'))),
  el('button', { type: 'submit', 'data-test': 'create-template' }, t('create')));
  return form;
}

const AUDIT: Record<number, Parameters<typeof t>[0]> = { 1: 'reviewing', 2: 'approved', 3: 'rejected' };

function templateList(ctx: TemplatesContext, page: TemplatesResponseBody): HTMLElement {
  const head = el('tr', {}, ...(['tplId', 'tplName', 'layout', 'state', 'audit', 'vendors', 'preview', 'created'] as const).map((l) => el('th', {}, t(l))), el('th', {}));
  const rows = page.templates.map((tpl) => el('tr', { 'data-test': 'template-row', 'data-tpl-id': tpl.tpl_id },
    el('td', { class: 'mono' }, tpl.tpl_id), el('td', {}, tpl.tpl_name), el('td', {}, tpl.card_id ?? '—'),
    el('td', { 'data-test': 'tpl-state' }, t(tpl.tpl_state === 1 ? 'enabled' : 'disabled')),
    el('td', { 'data-test': 'tpl-audit' }, AUDIT[tpl.audit_state] ? t(AUDIT[tpl.audit_state] as Parameters<typeof t>[0]) : String(tpl.audit_state)),
    el('td', { 'data-test': 'tpl-vendors' }, tpl.factory_info.map((f) => `${f.factory_type} ${f.state === 1 ? '✓' : f.state === 0 ? '✗' : '…'}`).join(' ') || '—'),
    el('td', {}, tpl.preview_url ? el('a', { href: tpl.preview_url, target: '_blank', rel: 'noopener noreferrer', 'data-test': 'preview-link' }, t('preview')) : '—'),
    el('td', {}, new Date(tpl.creation_time).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : 'en-GB')),
    el('td', { class: 'actions' },
      el('button', {
        class: 'secondary', 'data-test': 'toggle-state',
        onclick: () => { ctx.client.setTemplateState(tpl.tpl_id, tpl.tpl_state === 1 ? 0 : 1).then(ctx.rerender, ctx.showError); },
      }, t(tpl.tpl_state === 1 ? 'disable' : 'enable')),
      el('button', {
        class: 'secondary', 'data-test': 'template-report',
        onclick: () => { showReport(ctx, tpl.tpl_id).catch(ctx.showError); },
      }, t('report')),
      el('button', {
        class: 'danger', 'data-test': 'delete-template',
        onclick: () => { if (confirm(t('confirmDelete', { id: tpl.tpl_id }))) ctx.client.deleteTemplate(tpl.tpl_id).then(ctx.rerender, ctx.showError); },
      }, t('delete')))));
  return el('table', { 'data-test': 'templates' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

let reportChart: Chart | undefined;

/**
 * A template's last 30 UTC days: exposures, clicks and resolves per day (template reports are
 * counted as the events happen, so today's figures are there at once).
 */
async function showReport(ctx: TemplatesContext, tplId: string): Promise<void> {
  const DAY = 86_400_000;
  const today = Math.floor(Date.now() / DAY) * DAY;
  const days = new Map<string, { expose: number; exposeUv: number; click: number; clickUv: number; resolve: number }>();
  for (let i = 29; i >= 0; i--) days.set(new Date(today - i * DAY).toISOString().slice(0, 10), { expose: 0, exposeUv: 0, click: 0, clickUv: 0, resolve: 0 });
  const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let offset = 0; ; offset += 100) {
    const page = await ctx.client.listTemplateReports({ tpl_ids: [tplId], begin_time: utc(today - 29 * DAY), end_time: utc(today + DAY - 1000), offset, limit: 100 });
    for (const r of page.template_reports) {
      const day = days.get(r.start_time.slice(0, 10));
      if (!day) continue;
      day.expose += r.expose_pv;
      day.exposeUv += r.expose_uv;
      day.click += r.click_pv;
      day.clickUv += r.click_uv;
      day.resolve += r.resolving_times;
    }
    if (offset + 100 >= page.page_info.total) break;
  }
  const sum = (k: 'expose' | 'exposeUv' | 'click' | 'clickUv' | 'resolve') => [...days.values()].reduce((n, d) => n + d[k], 0);
  reportChart?.destroy();
  document.querySelector('[data-test=template-report-view]')?.remove();
  const canvas = el('canvas', { 'data-test': 'template-chart' });
  const view = el('section', { 'data-test': 'template-report-view' },
    el('h3', {}, t('templateReport', { id: tplId })),
    el('p', { 'data-test': 'template-totals' },
      `${t('exposures')}: ${sum('expose')} (${t('visitors')}: ${sum('exposeUv')}) · ${t('clicks')}: ${sum('click')} (${t('visitors')}: ${sum('clickUv')}) · ${t('resolves')}: ${sum('resolve')}`),
    el('div', { class: 'chart-box' }, canvas));
  document.querySelector('[data-test=templates]')?.after(view);
  reportChart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: [...days.keys()].map((d) => d.slice(5)),
      datasets: [
        { label: t('exposures'), data: [...days.values()].map((d) => d.expose), backgroundColor: '#8aa4c8' },
        { label: t('clicks'), data: [...days.values()].map((d) => d.click), backgroundColor: '#4caf7a' },
        { label: t('resolves'), data: [...days.values()].map((d) => d.resolve), backgroundColor: '#e0a84c' },
      ],
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

/** Uploads with XMLHttpRequest, whose upload progress fetch does not report. */
function uploadWithProgress(token: string, body: unknown, progress: HTMLProgressElement): Promise<{ aim_resource_id: string; material_id: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/aim/template-materials');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('X-Auth-Token', token);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) progress.value = event.loaded / event.total;
    };
    xhr.onload = () => {
      const answer = JSON.parse(xhr.responseText || '{}') as { data?: { aim_resource_id: string; material_id: string }; error_code?: string; error_msg?: string };
      if (xhr.status === 200 && answer.data) {
        progress.value = 1;
        resolve(answer.data);
      } else {
        reject(new ApiError(xhr.status, answer.error_code ?? String(xhr.status), answer.error_msg ?? xhr.statusText, xhr.getResponseHeader('x-request-id'), answer));
      }
    };
    xhr.onerror = () => reject(new Error('the upload failed: network error'));
    xhr.send(JSON.stringify(body));
  });
}

function readDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
    reader.readAsDataURL(file);
  });
}

function materialsSection(ctx: TemplatesContext, items: Array<{ kind: string; id: string; resourceId: string; name: string; url: string }>): HTMLElement {
  const file = el('input', { type: 'file', name: 'file', accept: 'image/png,image/jpeg,video/mp4', 'data-test': 'material-file' });
  const kind = el('select', { name: 'resource_type' }, ...(['image', 'video', 'thumbnail'] as const).map((k) => el('option', { value: k }, t(k))));
  const rate = el('select', { name: 'image_rate' }, ...IMAGE_RATES.map((r) => el('option', { value: r }, r)));
  const video = el('input', { name: 'material_id', placeholder: t('videoId') });
  const progress = el('progress', { 'data-test': 'upload-progress', max: 1, value: 0 });
  const form = el('form', {
    class: 'filters', 'data-test': 'material-form',
    onsubmit: (event: Event) => {
      event.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      progress.value = 0;
      void readDataUri(chosen).then((uri) => uploadWithProgress(ctx.token, {
        resource_type: kind.value, file_type: 'stream', file_name: chosen.name, file_stream: uri,
        ...(kind.value === 'image' ? { image_rate: rate.value } : {}), ...(kind.value === 'thumbnail' ? { material_id: video.value.trim() } : {}),
      }, progress)).then((done) => {
        notice = `${t('uploaded')}: ${done.aim_resource_id}`;
        ctx.rerender();
      }, ctx.showError);
    },
  }, el('label', {}, t('file'), file), el('label', {}, t('resourceType'), kind), el('label', {}, t('imageRate'), rate), el('label', {}, t('videoId'), video),
  el('button', { type: 'submit', 'data-test': 'upload' }, t('upload')), progress);
  const rows = items.map((m) => el('tr', { 'data-test': 'material-row' },
    el('td', {}, m.kind === 'image' ? el('img', { src: m.url, alt: '', class: 'thumb' }) : t(m.kind as 'video')),
    el('td', { class: 'mono', 'data-test': 'material-resource-id' }, m.resourceId), el('td', { class: 'mono' }, m.id), el('td', {}, m.name),
    el('td', {}, el('button', { class: 'danger', onclick: () => { ctx.client.deleteMaterials([m.id]).then(ctx.rerender, ctx.showError); } }, t('delete')))));
  return el('section', { class: 'materials' }, el('h3', {}, t('materials')), form,
    items.length ? el('table', { 'data-test': 'materials' }, el('tbody', {}, ...rows)) : el('p', {}, t('none2')));
}

/** The templates view: the list with state and vendor states, a builder with a live preview, materials. */
export async function renderTemplates(main: HTMLElement, ctx: TemplatesContext): Promise<void> {
  try {
    const [templates, images, videos] = await Promise.all([
      ctx.client.listTemplates({ limit: 100 }),
      ctx.client.listMaterials({ resource_type: 'image', offset: 1, limit: 100 }),
      ctx.client.listMaterials({ resource_type: 'video', offset: 1, limit: 100 }),
    ]);
    const items = [...images.data.results, ...videos.data.results].map((m) => ({
      kind: m.resource_type, id: m.id, resourceId: m.aim_resource_id, name: m.file_name, url: new URL(m.obs_file_url).pathname,
    }));
    materialUrls.clear();
    for (const m of items) materialUrls.set(m.resourceId, m.url);
    const preview = el('div', { class: 'card-preview', 'data-test': 'live-preview' });
    main.append(
      notice ? el('p', { class: 'notice', 'data-test': 'template-notice' }, notice) : '',
      templateList(ctx, templates),
      el('div', { class: 'builder-area' }, builder(ctx, preview), el('section', {}, el('h3', {}, t('livePreview')), preview)),
      materialsSection(ctx, items),
    );
    notice = '';
    refreshPreview(preview);
  } catch (error) {
    ctx.showError(error instanceof ApiError ? error : new Error(String(error)));
  }
}
