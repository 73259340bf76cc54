import type { StoredTemplate, TemplateAction, TemplateContent, TemplatePage } from './aim-template.js';

/**
 * The card a template describes, as an HTML page: each page of the card in order, its texts,
 * images and videos (materials by their URL, other sources as given) and buttons as links, with
 * `${param}` placeholders filled from the values given (the examples for a preview, a recipient's
 * dync_params for a short link). Everything that came from a template or a value is escaped; URLs
 * keep only the schemes a card may open; the page carries no script, and its one style block is
 * allowed by a per-response nonce (see CARD_CSP).
 */

/** How a material (src_type 1) is addressed in the page, by its aim_resource_id; null if unknown. */
export type MaterialUrl = (aimResourceId: string) => string | null;

export interface RenderOptions {
  /** The values of the variables, by dync_params key. */
  values: Readonly<Record<string, string>>;
  materialUrl: MaterialUrl;
  /** The nonce the Content-Security-Policy allows the style block by. */
  nonce: string;
  /** A line above the card (e.g. "Preview"), or none. */
  banner?: string;
}

/** What the card's body needs: the values, where materials are, and how links are tracked (if they are). */
export type BodyOptions = Omit<RenderOptions, 'nonce' | 'banner'> & { track?: (index: number) => string };

/** The policy the page is served with: nothing runs, nothing is sent anywhere. */
export function cardCsp(nonce: string): string {
  return `default-src 'none'; img-src 'self' https: http:; media-src 'self' https: http:; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const PLACEHOLDER = /\$\{([^}]*)\}/g;

function fillText(text: string, values: RenderOptions['values']): string {
  return text.replace(PLACEHOLDER, (whole, key: string) => values[key] ?? whole);
}

/** A URL with its variables filled (each value URL-encoded), or null unless its scheme is one of `schemes`. */
function fillUrl(text: string, values: RenderOptions['values'], schemes: readonly string[]): string | null {
  const filled = text.replace(PLACEHOLDER, (whole, key: string) => (values[key] === undefined ? whole : encodeURIComponent(values[key])));
  try {
    const url = new URL(filled);
    return schemes.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

const WEB = ['https:', 'http:'];

/** Where a click goes, for the actions a browser can follow; null for the rest (shown as labels). */
function actionHref(type: string | undefined, action: TemplateAction | undefined, values: RenderOptions['values']): string | null {
  if (!type || !action) return null;
  const target = fillText(action.target, values);
  switch (type) {
    case 'OPEN_URL': case 'OPEN_BROWSER':
      return fillUrl(action.target, values, WEB);
    case 'DIAL_PHONE':
      return /^[0-9+\-() ]{1,20}$/.test(target) ? `tel:${target.replace(/[^0-9+]/g, '')}` : null;
    case 'OPEN_SMS':
      return /^[0-9+]{1,20}$/.test(target) ? `sms:${target}?body=${encodeURIComponent(fillText(action.body ?? '', values))}` : null;
    case 'OPEN_EMAIL':
      return /^[^\s@?#]+@[^\s@?#]+$/.test(target)
        ? `mailto:${target}?subject=${encodeURIComponent(fillText(action.subject ?? '', values))}&body=${encodeURIComponent(fillText(action.body ?? '', values))}`
        : null;
    default:
      return null;
  }
}

function source(value: string | undefined, srcType: number | undefined, options: BodyOptions): string | null {
  if (!value) return null;
  if (srcType === 1) return options.materialUrl(value);
  return fillUrl(value, options.values, WEB);
}

function renderContent(c: TemplateContent, options: BodyOptions, nextAction: () => number): string {
  const { values } = options;
  // Only images and buttons open anything (cardActionTargets counts the same ones).
  const target = c.type === 'image' || c.type === 'button' ? actionHref(c.action_type, c.action, values) : null;
  // With tracking, each link goes through the link host's counted redirect, by its place in the card.
  const href = target && options.track ? options.track(nextAction()) : target;
  const link = (inner: string, cls: string) => (href
    ? `<a class="${cls}" href="${escapeHtml(href)}" rel="noopener noreferrer">${inner}</a>`
    : `<span class="${cls}"${c.action_type ? ` data-action="${escapeHtml(c.action_type)}"` : ''}>${inner}</span>`);
  switch (c.type) {
    case 'text': {
      const title = c.is_text_title === 'true';
      const main = `<p class="${title ? 'title' : 'text'}">${escapeHtml(fillText(c.content ?? '', values))}</p>`;
      return c.content_child ? `${main}<p class="sub">${escapeHtml(fillText(c.content_child, values))}</p>` : main;
    }
    case 'image': {
      const src = source(c.src, c.src_type, options);
      const img = src ? `<img src="${escapeHtml(src)}" alt="">` : '<div class="missing">image unavailable</div>';
      return href ? link(img, 'media') : `<div class="media">${img}</div>`;
    }
    case 'video': {
      const src = source(c.src, c.src_type, options);
      const cover = source(c.cover, c.src_type, options);
      return src
        ? `<video class="media" controls preload="none"${cover ? ` poster="${escapeHtml(cover)}"` : ''} src="${escapeHtml(src)}"></video>`
        : '<div class="missing">video unavailable</div>';
    }
    case 'button':
      return link(escapeHtml(fillText(c.content ?? '', values)), 'button');
    default:
      return '';
  }
}

const STYLE = `
body{margin:0;background:#f2f3f5;font:15px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#1f2329}
.banner{background:#fff7e6;color:#8a5a00;padding:8px 16px;font-size:13px;text-align:center}
.card{max-width:420px;margin:16px auto;padding:0 12px}
.page{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:16px;overflow:hidden;padding-bottom:12px}
.page-no{font-size:12px;color:#8f959e;padding:8px 16px 0}
.title{font-size:18px;font-weight:600;margin:12px 16px 4px}
.text{margin:8px 16px;white-space:pre-wrap}
.sub{margin:0 16px 8px;color:#646a73;font-size:13px}
.media{display:block}.media img,video.media{display:block;width:100%;height:auto;background:#e5e6eb}
.missing{margin:8px 16px;padding:24px;background:#f2f3f5;color:#8f959e;text-align:center;border-radius:8px}
.button{display:block;margin:12px 16px 0;padding:10px;border-radius:8px;background:#1456f0;color:#fff;text-align:center;text-decoration:none}
span.button{background:#4e5969}`;

/** The card alone, `<main class="card">…</main>`, for a page of its own or another page's part (the console's preview). */
export function renderCardBody(template: Pick<StoredTemplate, 'cardId' | 'pages'>, options: BodyOptions): string {
  const pages = orderedPages(template.pages);
  let actions = 0;
  const body = pages.map((page) => {
    const contents = page.contents.map((c) => renderContent(c, options, () => actions++)).join('');
    return `<section class="page">${pages.length > 1 ? `<div class="page-no">${page.page_order} / ${pages.length}</div>` : ''}${contents}</section>`;
  }).join('');
  return `<main class="card" data-card="${escapeHtml(template.cardId ?? '')}">${body || '<section class="page"><p class="text">This template has no card.</p></section>'}</main>`;
}

/** Parsed and ordered pages by their JSON text: a template's pages never change, and cards are rendered often. */
const PAGES_CACHE_SIZE = 500;
const pagesCache = new Map<string, TemplatePage[]>();

/** A template's pages (its stored JSON), parsed and in the order the card shows them; none if unreadable. */
function orderedPages(json: string | null): TemplatePage[] {
  if (!json) return [];
  const cached = pagesCache.get(json);
  if (cached) return cached;
  let pages: TemplatePage[];
  try {
    pages = ordered(JSON.parse(json) as TemplatePage[]);
  } catch {
    pages = [];
  }
  if (pagesCache.size >= PAGES_CACHE_SIZE) pagesCache.delete(pagesCache.keys().next().value as string);
  pagesCache.set(json, pages);
  return pages;
}

/** Pages in page order, each one's contents in position order: the order a card shows them. */
function ordered(pages: TemplatePage[]): TemplatePage[] {
  return [...pages].sort((a, b) => a.page_order - b.page_order)
    .map((page) => ({ ...page, contents: [...page.contents].sort((a, b) => a.position_number - b.position_number) }));
}

/** The card's link targets in the order renderCardBody numbers them for tracking. */
export function cardActionTargets(template: Pick<StoredTemplate, 'pages'>, values: Readonly<Record<string, string>>): string[] {
  const targets: string[] = [];
  for (const page of orderedPages(template.pages)) {
    for (const c of page.contents) {
      if (c.type !== 'image' && c.type !== 'button') continue;
      const href = actionHref(c.action_type, c.action, values);
      if (href) targets.push(href);
    }
  }
  return targets;
}

/** A card's page around its body (from renderCardBody): its title, the style block allowed by `nonce`, an optional banner. */
export function cardPage(title: string, body: string, nonce: string, banner?: string): string {
  return [
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title><style nonce="${escapeHtml(nonce)}">${STYLE}</style></head><body>`,
    banner ? `<div class="banner">${escapeHtml(banner)}</div>` : '',
    body,
    '</body></html>',
  ].join('');
}

