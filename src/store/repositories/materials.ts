import type { Selectable } from 'kysely';
import type { Material, ResourceType } from '../../domain/material.js';
import { chunks } from '../compare.js';
import type { StoreContext } from '../context.js';
import type { Database } from '../schema.js';

const COLUMNS = [
  'material_id', 'aim_resource_id', 'resource_type', 'file_name', 'description', 'image_rate', 'video_id', 'is_primary',
  'content_type', 'size', 'object_key', 'created_at',
] as const;

type Row = Pick<Selectable<Database['materials']>, (typeof COLUMNS)[number]>;

function toMaterial(r: Row): Material {
  return {
    materialId: r.material_id, aimResourceId: r.aim_resource_id, resourceType: r.resource_type as ResourceType, fileName: r.file_name,
    description: r.description, imageRate: r.image_rate, videoId: r.video_id, isPrimary: r.is_primary === 1, contentType: r.content_type,
    size: Number(r.size), objectKey: r.object_key, createdAt: Number(r.created_at),
  };
}

export interface MaterialFilter {
  resourceType: ResourceType;
  fileName?: string;
  materialId?: string;
  aimResourceId?: string;
}

/**
 * An account's template materials and their bytes: in the database (material_blobs) where the
 * backend keeps them there, otherwise in the adapter's file store (SQLite: a folder beside the
 * database file).
 */
export class MaterialsRepository {
  constructor(private readonly ctx: StoreContext) {}

  async create(accountId: number, m: Material): Promise<void> {
    await this.ctx.db.insertInto('materials').values({
      account_id: accountId, material_id: m.materialId, aim_resource_id: m.aimResourceId, resource_type: m.resourceType, file_name: m.fileName,
      description: m.description, image_rate: m.imageRate, video_id: m.videoId, is_primary: m.isPrimary ? 1 : 0, content_type: m.contentType,
      size: m.size, object_key: m.objectKey, created_at: m.createdAt,
    }).execute();
  }

  /** Stores a material's bytes under its object key. */
  async putBytes(accountId: number, objectKey: string, bytes: Uint8Array): Promise<void> {
    const files = this.ctx.adapter.materialFiles;
    if (files) return files.put(objectKey, bytes);
    await this.ctx.db.insertInto('material_blobs').values({ object_key: objectKey, account_id: accountId, data: Buffer.from(bytes) }).execute();
  }

  async bytes(objectKey: string): Promise<Buffer | null> {
    const files = this.ctx.adapter.materialFiles;
    if (files) return files.get(objectKey);
    const row = await this.ctx.db.selectFrom('material_blobs').select('data').where('object_key', '=', objectKey).executeTakeFirst();
    return row ? Buffer.from(row.data) : null;
  }

  /**
   * Removes bytes kept beside the database whose rows are gone (or were never committed): call it
   * after the transaction. Bytes in the database went with their rows (see delete).
   */
  async removeFiles(objectKeys: readonly string[]): Promise<void> {
    await this.ctx.adapter.materialFiles?.delete(objectKeys);
  }

  /** Bytes the account's materials take. */
  async usedBytes(accountId: number): Promise<number> {
    const row = await this.ctx.db.selectFrom('materials').select((eb) => eb.fn.sum<number | string | null>('size').as('n'))
      .where('account_id', '=', accountId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async find(accountId: number, materialId: string): Promise<Material | undefined> {
    const row = await this.ctx.db.selectFrom('materials').select(COLUMNS)
      .where('account_id', '=', accountId).where('material_id', '=', materialId).executeTakeFirst();
    return row && toMaterial(row);
  }

  async findByResourceId(accountId: number, aimResourceId: string): Promise<Material | undefined> {
    const row = await this.ctx.db.selectFrom('materials').select(COLUMNS)
      .where('account_id', '=', accountId).where('aim_resource_id', '=', aimResourceId).executeTakeFirst();
    return row && toMaterial(row);
  }

  /** What a material URL serves: its type and bytes' key, by object key. */
  async byObjectKey(objectKey: string): Promise<{ contentType: string; size: number } | undefined> {
    const row = await this.ctx.db.selectFrom('materials').select(['content_type', 'size']).where('object_key', '=', objectKey).executeTakeFirst();
    return row && { contentType: row.content_type, size: Number(row.size) };
  }

  /** Newest first (created_at desc, material_id asc). */
  async list(accountId: number, filter: MaterialFilter, offset: number, limit: number): Promise<{ rows: Material[]; total: number }> {
    let q = this.ctx.db.selectFrom('materials').where('account_id', '=', accountId).where('resource_type', '=', filter.resourceType);
    if (filter.fileName !== undefined) q = q.where('file_name', '=', filter.fileName);
    if (filter.materialId !== undefined) q = q.where('material_id', '=', filter.materialId);
    if (filter.aimResourceId !== undefined) q = q.where('aim_resource_id', '=', filter.aimResourceId);
    const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = limit === 0 ? [] : await q.select(COLUMNS).orderBy('created_at', 'desc').orderBy('material_id', 'asc').limit(limit).offset(offset).execute();
    return { rows: rows.map(toMaterial), total: Number(n) };
  }

  /** The thumbnails of these videos (by material_id), primary first, then newest. */
  async thumbnails(accountId: number, videoIds: string[]): Promise<Map<string, Material[]>> {
    const out = new Map<string, Material[]>();
    for (const part of chunks(videoIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('materials').select(COLUMNS)
        .where('account_id', '=', accountId).where('resource_type', '=', 'thumbnail').where('video_id', 'in', part)
        .orderBy('is_primary', 'desc').orderBy('created_at', 'desc').orderBy('material_id', 'asc').execute();
      for (const r of rows) out.set(r.video_id as string, [...(out.get(r.video_id as string) ?? []), toMaterial(r)]);
    }
    return out;
  }

  /** Makes one thumbnail its video's primary one (and no other). */
  async setPrimary(accountId: number, videoId: string, thumbnailId: string): Promise<void> {
    await this.ctx.db.updateTable('materials').set({ is_primary: 0 })
      .where('account_id', '=', accountId).where('video_id', '=', videoId).execute();
    await this.ctx.db.updateTable('materials').set({ is_primary: 1 })
      .where('account_id', '=', accountId).where('material_id', '=', thumbnailId).execute();
  }

  /** The kinds of these aim_resource_ids among the account's materials (absent: not one of them). */
  async kinds(accountId: number, aimResourceIds: string[]): Promise<Map<string, ResourceType>> {
    const out = new Map<string, ResourceType>();
    for (const part of chunks(aimResourceIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('materials').select(['aim_resource_id', 'resource_type'])
        .where('account_id', '=', accountId).where('aim_resource_id', 'in', part).execute();
      for (const r of rows) out.set(r.aim_resource_id, r.resource_type as ResourceType);
    }
    return out;
  }

  /** The object keys (their URLs' last part) of these aim_resource_ids of the account. */
  async objectKeys(accountId: number, aimResourceIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunks(aimResourceIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('materials').select(['aim_resource_id', 'object_key'])
        .where('account_id', '=', accountId).where('aim_resource_id', 'in', part).execute();
      for (const r of rows) out.set(r.aim_resource_id, r.object_key);
    }
    return out;
  }

  /** Of these aim_resource_ids, the ones a template that is not deleted uses. */
  async inUse(accountId: number, aimResourceIds: string[]): Promise<Array<{ aimResourceId: string; tplId: string }>> {
    const out: Array<{ aimResourceId: string; tplId: string }> = [];
    for (const part of chunks(aimResourceIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.selectFrom('template_materials as m')
        .innerJoin('templates as t', (j) => j.onRef('t.account_id', '=', 'm.account_id').onRef('t.tpl_id', '=', 'm.tpl_id'))
        .select(['m.aim_resource_id', 'm.tpl_id'])
        .where('m.account_id', '=', accountId).where('m.aim_resource_id', 'in', part).where('t.deleted_at', 'is', null)
        .orderBy('m.tpl_id').execute();
      out.push(...rows.map((r) => ({ aimResourceId: r.aim_resource_id, tplId: r.tpl_id })));
    }
    return out;
  }

  /** Removes the materials (and their bytes where the database holds them); answers their object keys. */
  async delete(accountId: number, materialIds: string[]): Promise<string[]> {
    const keys: string[] = [];
    for (const part of chunks(materialIds, 1, this.ctx.adapter.maxParameters - 1)) {
      const rows = await this.ctx.db.deleteFrom('materials').where('account_id', '=', accountId).where('material_id', 'in', part)
        .returning('object_key').execute();
      keys.push(...rows.map((r) => r.object_key));
    }
    if (!this.ctx.adapter.materialFiles) {
      for (const part of chunks(keys, 1, this.ctx.adapter.maxParameters - 1)) {
        await this.ctx.db.deleteFrom('material_blobs').where('object_key', 'in', part).execute();
      }
    }
    return keys;
  }
}
