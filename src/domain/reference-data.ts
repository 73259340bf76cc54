export interface TemplateRecord {
  tplId: string;
  tplName: string;
}

export interface SignatureRecord {
  smsSign: string;
  channelNumber: string | null;
  appName: string | null;
}

/** A template as the API lists it. */
export interface TemplateInfo {
  tplId: string;
  tplName: string;
  /** 1 enabled, 0 disabled. */
  tplState: number;
  description: string | null;
  createdAt: number;
}

export interface TemplateFilter {
  tplId?: string;
  tplName?: string;
  /** Inclusive creation-time bounds, both or neither. */
  createdFrom?: number;
  createdTo?: number;
}
