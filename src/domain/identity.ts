/** Customer roles, from least to most privileged. */
export const ROLES = ['readonly', 'te_user', 'te_admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * KooMessage is a project-level service in one region; every account has one project there, named
 * after the region, as Huawei Cloud accounts do.
 */
export const REGION = 'cn-north-4';

/** A tenant. `id` is internal; `domainId` and `projectId` (32 hex each) are what the API shows. */
export interface Account {
  id: number;
  domainId: string;
  projectId: string;
  name: string;
}

export interface User {
  id: number;
  /** 32 hex: the user id IAM bodies show. */
  publicId: string;
  accountId: number;
  name: string;
  role: Role;
}

/** What a token was issued for: the account's project (KooMessage's scope) or its whole domain. */
export type TokenScope = 'project' | 'domain';

/** Who is calling: established by an authenticator, checked by every `/v1/aim/*` route. */
export interface Principal {
  account: Account;
  user: User;
  /** How the caller proved who it is. */
  method: 'token' | 'aksk';
  /** Access keys act for the account's project; tokens carry the scope they were issued for. */
  scope: TokenScope;
}

/** Operations a role may call. Each route names its operation; the auth hook checks it. */
export type Operation = 'send-details:list' | 'send-tasks:create' | 'callbacks:manage';

const PERMISSIONS: Record<Operation, readonly Role[]> = {
  'send-details:list': ['readonly', 'te_user', 'te_admin'],
  'send-tasks:create': ['te_user', 'te_admin'],
  'callbacks:manage': ['te_admin'],
};

export function mayCall(role: Role, operation: Operation): boolean {
  return PERMISSIONS[operation].includes(role);
}
