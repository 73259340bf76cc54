/** Customer roles, from least to most privileged. */
export const ROLES = ['readonly', 'te_user', 'te_admin'] as const;
export type CustomerRole = (typeof ROLES)[number];

/**
 * The platform's own role: an SMS gateway or carrier connector posting delivery reports. It
 * belongs to the platform account, not to a customer, and may call nothing else.
 */
export const OPERATOR_ROLE = 'operator';
export type Role = CustomerRole | typeof OPERATOR_ROLE;

export function isRole(value: unknown): value is Role {
  return value === OPERATOR_ROLE || (typeof value === 'string' && (ROLES as readonly string[]).includes(value));
}

/** The account operator users live in; its name cannot be taken by a customer (names start with a letter or digit). */
export const PLATFORM_ACCOUNT = '_platform';

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
  /** A disabled user's tokens and access keys are refused, and it cannot sign in. */
  status: UserStatus;
}

export type UserStatus = 'active' | 'disabled';

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
export type Operation =
  | 'send-details:list'
  | 'send-tasks:list'
  | 'send-reports:list'
  | 'templates:list'
  | 'resolve-details:list'
  | 'capabilities:check'
  | 'templates:manage'
  | 'templates:review'
  | 'send-tasks:create'
  | 'callbacks:manage'
  | 'delivery-reports:ingest';

const READERS: readonly Role[] = ['readonly', 'te_user', 'te_admin'];

const PERMISSIONS: Record<Operation, readonly Role[]> = {
  'send-details:list': READERS,
  'send-tasks:list': READERS,
  'send-reports:list': READERS,
  'templates:list': READERS,
  'resolve-details:list': READERS,
  'capabilities:check': READERS,
  'templates:manage': ['te_user', 'te_admin'],
  'templates:review': [OPERATOR_ROLE],
  'send-tasks:create': ['te_user', 'te_admin'],
  'callbacks:manage': ['te_admin'],
  'delivery-reports:ingest': [OPERATOR_ROLE],
};

export function mayCall(role: Role, operation: Operation): boolean {
  return PERMISSIONS[operation].includes(role);
}

export interface TokenRecord {
  account: Account;
  user: User;
  issuedAt: number;
  expiresAt: number;
  scope: TokenScope;
  method: 'password' | 'token';
}

export type AccessKeyStatus = 'active' | 'inactive';

export interface AccessKeyRecord {
  accessKey: string;
  account: Account;
  user: User;
  /** The secret key encrypted under the master key; only the keyring can read it. */
  secretEnc: string;
  status: AccessKeyStatus;
  createdAt: number;
}

/** An access key as listings show it: never the secret. */
export interface AccessKeySummary {
  accessKey: string;
  userName: string;
  status: AccessKeyStatus;
  createdAt: number;
}
