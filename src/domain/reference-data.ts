export interface TemplateRecord {
  tplId: string;
  tplName: string;
}

export interface SignatureRecord {
  smsSign: string;
  channelNumber: string | null;
  appName: string | null;
}

/** A template as sends name it. */
export interface TemplateInfo {
  tplId: string;
  tplName: string;
  /** 1 enabled, 0 disabled. */
  tplState: number;
  /** 1 reviewing, 2 approved, 3 rejected: only approved templates are sent. */
  auditState: number;
  description: string | null;
  createdAt: number;
}

export interface TemplateFilter {
  tplId?: string;
  tplName?: string;
  /** Inclusive creation-time bounds, both or neither. */
  createdFrom?: number;
  createdTo?: number;
  /** Templates with (true) or without (false) variables. */
  hasParam?: boolean;
  /** Templates submitted to any of these vendors. */
  vendors?: string[];
}
