/** A resolve task as stored: links for a customer's own SMS channel (CreateResolveTask). */
export interface ResolveTask {
  taskId: string;
  tplId: string;
  aimCodeType: 'group' | 'individual';
  /** The domain the customer asked for (generation_type 2), else null. */
  domain: string | null;
  /** Days. */
  expirationTime: number;
  resolvingTimes: number;
  smsSigns: string[];
  createdAt: number;
}

export interface ResolveTaskFilter {
  taskId?: string;
  tplId?: string;
  tplName?: string;
  custFlag?: string;
  domain?: string;
  aimCode?: string;
  createdFrom: number;
  createdTo: number;
}

/** Most links one CreateResolveTask makes; a group task makes one. */
export const MAX_RESOLVE_PARAMS = 100;

/** Expiry bounds in days, by code type. */
export const RESOLVE_EXPIRY_DAYS = { group: 180, individual: 7 } as const;
