import { CACHE_IDENTITY_ENV } from '../../providers/registry.js';
import type { ProviderConfig } from '../config/types.js';
import type { Env } from '../paths.js';

/**
 * Whose entries these are: the provider's compiled cacheId (its name and config) plus the
 * environment variables its type reads when the config leaves them out (CACHE_IDENTITY_ENV), so a
 * changed VAULT_ADDR never serves another server's entries.
 */
export function cacheIdOf(name: string, provider: ProviderConfig | undefined, env: Env): string {
  const fromEnv = (CACHE_IDENTITY_ENV[provider?.type ?? ''] ?? []).map((variable) => env[variable] ?? '').join('\0');
  const base = provider?.cacheId ?? name;
  return fromEnv === '' ? base : `${base}-${fnv1a(fromEnv)}`;
}

/** FNV-1a, 32 bits, as hex: a short, stable tag for identity (not a security boundary: no crypto needed). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
