import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { Clock } from '../domain/clock.js';
import { ErrorCodes, InvalidParameter } from '../domain/errors.js';
import {
  checkFile, checkUpload, decodeDataUri, MATERIAL_RULES, MAX_MATERIALS_PER_PAGE, type Material, type ResourceType, type UploadInput,
} from '../domain/material.js';
import type { Store } from '../store/store.js';
import { AddressNotAllowed, outboundFailure, outboundGet, type OutboundGet } from './outbound.js';

export interface MaterialOptions {
  /** Bytes an account's materials may take (AIMLEDGER_MATERIAL_QUOTA_BYTES; 10 GB). */
  quotaBytes: number;
  /** Whether `file_type` `url` uploads are fetched (AIMLEDGER_MATERIAL_URL_FETCH); refused otherwise. */
  allowUrlFetch: boolean;
  /** Fetches may reach private addresses (as receipts may: AIMLEDGER_CALLBACK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  fetchTimeoutMs: number;
  /** How fetches are made (tests stub the resolver through it); a guarded GET by default. */
  get?: OutboundGet;
}

/** The real type of a file from its first bytes, as a MIME type; undefined when unknown. */
export type DetectType = (bytes: Uint8Array) => Promise<string | undefined>;

/** file-type's judgement of the bytes (magic numbers and container structure, not the name). */
export const detectFileType: DetectType = async (bytes) => (await fileTypeFromBuffer(bytes))?.mime;

/** A new aim_resource_id: 18 digits, as KooMessage's (691996319597764608). */
function newResourceId(): string {
  return `${randomInt(1, 10)}${String(randomInt(0, 100_000_000)).padStart(8, '0')}${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
}

function unknownMaterial(field: string, id: string, what = 'material'): InvalidParameter {
  return new InvalidParameter(`${field} ${id} is not a ${what} of this account`, ErrorCodes.invalidParameter);
}

/**
 * Template materials: upload (the real type checked from the bytes, sizes and the account's
 * quota), listing, deletion (refused while a template uses one), video thumbnails, and the bytes a
 * material URL serves.
 */
export class Materials {
  private readonly get: OutboundGet;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly options: MaterialOptions, private readonly detect: DetectType = detectFileType) {
    this.get = options.get ?? outboundGet({ allowPrivate: options.allowPrivate });
  }

  async upload(accountId: number, input: UploadInput): Promise<{ materialId: string; aimResourceId: string }> {
    const { resourceType } = checkUpload(input);
    const rule = MATERIAL_RULES[resourceType];
    let bytes: Buffer;
    let fileName: string;
    if (input.file_type === 'stream') {
      bytes = decodeDataUri(input.file_stream as string);
      fileName = input.file_name as string;
    } else {
      if (!this.options.allowUrlFetch) {
        throw new InvalidParameter('file_type url is not enabled on this platform: upload the file itself (file_type stream); the operator can allow fetches with AIMLEDGER_MATERIAL_URL_FETCH=true');
      }
      bytes = await this.fetch(input.file_url as string, rule.maxBytes);
      fileName = input.file_name ?? decodeURIComponent(basename(new URL(input.file_url as string).pathname));
    }
    const contentType = checkFile(resourceType, bytes, await this.detect(bytes));
    let videoId: string | null = null;
    let primary = false;
    if (resourceType === 'thumbnail') {
      const video = await this.store.materials.find(accountId, input.material_id as string);
      if (!video || video.resourceType !== 'video') throw unknownMaterial('material_id', input.material_id as string, 'video');
      videoId = video.materialId;
      primary = !(await this.store.materials.thumbnails(accountId, [videoId])).get(videoId)?.some((t) => t.isPrimary);
    }
    const material: Material = {
      materialId: randomUUID().replaceAll('-', ''), aimResourceId: newResourceId(), resourceType, fileName: fileName.slice(0, 200),
      description: input.description ?? null, imageRate: input.image_rate ?? null, videoId, isPrimary: primary, contentType,
      size: bytes.length, objectKey: randomBytes(18).toString('base64url'), createdAt: this.clock().getTime(),
    };
    try {
      await this.store.transaction(async (tx) => {
        const used = await tx.materials.usedBytes(accountId);
        if (used + bytes.length > this.options.quotaBytes) {
          throw new InvalidParameter(`the account's materials take ${used} bytes; this file (${bytes.length} bytes) would pass its quota of ${this.options.quotaBytes} bytes: delete some first`);
        }
        await tx.materials.create(accountId, material);
        await tx.materials.putBytes(accountId, material.objectKey, bytes);
      });
    } catch (error) {
      // Bytes kept beside the database are not part of its transaction.
      await this.store.materials.removeFiles([material.objectKey]);
      throw error;
    }
    return { materialId: material.materialId, aimResourceId: material.aimResourceId };
  }

  private async fetch(url: string, maxBytes: number): Promise<Buffer> {
    let answer: Awaited<ReturnType<OutboundGet>>;
    try {
      answer = await this.get(url, { timeoutMs: this.options.fetchTimeoutMs, maxBytes });
    } catch (error) {
      if (error instanceof InvalidParameter) throw error;
      const why = outboundFailure(error);
      const refused = error instanceof AddressNotAllowed || why.includes('not allowed');
      throw new InvalidParameter(`file_url could not be fetched: ${refused ? 'its address is not allowed (only public addresses are fetched)' : why}`);
    }
    if (answer.tooLarge) throw new InvalidParameter(`file_url answered more than ${maxBytes} bytes, the most this resource_type may be`);
    if (answer.status !== 200) throw new InvalidParameter(`file_url answered ${answer.status}, not 200`);
    return answer.bytes;
  }

  /** ListAimTemplateMaterials: `page` counts from 1; a page holds min(limit, 100) items. */
  async list(accountId: number, query: { resourceType: ResourceType; fileName?: string; materialId?: string; aimResourceId?: string; page: number; limit: number }) {
    const size = Math.min(query.limit, MAX_MATERIALS_PER_PAGE);
    const { resourceType, fileName, materialId, aimResourceId } = query;
    const filter = {
      resourceType, ...(fileName !== undefined ? { fileName } : {}), ...(materialId !== undefined ? { materialId } : {}),
      ...(aimResourceId !== undefined ? { aimResourceId } : {}),
    };
    const result = await this.store.read((r) => r.materials.list(accountId, filter, (query.page - 1) * size, size));
    const videos = result.rows.filter((m) => m.resourceType === 'video').map((m) => m.materialId);
    const thumbnails = await this.store.materials.thumbnails(accountId, videos);
    return { ...result, thumbnails };
  }

  /** DeleteTemplateMaterial: all or nothing; a video takes its thumbnails along. */
  async remove(accountId: number, materialIds: string[]): Promise<void> {
    const ids = [...new Set(materialIds)];
    const keys = await this.store.transaction(async (tx) => {
      const doomed: Material[] = [];
      for (const id of ids) {
        const m = await tx.materials.find(accountId, id);
        if (!m) throw unknownMaterial('material_ids:', id);
        doomed.push(m);
      }
      const videos = doomed.filter((m) => m.resourceType === 'video').map((m) => m.materialId);
      for (const list of (await tx.materials.thumbnails(accountId, videos)).values()) {
        for (const t of list) if (!doomed.some((d) => d.materialId === t.materialId)) doomed.push(t);
      }
      const used = await tx.materials.inUse(accountId, doomed.map((m) => m.aimResourceId));
      if (used[0]) throw new InvalidParameter(`material ${used[0].aimResourceId} is used by template ${used[0].tplId}: delete the template first`);
      return tx.materials.delete(accountId, doomed.map((m) => m.materialId));
    });
    await this.store.materials.removeFiles(keys);
  }

  /** A video by its aim_resource_id (thumbnail operations name videos so). */
  private async video(accountId: number, aimResourceId: string): Promise<Material> {
    const video = await this.store.materials.findByResourceId(accountId, aimResourceId);
    if (!video || video.resourceType !== 'video') throw unknownMaterial('aim_resource_id', aimResourceId, 'video');
    return video;
  }

  /** ShowTemplateVideoThumbnail: the video's thumbnails, the primary one first. */
  async thumbnails(accountId: number, aimResourceId: string): Promise<Material[]> {
    const video = await this.video(accountId, aimResourceId);
    return (await this.store.materials.thumbnails(accountId, [video.materialId])).get(video.materialId) ?? [];
  }

  /** SetPrimaryVideoThumbnail. */
  async setPrimary(accountId: number, aimResourceId: string, thumbnailId: string): Promise<void> {
    const video = await this.video(accountId, aimResourceId);
    const thumbnail = await this.store.materials.find(accountId, thumbnailId);
    if (!thumbnail || thumbnail.videoId !== video.materialId) throw unknownMaterial('thumbnail_id', thumbnailId, `thumbnail of video ${aimResourceId}`);
    await this.store.transaction((tx) => tx.materials.setPrimary(accountId, video.materialId, thumbnail.materialId));
  }

  /** What `/materials/<key>` serves. */
  async content(objectKey: string): Promise<{ contentType: string; bytes: Buffer } | undefined> {
    const found = await this.store.materials.byObjectKey(objectKey);
    if (!found) return undefined;
    const bytes = await this.store.materials.bytes(objectKey);
    return bytes ? { contentType: found.contentType, bytes } : undefined;
  }
}
