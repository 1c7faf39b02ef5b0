import type { BridgeConfig, CachePolicy, CacheStoreSetting } from '../config/types.js';
import type { Env } from '../paths.js';
import { CACHE_KINDS } from '../../providers/registry.js';
import { formatDuration } from './format.js';
import { type StoreStatus, probeStore } from './probe.js';
import { planStores, type StoreKind, storeLabel } from './stores.js';

/**
 * What the cache will do on this machine, in words, for `explain` and `doctor`: the store entries
 * go to (found by trying each planned store, first to last, until one works), or why there is none.
 */
export interface CacheState {
  /** The store new entries go to; undefined: uncached. */
  readonly store: StoreKind | undefined;
  readonly statuses: readonly StoreStatus[];
  /** Stores the setting rules out here, with the reason. */
  readonly skipped: readonly string[];
}

/** `setting`: the route's own store when narrower (routeStoreSetting), else the global one. */
export async function cacheState(setting: CacheStoreSetting, env: Env, cacheDir: string): Promise<CacheState> {
  const plan = planStores(setting, env);
  const statuses: StoreStatus[] = [];
  for (const store of plan.stores) {
    const status = await probeStore(store, env, cacheDir);
    statuses.push(status);
    if (status.usable) return { store, statuses, skipped: plan.skipped };
  }
  return { store: undefined, statuses, skipped: plan.skipped };
}

export function describeCacheState(state: CacheState): string {
  if (state.store !== undefined) {
    const before = state.statuses.filter((s) => !s.usable).map((s) => `${s.store}: ${s.detail}`);
    return `${storeLabel(state.store)}${before.length ? ` (skipped ${before.join('; ')})` : ''}`;
  }
  const reasons = [...state.statuses.map((s) => `${s.store}: ${s.detail}`), ...state.skipped];
  return `unusable here, so every get asks the provider (${reasons.join('; ') || 'no store'}); never written to disk instead`;
}

export function describePolicy(policy: CachePolicy): string {
  const stale =
    policy.staleIfErrorMs === undefined
      ? 'until it expires'
      : policy.staleIfErrorMs === 0
        ? 'never'
        : `for ${formatDuration(policy.staleIfErrorMs)} past the refresh point`;
  const negative = policy.negativeTtlMs === 0 ? 'not remembered' : `remembered ${formatDuration(policy.negativeTtlMs)}`;
  return `ttl ${formatDuration(policy.ttlMs)} (or the backend's expiry if sooner), refreshed after half; served stale on backend failure ${stale}; not-found ${negative}`;
}

/** The store setting a route's cache uses: its own when narrower than the global one. */
export function routeStoreSetting(config: BridgeConfig, policy: CachePolicy): CacheStoreSetting {
  return policy.store ?? config.cacheStore;
}

/** Why a routed provider is not cached: its type never is, the store setting rules it out, or the config says so. */
export function whyUncached(config: BridgeConfig, providerName: string): string {
  if (config.cacheStore === 'off') return 'off (cache.store: off)';
  const type = config.providers[providerName]?.type;
  const kind = type === undefined ? undefined : CACHE_KINDS[type];
  if (kind === undefined) return `none: provider "${providerName}" (type ${type ?? 'unknown'}) is never cached`;
  if (kind === 'kernel' && config.cacheStore === 'secret-service')
    return `none: provider "${providerName}" (type ${type}) is cached in keyutils only, and cache.store is secret-service`;
  return 'off for this route (cache: false)';
}
