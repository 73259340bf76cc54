import { randomInt } from 'node:crypto';
import type { Selectable } from 'kysely';
import {
  overallAuditState, type NewTemplateRecord, type StoredParam, type StoredTemplate, type Vendor, type VendorReview, type VendorState,
} from '../../domain/aim-template.js';
import type { TemplateFilter, TemplateInfo, TemplateRecord } from '../../domain/reference-data.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';
import type { Database } from '../schema.js';

const TEMPLATE_COLUMNS = ['tpl_id', 'tpl_name', 'tpl_state', 'audit_state', 'description', 'created_at'] as const;

const CARD_COLUMNS = [
  ...TEMPLATE_COLUMNS, 'audit_desc', 'scene', 'card_id', 'use_id', 'sub_type', 'match_type', 'pages', 'params', 'sms_signs',
  'sms_template', 'updated_at', 'disable_time', 'disable_desc', 'preview_key',
] as const;

type CardRow = Pick<Selectable<Database['templates']>, (typeof CARD_COLUMNS)[number]>;

function toTemplate(row: Pick<CardRow, (typeof TEMPLATE_COLUMNS)[number]>): TemplateInfo {
  return { tplId: row.tpl_id, tplName: row.tpl_name, tplState: row.tpl_state, auditState: row.audit_state, description: row.description, createdAt: row.created_at };
}

function toStored(row: CardRow, vendors: VendorState[]): StoredTemplate {
  return {
    tplId: row.tpl_id, tplName: row.tpl_name, tplState: row.tpl_state, auditState: row.audit_state, auditDesc: row.audit_desc,
    description: row.description, scene: row.scene, cardId: row.card_id, useId: row.use_id, subType: row.sub_type,
    matchType: row.match_type, pages: row.pages, params: row.params ? JSON.parse(row.params) as StoredParam[] : [],
    smsSigns: row.sms_signs ? JSON.parse(row.sms_signs) as string[] : [], smsTemplate: row.sms_template, vendors,
    createdAt: Number(row.created_at), updatedAt: row.updated_at === null ? null : Number(row.updated_at),
    disableTime: row.disable_time === null ? null : Number(row.disable_time), disableDesc: row.disable_desc, previewKey: row.preview_key,
  };
}

/** A new template id: nine digits, not starting with 0. */
function newTplId(): string {
  return String(randomInt(100_000_000, 1_000_000_000));
}

/** An account's AIM templates: registered ones (an id and a name) and cards created through the API. */
export class TemplatesRepository {
  constructor(private readonly ctx: StoreContext) {}

  /** Adds the templates, renaming those the account has already. */
  async upsert(accountId: number, templates: TemplateRecord[], now: number): Promise<void> {
    for (const part of chunks(templates, 4, this.ctx.adapter.maxParameters)) {
      await this.ctx.db.insertInto('templates')
        .values(part.map((t) => ({ account_id: accountId, tpl_id: t.tplId, tpl_name: t.tplName, created_at: now })))
        .onConflict((oc) => oc.columns(['account_id', 'tpl_id']).doUpdateSet({ tpl_name: (eb) => eb.ref('excluded.tpl_name') }))
        .execute();
    }
  }

  /** Stores a new card template under a fresh 9-digit id (another is drawn if the account has it), with its vendors' reviews. */
  async create(accountId: number, t: NewTemplateRecord, now: number): Promise<string> {
    for (;;) {
      const tplId = newTplId();
      const inserted = await this.ctx.db.insertInto('templates').values({
        account_id: accountId, tpl_id: tplId, tpl_name: t.tplName, created_at: now, updated_at: now, tpl_state: 1,
        description: t.smsExample, card_id: t.cardId, scene: t.scene, use_id: t.useId, sub_type: t.subType, match_type: 1,
        pages: t.pages, params: JSON.stringify(t.params), has_param: t.params.length > 0 ? 1 : 0, sms_signs: JSON.stringify(t.smsSigns),
        sms_template: t.smsTemplate, audit_state: t.review === 'approved' ? 2 : 1, audit_desc: null, preview_key: t.previewKey,
      }).onConflict((oc) => oc.columns(['account_id', 'tpl_id']).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) continue;
      if (t.vendors.length > 0) {
        await this.ctx.db.insertInto('template_vendors')
          .values(t.vendors.map((vendor) => ({ account_id: accountId, tpl_id: tplId, factory_type: vendor, review: t.review, reason: null, updated_at: now })))
          .execute();
      }
      if (t.materialIds.length > 0) {
        await this.ctx.db.insertInto('template_materials')
          .values(t.materialIds.map((id) => ({ account_id: accountId, tpl_id: tplId, aim_resource_id: id })))
          .execute();
      }
      return tplId;
    }
  }

  /** A template that may be named (not deleted). */
  async find(accountId: number, tplId: string): Promise<TemplateInfo | undefined> {
    const row = await this.ctx.db.selectFrom('templates').select(TEMPLATE_COLUMNS)
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('deleted_at', 'is', null).executeTakeFirst();
    return row && toTemplate(row);
  }

  /** A template with its card and vendors (not deleted). */
  async get(accountId: number, tplId: string): Promise<StoredTemplate | undefined> {
    const row = await this.ctx.db.selectFrom('templates').select(CARD_COLUMNS)
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) return undefined;
    return toStored(row, (await this.vendors(accountId, [tplId])).get(tplId) ?? []);
  }

  /**
   * The template a link shows: deleted ones too, since links already sent keep rendering until
   * they expire.
   */
  async forLink(accountId: number, tplId: string): Promise<StoredTemplate | undefined> {
    const row = await this.ctx.db.selectFrom('templates').select(CARD_COLUMNS)
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).executeTakeFirst();
    if (!row) return undefined;
    return toStored(row, (await this.vendors(accountId, [tplId])).get(tplId) ?? []);
  }

  /** The template a preview URL names, with its account (not deleted). */
  async byPreviewKey(previewKey: string): Promise<{ accountId: number; template: StoredTemplate } | undefined> {
    const row = await this.ctx.db.selectFrom('templates').select([...CARD_COLUMNS, 'account_id'])
      .where('preview_key', '=', previewKey).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) return undefined;
    return { accountId: row.account_id, template: toStored(row, (await this.vendors(row.account_id, [row.tpl_id])).get(row.tpl_id) ?? []) };
  }

  private async vendors(accountId: number, tplIds: string[]): Promise<Map<string, VendorState[]>> {
    const out = new Map<string, VendorState[]>();
    if (tplIds.length === 0) return out;
    for (const part of chunks(tplIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('template_vendors').select(['tpl_id', 'factory_type', 'review', 'reason', 'updated_at'])
        .where('account_id', '=', accountId).where('tpl_id', 'in', part).orderBy('tpl_id').orderBy('factory_type').execute();
      for (const r of rows) {
        const list = out.get(r.tpl_id) ?? [];
        list.push({ vendor: r.factory_type as Vendor, review: r.review as VendorReview, reason: r.reason, updatedAt: Number(r.updated_at) });
        out.set(r.tpl_id, list);
      }
    }
    return out;
  }

  /** Newest first (created_at desc, tpl_id asc), deleted ones left out. */
  async list(accountId: number, filter: TemplateFilter, offset: number, limit: number): Promise<{ rows: StoredTemplate[]; total: number }> {
    let q = this.ctx.db.selectFrom('templates').where('account_id', '=', accountId).where('deleted_at', 'is', null);
    if (filter.tplId !== undefined) q = q.where('tpl_id', '=', filter.tplId);
    if (filter.tplName !== undefined) q = q.where('tpl_name', '=', filter.tplName);
    if (filter.createdFrom !== undefined) q = q.where('created_at', '>=', filter.createdFrom);
    if (filter.createdTo !== undefined) q = q.where('created_at', '<=', filter.createdTo);
    if (filter.hasParam !== undefined) q = q.where('has_param', '=', filter.hasParam ? 1 : 0);
    if (filter.vendors?.length) {
      const vendors = filter.vendors;
      q = q.where(({ exists, selectFrom }) => exists(selectFrom('template_vendors as v').select('v.tpl_id')
        .whereRef('v.account_id', '=', 'templates.account_id').whereRef('v.tpl_id', '=', 'templates.tpl_id')
        .where('v.factory_type', 'in', vendors)));
    }
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(CARD_COLUMNS)
      .orderBy('created_at', 'desc').orderBy('tpl_id', 'asc').limit(limit).offset(offset).execute();
    const vendors = await this.vendors(accountId, rows.map((r) => r.tpl_id));
    return { rows: rows.map((r) => toStored(r, vendors.get(r.tpl_id) ?? [])), total: Number(n) };
  }

  /** Enables (1) or disables (0) a template; false when it does not exist. */
  async setState(accountId: number, tplId: string, state: 0 | 1, disableDesc: string, now: number): Promise<boolean> {
    const result = await this.ctx.db.updateTable('templates')
      .set(state === 1
        ? { tpl_state: 1, disable_time: null, disable_desc: null, updated_at: now }
        : { tpl_state: 0, disable_time: now, disable_desc: disableDesc, updated_at: now })
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Soft-deletes a template; false when it does not exist (or is deleted already). */
  async softDelete(accountId: number, tplId: string, now: number): Promise<boolean> {
    const result = await this.ctx.db.updateTable('templates').set({ deleted_at: now, updated_at: now })
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Sets the review of the named vendors (all of the template's when `vendors` is null) and the
   * overall audit state that follows. A template submitted to no vendor is reviewed as a whole.
   * Returns whether anything changed.
   */
  async review(accountId: number, tplId: string, vendors: Vendor[] | null, review: Exclude<VendorReview, 'reviewing'>, reason: string | null, now: number): Promise<boolean> {
    const row = await this.ctx.db.selectFrom('templates').select(['audit_state', 'audit_desc'])
      .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('deleted_at', 'is', null).executeTakeFirst();
    if (!row) return false;
    const current = (await this.vendors(accountId, [tplId])).get(tplId) ?? [];
    let changed = false;
    for (const v of current.filter((c) => vendors === null || vendors.includes(c.vendor))) {
      if (v.review === review && v.reason === reason) continue;
      await this.ctx.db.updateTable('template_vendors').set({ review, reason, updated_at: now })
        .where('account_id', '=', accountId).where('tpl_id', '=', tplId).where('factory_type', '=', v.vendor).execute();
      v.review = review;
      v.reason = reason;
      changed = true;
    }
    const audit = current.length > 0 ? overallAuditState(current.map((v) => v.review)) : review === 'approved' ? 2 : 3;
    // The overall state's reason is the one given with the review that changed it.
    const auditDesc = audit === row.audit_state ? row.audit_desc : audit === 1 ? null : reason ?? (audit === 2 ? 'Approved' : 'Rejected');
    if (row.audit_state !== audit || row.audit_desc !== auditDesc) {
      await this.ctx.db.updateTable('templates').set({ audit_state: audit, audit_desc: auditDesc, updated_at: now })
        .where('account_id', '=', accountId).where('tpl_id', '=', tplId).execute();
      changed = true;
    }
    return changed;
  }
}
