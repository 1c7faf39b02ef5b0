import type { Credential, ListedCredential, Logger, Provider, ProviderContext } from '../providers/types.js';
import { PROVIDER_MODULES, PROVIDER_TYPES } from '../providers/registry.js';
import { CredentialCache } from './cache/cache.js';
import { freshness } from './cache/envelope.js';
import { cacheIdOf } from './cache/identity.js';
import { cacheAccount } from './cache/records.js';
import type { BridgeConfig, CachePolicy, CacheStoreSetting, RouteConfig, WritePolicy } from './config/types.js';
import { withDeadline } from './deadline.js';
import { lookupEnvCredential } from './env-lookup.js';
import { BridgeError, ConfigError, isBridgeError, ProviderError } from './errors.js';
import { cacheDir, dataDir, type Env } from './paths.js';
import { matchRoute } from './routes.js';
import { normalizeServerUrl, type RegistryKey } from './server-url.js';

export interface ResolverDeps {
  readonly config: BridgeConfig;
  readonly env: Env;
  readonly log: Logger;
}

/**
 * The one place that decides order, fallbacks and write policy. The protocol layer calls it
 * with raw ServerURLs; providers see only normalised keys under a deadline.
 */
export class Resolver {
  private readonly providers = new Map<string, Promise<Provider>>();
  /** One per store setting in use: the global one, and keyutils-only for kernel-cached providers. */
  private readonly caches = new Map<CacheStoreSetting, CredentialCache>();

  constructor(private readonly deps: ResolverDeps) {}

  async get(serverURL: string): Promise<Credential | undefined> {
    const registry = normalizeServerUrl(serverURL);
    const match = matchRoute(this.deps.config, registry);
    if (this.deps.config.envLookup) {
      const fromEnv = lookupEnvCredential(registry, match?.route.env, this.deps.env, this.deps.log);
      if (fromEnv) {
        this.deps.log.debug('get.env', { key: registry.key, source: fromEnv.source });
        return { serverURL: registry.serverURL, username: fromEnv.username, secret: fromEnv.secret };
      }
    }
    if (match === undefined) {
      this.deps.log.debug('get.unrouted', { key: registry.key });
      return undefined;
    }
    const { route } = match;
    try {
      if (route.cache !== undefined) return await this.getCached(route, route.cache, registry);
      return await this.getFromProvider(route, registry);
    } catch (error) {
      if (route.onError === 'not-found') {
        this.deps.log.note(`${describeError(error)}; answering not found (onError: not-found in ${route.label})`);
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Cache first (src/cache/): a fresh entry answers with no provider loaded. A miss, an entry due
   * for refresh or a remembered not-found past its time goes through the fill module: one backend
   * call across processes, stale-if-error, and the new entry written.
   */
  private async getCached(route: RouteConfig, policy: CachePolicy, registry: RegistryKey): Promise<Credential | undefined> {
    const cache = this.cache(policy);
    const id = this.cacheIdentity(route, registry);
    const entry = await cache.read(id.account, route.timeoutMs);
    const state = entry === undefined ? undefined : freshness(entry.envelope, policy, Date.now());
    if (entry !== undefined && state?.state === 'fresh') {
      this.deps.log.debug('get.cache-hit', { key: registry.key, store: entry.store, negative: entry.envelope.credential === undefined });
      const credential = entry.envelope.credential;
      return credential === undefined
        ? undefined
        : { serverURL: registry.serverURL, username: credential.username, secret: credential.secret };
    }
    if (cache.usableStores().length === 0) {
      // Nowhere to keep an answer (keyctl refused in a container, no session bus): the lock and
      // the writer would only cost time, and waiting for another process's fetch gains nothing.
      this.deps.log.debug('get.uncached', { key: registry.key, reason: [...cache.failed.values(), ...cache.plan.skipped].join('; ') });
      if ([...cache.failed.keys()].some((store) => store !== 'keyutils')) {
        const { rememberDownStores } = await import('./cache/fill.js');
        await rememberDownStores(cache);
      }
      return this.getFromProvider(route, registry);
    }
    const { fillEntry } = await import('./cache/fill.js');
    const found = await fillEntry({
      cache,
      id,
      policy,
      waitMs: route.timeoutMs,
      previous: state === undefined ? undefined : entry,
      fetch: () => this.fetch(route, registry),
      log: this.deps.log,
      describeError,
    });
    return found === undefined ? undefined : { serverURL: registry.serverURL, username: found.username, secret: found.secret };
  }

  /** The provider's answer under the route's deadline, echoing the ServerURL as the client sent it. */
  private async getFromProvider(route: RouteConfig, registry: RegistryKey): Promise<Credential | undefined> {
    const found = await this.fetch(route, registry);
    return found === undefined ? undefined : { ...found, serverURL: registry.serverURL };
  }

  private fetch(route: RouteConfig, registry: RegistryKey): Promise<Credential | undefined> {
    return this.call(route, 'get', (provider, signal) => provider.get(registry, { signal }));
  }

  private cache(policy: CachePolicy): CredentialCache {
    const setting = policy.store ?? this.deps.config.cacheStore;
    let cache = this.caches.get(setting);
    if (cache === undefined) {
      cache = new CredentialCache(setting, this.deps.env, cacheDir(this.deps.env), this.deps.log);
      this.caches.set(setting, cache);
    }
    return cache;
  }

  private cacheIdentity(route: RouteConfig, registry: RegistryKey): { account: string; registry: string; provider: string } {
    const cacheId = cacheIdOf(route.provider, this.deps.config.providers[route.provider], this.deps.env);
    return { account: cacheAccount(cacheId, registry.key), registry: registry.key, provider: route.provider };
  }

  async store(credential: Credential): Promise<void> {
    const registry = normalizeServerUrl(credential.serverURL);
    const match = matchRoute(this.deps.config, registry);
    if (match === undefined) {
      throw new BridgeError(
        `no route for ${registry.key} in ${this.deps.config.source ?? 'the config'}; not stored (add a route or a default)`,
      );
    }
    const { route } = match;
    const provider = await this.provider(route.provider);
    const policy: WritePolicy = route.write ?? (provider.store ? 'forward' : 'ignore');
    if (policy === 'forward' && provider.store) {
      const store = provider.store.bind(provider);
      await this.call(route, 'store', (_, signal) => store(registry, credential, { signal }));
      if (route.cache !== undefined) {
        const { putEntry } = await import('./cache/fill.js');
        await putEntry(this.cache(route.cache), this.cacheIdentity(route, registry), route.cache, credential);
      }
      return;
    }
    const why = provider.store ? `write: ${policy} in ${route.label}` : `provider "${route.provider}" is read-only`;
    if (policy === 'ignore') {
      this.deps.log.note(`credentials for ${registry.key} were not stored (${why})`);
      return;
    }
    throw new BridgeError(`credentials for ${registry.key} not stored: ${why}`);
  }

  async erase(serverURL: string): Promise<void> {
    const registry = normalizeServerUrl(serverURL);
    const match = matchRoute(this.deps.config, registry);
    if (match === undefined) return;
    const { route } = match;
    if (route.cache !== undefined) {
      // Forgotten whatever the provider does: after `docker logout` the next `get` asks the backend.
      const { dropEntry } = await import('./cache/fill.js');
      await dropEntry(this.cache(route.cache), this.cacheIdentity(route, registry).account);
    }
    const provider = await this.provider(route.provider);
    if (!provider.erase || route.write === 'ignore') {
      this.deps.log.debug('erase.skipped', { key: registry.key, provider: route.provider });
      return;
    }
    if (route.write === 'refuse') throw new BridgeError(`credentials for ${registry.key} not erased: write: refuse in ${route.label}`);
    const erase = provider.erase.bind(provider);
    await this.call(route, 'erase', (_, signal) => erase(registry, { signal }));
  }

  /** Every provider that can list, each once; one that fails is reported and left out. */
  async list(): Promise<Map<string, ListedCredential>> {
    const routes = [...this.deps.config.routes, ...(this.deps.config.defaultRoute ? [this.deps.config.defaultRoute] : [])];
    const seen = new Set<string>();
    const merged = new Map<string, ListedCredential>();
    for (const route of routes) {
      if (seen.has(route.provider)) continue;
      seen.add(route.provider);
      try {
        const provider = await this.provider(route.provider);
        if (!provider.list) continue;
        const list = provider.list.bind(provider);
        const entries = await this.call(route, 'list', (_, signal) => list({ signal }));
        for (const [key, entry] of entries) if (!merged.has(key)) merged.set(key, entry);
      } catch (error) {
        this.deps.log.note(`${describeError(error)}; its credentials are left out of the list`);
      }
    }
    return merged;
  }

  /** Loads, creates and memoises a provider; its module is imported on first use only. */
  provider(name: string): Promise<Provider> {
    let instance = this.providers.get(name);
    if (instance === undefined) {
      instance = this.createProvider(name);
      this.providers.set(name, instance);
    }
    return instance;
  }

  private async createProvider(name: string): Promise<Provider> {
    const config = this.deps.config.providers[name];
    if (config === undefined) throw new ConfigError(`provider "${name}" is not defined`);
    const load = PROVIDER_MODULES[config.type];
    if (load === undefined) {
      throw new ConfigError(`provider "${name}" has unknown type "${config.type}" (valid: ${PROVIDER_TYPES.join(', ')})`);
    }
    const module = await load();
    const context: ProviderContext = {
      name,
      env: this.deps.env,
      log: this.deps.log,
      dataDir: dataDir(this.deps.env),
      cacheDir: cacheDir(this.deps.env),
    };
    return module.create(config.options as never, context);
  }

  private async call<T>(route: RouteConfig, op: string, fn: (provider: Provider, signal: AbortSignal) => Promise<T>): Promise<T> {
    const provider = await this.provider(route.provider);
    const what = `provider "${route.provider}" ${op}`;
    try {
      return await withDeadline(route.timeoutMs, what, (signal) => fn(provider, signal));
    } catch (error) {
      if (isBridgeError(error)) throw error;
      throw new ProviderError(`${what} failed: ${describeError(error)}`, { cause: error });
    }
  }
}

/**
 * A one-line description that cannot leak: our own errors are written to be shown; anything
 * else (an SDK's error, whose message may quote a response body) is named by its class and code.
 */
export function describeError(error: unknown): string {
  if (isBridgeError(error)) return error.message;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} (${code})` : error.name;
  }
  return 'unknown error';
}

