import type { Account, Role, TokenScope, User } from '../../domain/identity.js';
import { isRole } from '../../domain/identity.js';

export type AccountRow = { id: number; domain_id: string; project_id: string | null; name: string };
export type UserRow = { id: number; public_id: string | null; account_id: number; name: string; role: string; status: string };

export const ACCOUNT_COLUMNS = ['id', 'domain_id', 'project_id', 'name'] as const;
export const USER_COLUMNS = ['id', 'public_id', 'account_id', 'name', 'role', 'status'] as const;

export function toAccount(row: AccountRow): Account {
  if (row.project_id === null) throw new Error(`accounts.project_id is missing for account ${row.id}`);
  return { id: row.id, domainId: row.domain_id, projectId: row.project_id, name: row.name };
}

export function toUser(row: UserRow): User {
  if (!isRole(row.role)) throw new Error(`users.role holds unknown role ${row.role}`);
  if (row.public_id === null) throw new Error(`users.public_id is missing for user ${row.id}`);
  return {
    id: row.id, publicId: row.public_id, accountId: row.account_id, name: row.name, role: row.role as Role,
    status: row.status === 'disabled' ? 'disabled' : 'active',
  };
}

/** Selects the account and user columns of a token or access key joined to `u` and `a`. */
export const JOINED_IDENTITY = [
  'u.id as user_id', 'u.public_id', 'u.name as user_name', 'u.role', 'u.status as user_status',
  'a.id as account_id', 'a.domain_id', 'a.project_id', 'a.name as account_name',
] as const;

export function joinedIdentity(row: {
  user_id: number; public_id: string | null; user_name: string; role: string; user_status: string;
  account_id: number; domain_id: string; project_id: string | null; account_name: string;
}): { account: Account; user: User } {
  return {
    account: toAccount({ id: row.account_id, domain_id: row.domain_id, project_id: row.project_id, name: row.account_name }),
    user: toUser({ id: row.user_id, public_id: row.public_id, account_id: row.account_id, name: row.user_name, role: row.role, status: row.user_status }),
  };
}

export function toScope(value: string): TokenScope {
  if (value !== 'project' && value !== 'domain') throw new Error(`tokens.scope holds unknown scope ${value}`);
  return value;
}
