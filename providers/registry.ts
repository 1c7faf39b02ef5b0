/**
 * Provider type → module, loaded only when a route needs it. Each entry is a separate bundle
 * in the build (scripts/build.mjs), so no backend code is even parsed on the paths that skip it.
 * test/unit/provider-registry.test.ts checks this table against the provider folders.
 */
import type { CacheKind, ProviderModule } from './types.js';

export const PROVIDER_MODULES: Readonly<Record<string, () => Promise<ProviderModule>>> = {
  env: () => import('./env/index.js'),
  local: () => import('./local/index.js'),
  vault: () => import('./vault/index.js'),
};

export const PROVIDER_TYPES = Object.keys(PROVIDER_MODULES).sort();

/**
 * Each type's CACHE export, for the config compiler, which must not load providers
 * (test/cache/config.test.ts keeps the two in step). A type not listed is never cached.
 */
export const CACHE_KINDS: Readonly<Record<string, CacheKind>> = { local: 'kernel', vault: 'remote' };

/**
 * Environment variables that change what a provider answers (its server, its namespace) when the
 * config leaves them out: they are part of a cache entry's identity, so changing VAULT_ADDR never
 * serves another server's entries.
 */
export const CACHE_IDENTITY_ENV: Readonly<Record<string, readonly string[]>> = {
  vault: ['VAULT_ADDR', 'VAULT_NAMESPACE'],
  // where the store is: its file under the data dir, or the keychain behind the session bus
  local: ['HOME', 'XDG_DATA_HOME', 'DBUS_SESSION_BUS_ADDRESS'],
};
