/**
 * Provider type → module, loaded only when a route needs it. Each entry is a separate bundle
 * in the build (scripts/build.mjs), so no backend code is even parsed on the paths that skip it.
 * test/unit/provider-registry.test.ts checks this table against the provider folders.
 */
import type { ProviderModule } from './types.js';

export const PROVIDER_MODULES: Readonly<Record<string, () => Promise<ProviderModule>>> = {
  env: () => import('./env/index.js'),
  local: () => import('./local/index.js'),
  vault: () => import('./vault/index.js'),
};

export const PROVIDER_TYPES = Object.keys(PROVIDER_MODULES).sort();

/** Types whose module exports CACHEABLE = true, for the config compiler, which must not load providers (test/cache/cacheable-types.test.ts keeps the two in step). */
export const CACHEABLE_TYPES: ReadonlySet<string> = new Set(['vault']);
