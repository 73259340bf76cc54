/** Customer roles, from least to most privileged. */
export const ROLES = ['readonly', 'te_user', 'te_admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A tenant. `id` is internal; `domainId` (32 hex) is what the API shows. */
export interface Account {
  id: number;
  domainId: string;
  name: string;
}

export interface User {
  id: number;
  accountId: number;
  name: string;
  role: Role;
}

/** Who is calling: established by an authenticator, checked by every `/v1/aim/*` route. */
export interface Principal {
  account: Account;
  user: User;
  /** How the caller proved who it is. */
  method: 'token';
}

/** Operations a role may call. Each route names its operation; the auth hook checks it. */
export type Operation = 'send-details:list';

const PERMISSIONS: Record<Operation, readonly Role[]> = {
  'send-details:list': ['readonly', 'te_user', 'te_admin'],
};

export function mayCall(role: Role, operation: Operation): boolean {
  return PERMISSIONS[operation].includes(role);
}
