import type { Credential } from '../types.js';

/** How the local store serialises one credential (keychain entry value, file map value). */
export interface StoredCredential {
  readonly serverURL: string;
  readonly username: string;
  readonly secret: string;
}

export function toStored(credential: Credential): StoredCredential {
  return { serverURL: credential.serverURL, username: credential.username, secret: credential.secret };
}

export function isStoredCredential(value: unknown): value is StoredCredential {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.serverURL === 'string' && typeof record.username === 'string' && typeof record.secret === 'string';
}
