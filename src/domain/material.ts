import { InvalidParameter } from './errors.js';

/**
 * Template materials (UploadAimTemplateMaterial and its neighbours): images, videos and video
 * thumbnails a card shows, by `aim_resource_id`. The rules of the official definition, and what a
 * material is once stored.
 */

export const RESOURCE_TYPES = ['image', 'video', 'thumbnail'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const IMAGE_RATES = ['oneToOne', 'sixteenToNine', 'threeToOne', 'fortyEightToSixtyFive', 'twentyOneToNine', 'threeToFour'] as const;

/** The largest file of each kind, and the formats it may be (checked from the bytes, not the name). */
export const MATERIAL_RULES: Record<ResourceType, { maxBytes: number; mimes: readonly string[]; formats: string }> = {
  image: { maxBytes: 2 * 1024 * 1024, mimes: ['image/png', 'image/jpeg'], formats: 'png or jpg' },
  video: { maxBytes: 7 * 1024 * 1024, mimes: ['video/mp4'], formats: 'mp4' },
  thumbnail: { maxBytes: 100 * 1024, mimes: ['image/png', 'image/jpeg'], formats: 'png or jpg' },
};

/** Default per-account quota: 10 GB. */
export const DEFAULT_MATERIAL_QUOTA_BYTES = 10 * 1024 ** 3;

/** Items a material list page holds at most, whatever `limit` says (the definition's maxItems). */
export const MAX_MATERIALS_PER_PAGE = 100;

/** A stored material. */
export interface Material {
  materialId: string;
  aimResourceId: string;
  resourceType: ResourceType;
  fileName: string;
  description: string | null;
  imageRate: string | null;
  /** A thumbnail's video (its material_id). */
  videoId: string | null;
  isPrimary: boolean;
  contentType: string;
  size: number;
  /** The last part of the material's URL. */
  objectKey: string;
  createdAt: number;
}

/** What an upload says, its shape already checked. */
export interface UploadInput {
  resource_type: string;
  file_type: string;
  file_name?: string;
  file_stream?: string;
  file_url?: string;
  image_rate?: string;
  material_id?: string;
  description?: string;
}

const DATA_URI = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)(?:;[a-z0-9-]+=[^;,]*)*;base64,/i;

/**
 * The bytes of a `stream` upload: a base64 data URI as the definition's example gives it
 * (`data:image/jpeg;base64,...`). Its declared type is not trusted; the bytes decide.
 */
export function decodeDataUri(text: string): Buffer {
  const m = DATA_URI.exec(text);
  if (!m) throw new InvalidParameter('file_stream must be a base64 data URI, e.g. data:image/jpeg;base64,/9j/4AAQ…');
  const data = text.slice(m[0].length).replace(/\s+/g, '');
  if (data.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 === 1) throw new InvalidParameter('file_stream is not valid base64');
  return Buffer.from(data, 'base64');
}

/** Checks an upload's fields against each other; the file itself is checked once its bytes are known. */
export function checkUpload(input: UploadInput): { resourceType: ResourceType } {
  const resourceType = input.resource_type as ResourceType;
  if (!(RESOURCE_TYPES as readonly string[]).includes(resourceType)) throw new InvalidParameter(`resource_type must be one of ${RESOURCE_TYPES.join(', ')}`);
  if (input.file_type === 'stream') {
    if (!input.file_name) throw new InvalidParameter('file_name is required when file_type is stream');
    if (!input.file_stream) throw new InvalidParameter('file_stream is required when file_type is stream');
  } else if (input.file_type === 'url') {
    if (!input.file_url) throw new InvalidParameter('file_url is required when file_type is url');
    let url: URL;
    try {
      url = new URL(input.file_url);
    } catch {
      throw new InvalidParameter('file_url must be an http or https URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidParameter('file_url must be an http or https URL');
    if (!/\.[A-Za-z0-9]{2,5}$/.test(url.pathname)) throw new InvalidParameter('file_url must end in the file\'s format suffix, e.g. .jpg');
  } else {
    throw new InvalidParameter('file_type must be url or stream');
  }
  if (resourceType === 'image' && !input.image_rate) throw new InvalidParameter('image_rate is required when resource_type is image');
  if (input.image_rate !== undefined && !(IMAGE_RATES as readonly string[]).includes(input.image_rate)) {
    throw new InvalidParameter(`image_rate must be one of ${IMAGE_RATES.join(', ')}`);
  }
  if (resourceType === 'thumbnail' && !input.material_id) throw new InvalidParameter('material_id (the video\'s) is required when resource_type is thumbnail');
  if (resourceType !== 'thumbnail' && input.material_id !== undefined) throw new InvalidParameter('material_id applies only when resource_type is thumbnail');
  return { resourceType };
}

/** Checks a file's real type (from its bytes) and size against its resource type; answers its content type. */
export function checkFile(resourceType: ResourceType, bytes: Uint8Array, detectedMime: string | undefined): string {
  const rule = MATERIAL_RULES[resourceType];
  if (bytes.length === 0) throw new InvalidParameter('the file is empty');
  if (bytes.length > rule.maxBytes) {
    throw new InvalidParameter(`the file is ${bytes.length} bytes; a${resourceType === 'image' ? 'n' : ''} ${resourceType} may be at most ${rule.maxBytes} bytes`);
  }
  if (!detectedMime || !rule.mimes.includes(detectedMime)) {
    throw new InvalidParameter(`the file is ${detectedMime ?? 'of an unknown type'}, judged from its content; a${resourceType === 'image' ? 'n' : ''} ${resourceType} must be ${rule.formats}`);
  }
  return detectedMime;
}
